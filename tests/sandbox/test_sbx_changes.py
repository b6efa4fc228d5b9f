"""Control-endpoint changes show in the Data API and as Events API events."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import SandboxFactory
from .helpers import Sandbox, Schemas, link

TYPES = {
    "students": ("users", "student"),
    "teachers": ("users", "teacher"),
    "staff": ("users", "staff"),
    "district_admins": ("users", "district_admin"),
    "contacts": ("users", "contact"),
    "sections": ("sections", None),
    "schools": ("schools", None),
    "terms": ("terms", None),
    "courses": ("courses", None),
}


SCHEMA = {
    "users": "user",
    "sections": "section",
    "schools": "school",
    "terms": "term",
    "courses": "course",
}


async def _listing(sbx: Sandbox, kind: str) -> list[str]:
    resource, role = TYPES[kind]
    if role is None:
        return await sbx.all_ids(f"/v3.0/{resource}")
    return await sbx.all_ids(f"/v3.0/{resource}", role=role)


@pytest.mark.parametrize("kind", sorted(TYPES))
async def test_added_records_appear_in_the_data_and_as_created_events(
    sbx: Sandbox, schemas: Schemas, kind: str
) -> None:
    before = await _listing(sbx, kind)

    added = (await sbx.control("add", type=kind, count=2))["ids"]

    after = await _listing(sbx, kind)
    assert after == before + added, "new ids sort after every existing id"
    events = await sbx.events()
    created = [e for e in events if e["type"] == f"{TYPES[kind][0]}.created"]
    assert [e["data"]["object"]["id"] for e in created] == added
    for event in events:
        schemas.check("event", event)
    for rid in added:
        record = await sbx.get_json(f"/v3.1/{TYPES[kind][0]}/{rid}")
        schemas.check(SCHEMA[TYPES[kind][0]], record["data"])


async def test_an_added_student_can_sign_in_and_joins_sections(sbx: Sandbox) -> None:
    (rid,) = (await sbx.control("add", type="students", count=1))["ids"]
    student = (await sbx.get_json(f"/v3.0/users/{rid}"))["data"]

    sections = await sbx.get_json("/v3.0/sections", limit=10_000)
    joined = [s["data"]["id"] for s in sections["data"] if rid in s["data"]["students"]]
    assert len(joined) == 6
    updated = [e for e in await sbx.events() if e["type"] == "sections.updated"]
    assert sorted(e["data"]["object"]["id"] for e in updated) == sorted(joined)
    token = await sbx.user_token(student["roles"]["student"]["student_number"])
    assert (await sbx.get_json("/v3.0/me", token=token))["data"]["id"] == rid


async def test_updates_change_the_data_and_carry_previous_attributes(
    sbx: Sandbox, schemas: Schemas
) -> None:
    rid = (await sbx.all_ids("/v3.0/users", role="student"))[5]
    before = (await sbx.get_json(f"/v3.0/users/{rid}"))["data"]

    assert (await sbx.control("update", type="students", ids=[rid]))["ids"] == [rid]

    after = (await sbx.get_json(f"/v3.0/users/{rid}"))["data"]
    assert after["name"]["last"] != before["name"]["last"]
    assert after["email"] != before.get("email")
    assert after["last_modified"] > before["last_modified"]
    (event,) = await sbx.events()
    schemas.check("event", event)
    assert event["type"] == "users.updated"
    assert event["data"]["object"] == after
    previous = event["data"]["previous_attributes"]
    assert previous["name"] == {"last": before["name"]["last"]}
    assert previous["last_modified"] == before["last_modified"]
    assert previous.get("email") == before.get("email")


@pytest.mark.parametrize(
    "kind", ["students", "teachers", "sections", "schools", "terms", "courses"]
)
async def test_every_updated_type_shows_a_visible_difference(sbx: Sandbox, kind: str) -> None:
    (rid,) = (await sbx.control("update", type=kind, count=1))["ids"]
    (event,) = await sbx.events()

    resource = TYPES[kind][0]
    assert event["type"] == f"{resource}.updated"
    changed = set(event["data"]["previous_attributes"]) - {"last_modified"}
    assert changed, "an update must change more than last_modified"
    current = (await sbx.get_json(f"/v3.0/{resource}/{rid}"))["data"]
    assert current == event["data"]["object"]


async def test_unshared_users_vanish_with_deleted_events_and_leave_their_sections(
    sbx: Sandbox, schemas: Schemas
) -> None:
    rid = (await sbx.all_ids("/v3.0/users", role="student"))[3]
    snapshot = (await sbx.get_json(f"/v3.0/users/{rid}"))["data"]

    await sbx.control("unshare", type="students", ids=[rid])

    assert (await sbx.get(f"/v3.0/users/{rid}")).status_code == 404
    assert rid not in await sbx.all_ids("/v3.0/users")
    sections = await sbx.get_json("/v3.0/sections", limit=10_000)
    assert not [s for s in sections["data"] if rid in s["data"]["students"]]
    events = await sbx.events()
    for event in events:
        schemas.check("event", event)
    deleted = [e for e in events if e["type"] == "users.deleted"]
    assert [e["data"]["object"] for e in deleted] == [snapshot]
    left = [e for e in events if e["type"] == "sections.updated"]
    assert len(left) == 6
    assert all(rid in e["data"]["previous_attributes"]["students"] for e in left)


async def test_unsharing_a_primary_teacher_hands_sections_to_nobody_or_a_co_teacher(
    sbx: Sandbox,
) -> None:
    sections = (await sbx.get_json("/v3.0/sections", limit=10_000))["data"]
    teacher = sections[0]["data"]["teacher"]
    taught = [s["data"]["id"] for s in sections if teacher in s["data"]["teachers"]]

    await sbx.control("unshare", type="teachers", ids=[teacher])
    for sid in taught:
        section = (await sbx.get_json(f"/v3.0/sections/{sid}"))["data"]
        assert teacher not in section["teachers"]
        assert section["teacher"] == (section["teachers"][0] if section["teachers"] else None)

    await sbx.control("reshare", type="teachers", ids=[teacher])
    seed = {s["data"]["id"]: s["data"] for s in sections}
    for sid in taught:
        section = (await sbx.get_json(f"/v3.0/sections/{sid}"))["data"]
        assert section["teacher"] == seed[sid]["teacher"]
        assert sorted(section["teachers"]) == sorted(seed[sid]["teachers"])


async def test_reshared_records_come_back_unchanged_with_created_events(sbx: Sandbox) -> None:
    ids = (await sbx.control("unshare", type="students", count=2))["ids"]
    events_before = len(await sbx.events())

    back = (await sbx.control("reshare", type="students"))["ids"]

    assert sorted(back) == sorted(ids)
    fresh = await sbx.events()
    created = [e for e in fresh[events_before:] if e["type"] == "users.created"]
    # A users.deleted event carries the record as it was when it was unshared.
    deleted = {
        e["data"]["object"]["id"]: e["data"]["object"]
        for e in fresh
        if e["type"] == "users.deleted"
    }
    assert sorted(e["data"]["object"]["id"] for e in created) == sorted(ids)
    for event in created:
        rid = event["data"]["object"]["id"]
        assert event["data"]["object"] == deleted[rid]
        assert (await sbx.get_json(f"/v3.0/users/{rid}"))["data"] == deleted[rid]
    sections = await sbx.get_json("/v3.0/sections", limit=10_000)
    for rid in ids:
        assert sum(rid in s["data"]["students"] for s in sections["data"]) == 6


async def test_schools_can_be_unshared_and_reshared(sbx: Sandbox) -> None:
    (school,) = (await sbx.control("unshare", type="schools", count=1))["ids"]
    assert school not in await sbx.all_ids("/v3.0/schools")

    await sbx.control("reshare", type="schools", ids=[school])
    assert school in await sbx.all_ids("/v3.0/schools")
    types = [e["type"] for e in await sbx.events()]
    assert types == ["schools.deleted", "schools.created"]


@pytest.mark.parametrize(
    ("op", "body"),
    [
        ("update", {"type": "students", "ids": ["0" * 24]}),
        ("unshare", {"type": "pets", "count": 1}),
        ("reshare", {"type": "students", "ids": ["0" * 24]}),
    ],
)
async def test_invalid_changes_are_rejected(sbx: Sandbox, op: str, body: dict[str, Any]) -> None:
    response = await sbx.client.post(f"/_sandbox/{op}", json=body)
    assert response.status_code == 400
    assert await sbx.events() == []


async def test_events_filter_by_record_type_and_school(sbx: Sandbox) -> None:
    await sbx.control("update", type="schools", count=1)
    student = (await sbx.control("update", type="students", count=1))["ids"][0]
    school = (await sbx.get_json(f"/v3.0/users/{student}"))["data"]["roles"]["student"]["school"]

    only_users = await sbx.events(record_type="users")
    both = await sbx.events(record_type=["users", "schools"])
    at_school = await sbx.events(school=school)

    assert [e["type"] for e in only_users] == ["users.updated"]
    assert {e["type"] for e in both} == {"users.updated", "schools.updated"}
    assert any(e["data"]["object"]["id"] == student for e in at_school)
    assert all(school in str(e["data"]["object"]) for e in at_school)


async def test_events_page_in_increasing_id_order(sbx: Sandbox) -> None:
    await sbx.control("update", type="students", count=5)
    sbx.clock.advance(5)
    await sbx.control("update", type="teachers", count=5)
    everything = [e["id"] for e in await sbx.events()]
    assert everything == sorted(everything)
    assert len(everything) == 10

    walked: list[str] = []
    url: str | None = "/v3.0/events?limit=3"
    while url:
        body = await sbx.get_json(url)
        walked += [item["data"]["id"] for item in body["data"]]
        url = link(body, "next")
    assert walked == everything
    tail = await sbx.get_json("/v3.0/events", starting_after=everything[-1])
    assert tail["data"] == []
    one = await sbx.get_json(f"/v3.0/events/{everything[4]}")
    assert one["data"]["id"] == everything[4]
    assert (await sbx.get("/v3.0/events/" + "0" * 24)).status_code == 404


async def test_v30_events_hide_v31_fields(sbx: Sandbox) -> None:
    await sbx.control("update", type="students", count=1)
    (v30,) = await sbx.events("v3.0")
    (v31,) = await sbx.events("v3.1")

    assert "preferred_name" in v31["data"]["object"]["roles"]["student"]
    assert "preferred_name" not in v30["data"]["object"]["roles"]["student"]
    assert "lms_status" not in v30["data"]["object"]


async def test_reset_restores_the_seed_state(sbx: Sandbox) -> None:
    seed_users = await sbx.all_ids("/v3.0/users")
    await sbx.control("add", type="students", count=3)
    await sbx.control("unshare", type="teachers", count=2)
    await sbx.control("update", type="sections", count=2)
    await sbx.client.post(
        "/_sandbox/faults", json={"kind": "error", "path_prefix": "/v3.0/schools"}
    )

    await sbx.control("reset")

    assert await sbx.all_ids("/v3.0/users") == seed_users
    assert await sbx.events() == []
    assert (await sbx.get("/v3.0/schools")).status_code == 200
    state = (await sbx.client.get("/_sandbox/state")).json()
    assert state["faults"] == []
    assert state["districts"][0]["events"] == 0


async def test_state_summarises_counts_per_type(sbx: Sandbox) -> None:
    await sbx.control("unshare", type="staff", count=1)
    state = (await sbx.client.get("/_sandbox/state")).json()

    counts = state["districts"][0]["counts"]
    assert counts["students"] == 200
    assert counts["staff"] == len(await sbx.all_ids("/v3.0/users", role="staff")) - _multi_role(
        await sbx.get_json("/v3.0/users", role="staff", limit=10_000)
    )
    assert state["districts"][0]["token"] == sbx.token


def _multi_role(body: dict[str, Any]) -> int:
    return sum(1 for item in body["data"] if "teacher" in item["data"]["roles"])


async def test_control_endpoints_exist_only_when_enabled(sbx_factory: SandboxFactory) -> None:
    sbx = await sbx_factory(control=False)
    for path in ("/_sandbox/add", "/_sandbox/reset", "/_sandbox/faults"):
        response = await sbx.client.post(path, json={"type": "students"})
        assert response.status_code in (401, 404, 405)
        assert response.status_code != 200
