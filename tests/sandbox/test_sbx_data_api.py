"""The Data API serves Clever-shaped objects in Clever's envelopes."""

from __future__ import annotations

import re

import pytest

from .conftest import SandboxFactory
from .helpers import Sandbox, Schemas

RESOURCES = {
    "districts": "district",
    "schools": "school",
    "users": "user",
    "sections": "section",
    "terms": "term",
    "courses": "course",
}
V31_STUDENT_FIELDS = {
    "disability", "frl_status", "gifted_status", "home_language", "home_language_code",
    "iep_status", "preferred_name", "section_504_status",
}  # fmt: skip


@pytest.mark.parametrize("version", ["v3.0", "v3.1"])
@pytest.mark.parametrize("resource", sorted(RESOURCES))
async def test_every_listing_matches_the_schema(
    shared_sbx: Sandbox, schemas: Schemas, resource: str, version: str
) -> None:
    body = await shared_sbx.get_json(f"/{version}/{resource}", limit=10_000)

    schemas.check_list(RESOURCES[resource], body)
    assert body["data"], f"{resource} is empty"
    for item in body["data"]:
        assert item["uri"] == f"/{version}/{resource}/{item['data']['id']}"


@pytest.mark.parametrize("version", ["v3.0", "v3.1"])
@pytest.mark.parametrize("resource", sorted(RESOURCES))
async def test_single_objects_match_the_schema(
    shared_sbx: Sandbox, schemas: Schemas, resource: str, version: str
) -> None:
    listing = await shared_sbx.get_json(f"/{version}/{resource}", limit=3)
    for item in listing["data"]:
        rid = item["data"]["id"]
        body = await shared_sbx.get_json(f"/{version}/{resource}/{rid}")
        schemas.check("single", body)
        schemas.check(RESOURCES[resource], body["data"])
        assert body["data"] == item["data"]
        assert body["links"] == [{"rel": "self", "uri": f"/{version}/{resource}/{rid}"}]


async def test_unknown_ids_are_404_with_a_message(shared_sbx: Sandbox, schemas: Schemas) -> None:
    school = (await shared_sbx.get_json("/v3.0/schools", limit=1))["data"][0]["data"]["id"]
    for path in ("/v3.0/users/" + "0" * 24, "/v3.0/users/not-an-id", f"/v3.0/users/{school}"):
        response = await shared_sbx.get(path)
        assert response.status_code == 404
        schemas.check("error", response.json())


async def test_unknown_resource_is_404(shared_sbx: Sandbox) -> None:
    assert (await shared_sbx.get("/v3.0/teachers")).status_code == 404


async def test_v31_adds_its_fields_and_v30_omits_them(shared_sbx: Sandbox) -> None:
    v30 = (await shared_sbx.get_json("/v3.0/users", role="student", limit=1))["data"][0]["data"]
    v31 = (await shared_sbx.get_json("/v3.1/users", role="student", limit=1))["data"][0]["data"]

    assert v30["id"] == v31["id"]
    assert set(v31["roles"]["student"]) >= V31_STUDENT_FIELDS
    assert not V31_STUDENT_FIELDS & set(v30["roles"]["student"])
    assert "lms_status" in v31
    assert "lms_status" not in v30
    section30 = (await shared_sbx.get_json("/v3.0/sections", limit=1))["data"][0]["data"]
    section31 = (await shared_sbx.get_json("/v3.1/sections", limit=1))["data"][0]["data"]
    assert "lms_status" in section31
    assert "lms_status" not in section30
    district31 = (await shared_sbx.get_json("/v3.1/districts"))["data"][0]["data"]
    district30 = (await shared_sbx.get_json("/v3.0/districts"))["data"][0]["data"]
    for field in ("last_attendance_sync", "lms_state", "lms_type"):
        assert field in district31
        assert field not in district30


@pytest.mark.parametrize("role", ["student", "teacher", "staff", "district_admin", "contact"])
async def test_role_filter_returns_only_users_holding_that_role(
    shared_sbx: Sandbox, role: str
) -> None:
    body = await shared_sbx.get_json("/v3.0/users", role=role, limit=10_000)

    assert body["data"]
    assert all(role in item["data"]["roles"] for item in body["data"])


async def test_users_without_role_lists_every_role_once(shared_sbx: Sandbox) -> None:
    everyone = await shared_sbx.all_ids("/v3.0/users")
    by_role = {
        role: set(await shared_sbx.all_ids("/v3.0/users", role=role))
        for role in ("student", "teacher", "staff", "district_admin", "contact")
    }

    assert len(everyone) == len(set(everyone))
    assert set(everyone) == set().union(*by_role.values())
    multi_role = by_role["teacher"] & by_role["staff"]
    assert multi_role, "some teachers should also hold a staff role"
    assert len(everyone) == sum(len(ids) for ids in by_role.values()) - len(multi_role)


async def test_sections_reference_records_that_exist(shared_sbx: Sandbox) -> None:
    students = set(await shared_sbx.all_ids("/v3.0/users", role="student"))
    teachers = set(await shared_sbx.all_ids("/v3.0/users", role="teacher"))
    schools = set(await shared_sbx.all_ids("/v3.0/schools"))
    terms = set(await shared_sbx.all_ids("/v3.0/terms"))
    courses = set(await shared_sbx.all_ids("/v3.0/courses"))
    body = await shared_sbx.get_json("/v3.0/sections", limit=10_000)

    for item in body["data"]:
        section = item["data"]
        assert set(section["students"]) <= students
        assert section["teachers"]
        assert set(section["teachers"]) <= teachers
        assert section["teacher"] == section["teachers"][0]
        assert section["school"] in schools
        assert section["term_id"] in terms
        assert section["course"] is None or section["course"] in courses


async def test_each_student_sits_in_six_sections_of_about_25(shared_sbx: Sandbox) -> None:
    body = await shared_sbx.get_json("/v3.0/sections", limit=10_000)
    seats: dict[str, int] = {}
    for item in body["data"]:
        assert 1 <= len(item["data"]["students"]) <= 25
        for student in item["data"]["students"]:
            seats[student] = seats.get(student, 0) + 1

    students = await shared_sbx.all_ids("/v3.0/users", role="student")
    assert all(seats[student] == 6 for student in students)


async def test_contacts_relate_to_existing_students(shared_sbx: Sandbox) -> None:
    students = set(await shared_sbx.all_ids("/v3.0/users", role="student"))
    body = await shared_sbx.get_json("/v3.0/users", role="contact", limit=10_000)

    for item in body["data"]:
        relationships = item["data"]["roles"]["contact"]["student_relationships"]
        assert relationships
        assert {r["student"] for r in relationships} <= students


async def test_me_with_a_district_token_describes_the_district(
    shared_sbx: Sandbox, schemas: Schemas
) -> None:
    body = await shared_sbx.get_json("/v3.0/me")

    schemas.check("me", body)
    district = shared_sbx.state.district_ids[0]
    assert body["type"] == "district"
    assert body["data"]["id"] == body["data"]["district"] == district


async def test_a_token_sees_only_its_own_district(sbx_factory: SandboxFactory) -> None:
    sbx = await sbx_factory(districts=2, students=50)
    first, second = sbx.state.district_ids
    token_b = sbx.state.district_token(1)
    users_a = set(await sbx.all_ids("/v3.0/users"))
    users_b = set(await sbx.all_ids("/v3.0/users", token=token_b))

    assert not users_a & users_b
    districts_b = await sbx.get_json("/v3.0/districts", token=token_b)
    assert [item["data"]["id"] for item in districts_b["data"]] == [second]
    assert (await sbx.get(f"/v3.0/districts/{first}", token=token_b)).status_code == 404
    assert (await sbx.get(f"/v3.0/users/{min(users_a)}", token=token_b)).status_code == 404


async def test_rosters_carry_realistic_email_flaws(sbx_factory: SandboxFactory) -> None:
    sbx = await sbx_factory(students=6_000)
    body = await sbx.get_json("/v3.0/users", role="student", limit=10_000)
    users = [item["data"] for item in body["data"]]
    emails = [u["email"] for u in users if u.get("email")]
    valid = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]+$", re.IGNORECASE)

    missing = len(users) - len(emails)
    malformed = sum(1 for e in emails if not valid.match(e))
    mixed_case = sum(1 for e in emails if valid.match(e) and e != e.lower())
    assert 0.005 * len(users) < missing < 0.02 * len(users)
    assert 0.002 * len(users) < malformed < 0.01 * len(users)
    assert mixed_case > 0.02 * len(users)


async def test_optional_fields_are_sometimes_absent_or_null(shared_sbx: Sandbox) -> None:
    body = await shared_sbx.get_json("/v3.0/users", role="student", limit=10_000)
    students = [item["data"]["roles"]["student"] for item in body["data"]]
    names = [item["data"]["name"] for item in body["data"]]

    assert any(s["state_id"] is None for s in students)
    assert any(s["state_id"] is not None for s in students)
    assert any("credentials" not in s for s in students)
    assert any("middle" not in n for n in names)
    assert any(n.get("middle") for n in names)
    assert all(re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", s["dob"]) for s in students if s["dob"])


async def test_unrouted_paths_answer_in_clevers_error_shape(
    shared_sbx: Sandbox, schemas: Schemas
) -> None:
    response = await shared_sbx.get("/v3.0/users/" + "0" * 24 + "/sections")

    assert response.status_code == 404
    schemas.check("error", response.json())
