from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from rostersync.roster.records import (
    Batch,
    RejectedRecord,
    SchoolRecord,
    SectionRecord,
    UserRecord,
)
from rostersync.roster.sources import RosterSource
from rostersync.sources.clever import CleverAuthError, CleverSource, ReadProgress
from tests.sources.clever.fakes import ConnectClient, FakeDistrict, ScriptedClever, reply


def person(uid: str, roles: dict[str, Any]) -> dict[str, Any]:
    return {"id": uid, "name": {"first": "F" + uid, "last": "L" + uid}, "roles": roles}


DISTRICT: dict[str, list[dict[str, Any]]] = {
    "/v3.0/schools": [{"id": "s1", "name": "Lincoln"}, {"id": "s2", "name": "Adams"}, {"id": "s3"}],
    "/v3.0/users": [
        person("u1", {"student": {"school": "s1", "grade": "3"}}),
        person("u2", {"contact": {"student_relationships": [{"student": "u1"}]}}),
        person("u3", {"teacher": {"schools": ["s1"]}, "staff": {"schools": ["s2"]}}),
        {"id": "u4", "name": {"last": "Nofirst"}, "roles": {"student": {}}},
        person("u5", {"district_admin": {}}),
    ],
    "/v3.0/terms": [{"id": "t1", "name": "Fall"}, {"id": "t2", "name": "Spring"}],
    "/v3.0/courses": [{"id": "c1", "name": "Math 3"}],
    "/v3.0/sections": [
        {
            "id": "sec1",
            "school": "s1",
            "name": "Math 3A",
            "term_id": "t2",
            "course": "c1",
            "students": ["u1"],
            "teachers": ["u3"],
            "teacher": "u3",
        },
        {"id": "sec2", "school": "s1", "name": ""},
    ],
}


async def read(batches: AsyncIterator[Batch]) -> list[Batch]:
    return [batch async for batch in batches]


def source_for(connect: ConnectClient, district: FakeDistrict, **kwargs: Any) -> CleverSource:
    return CleverSource(connect(district, page_limit=2), **kwargs)


async def test_source_offers_schools_users_and_sections(connect: ConnectClient) -> None:
    source: RosterSource = source_for(connect, FakeDistrict(DISTRICT, per_page=2))
    assert set(source.collections()) == {"schools", "users", "sections"}


async def test_schools_arrive_one_batch_per_page_with_rejections(connect: ConnectClient) -> None:
    source = source_for(connect, FakeDistrict(DISTRICT, per_page=2))
    batches = await read(source.collections()["schools"])
    assert batches == [
        [SchoolRecord("s1", "Lincoln"), SchoolRecord("s2", "Adams")],
        [RejectedRecord("school", "s3", "missing name")],
    ]


async def test_users_of_every_role_come_in_one_pass_without_contacts(
    connect: ConnectClient,
) -> None:
    district = FakeDistrict(DISTRICT, per_page=2)
    batches = await read(source_for(connect, district).collections()["users"])
    records = [record for batch in batches for record in batch]
    kept = {r.clever_id: r.roles for r in records if isinstance(r, UserRecord)}
    assert kept == {"u1": ["student"], "u3": ["teacher", "staff"], "u5": ["district_admin"]}
    assert RejectedRecord("user", "u4", "missing name.first", ["student"]) in records
    people = {r.clever_id for r in records if isinstance(r, UserRecord | RejectedRecord)}
    assert "u2" not in people  # a contact is neither kept nor rejected
    assert district.paths.count("/v3.0/users") == 3


async def test_sections_carry_term_and_course_names_and_enrollments(
    connect: ConnectClient,
) -> None:
    district = FakeDistrict(DISTRICT, per_page=2)
    batches = await read(source_for(connect, district).collections()["sections"])
    assert batches == [
        [
            SectionRecord(
                "sec1",
                "s1",
                "Math 3A",
                term_name="Spring",
                course_name="Math 3",
                student_clever_ids=["u1"],
                teacher_clever_ids=["u3"],
                primary_teacher_clever_id="u3",
            ),
            RejectedRecord("section", "sec2", "missing name"),
        ]
    ]
    # Terms and courses were read whole before the first section page.
    assert district.paths == ["/v3.0/terms", "/v3.0/courses", "/v3.0/sections"]


async def test_progress_counts_pages_and_records_per_collection(connect: ConnectClient) -> None:
    seen: list[tuple[str, int]] = []
    source = source_for(
        connect, FakeDistrict(DISTRICT, per_page=2), on_page=lambda c, n: seen.append((c, n))
    )
    for name, batches in source.collections().items():
        await read(batches)
        assert name in source.progress
    assert source.progress == {
        "schools": ReadProgress(pages=2, records=3),
        "users": ReadProgress(pages=3, records=5),
        "sections": ReadProgress(pages=1, records=2),
    }
    assert seen == [
        ("schools", 2),
        ("schools", 1),
        ("users", 2),
        ("users", 2),
        ("users", 1),
        ("sections", 2),
    ]


async def test_a_failing_collection_raises_instead_of_ending_early(
    connect: ConnectClient,
) -> None:
    clever = ScriptedClever(reply(401, {"message": "Unauthorized"}))
    source = CleverSource(connect(clever))
    with pytest.raises(CleverAuthError):
        await read(source.collections()["users"])


async def test_an_empty_collection_yields_no_batches(connect: ConnectClient) -> None:
    clever = ScriptedClever(reply(200, {"data": [], "links": []}))
    source = CleverSource(connect(clever))
    assert await read(source.collections()["schools"]) == []
    assert source.progress["schools"] == ReadProgress(pages=0, records=0)
