from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select, text

from rostersync.db import Database
from rostersync.districts.models import District
from rostersync.roster.records import Record, RejectedRecord, SectionRecord
from rostersync.syncs import executor, repository, service
from rostersync.syncs.models import SyncRun
from tests.syncs.conftest import (
    ListSource,
    execute_now,
    make_district,
    person,
    school,
    section,
)


async def sync(
    database: Database, district: District, source: ListSource, *, preview: bool = False
) -> SyncRun:
    run_id = await execute_now(database, district, source, preview=preview)
    async with database.sessionmaker() as session:
        found = await session.get(SyncRun, run_id)
        assert found is not None
        return found


async def rows(database: Database, sql: str, **params: Any) -> list[Any]:
    async with database.engine.connect() as connection:
        return list(await connection.execute(text(sql), params))


def basic(**overrides: Any) -> ListSource:
    values: dict[str, Any] = {
        "schools": [school("s1")],
        "users": [person("u1"), person("u2"), person("t1", "teacher")],
        "sections": section("c1", "s1", ["u1", "u2"], teacher="t1"),
    }
    values.update(overrides)
    return ListSource(**values)


async def test_initial_sync_creates_everything(database: Database, district: District) -> None:
    run = await sync(database, district, basic())
    assert run.status == "successful"
    assert run.counts["students"]["created"] == 2
    assert run.counts["teachers"]["created"] == 1
    assert run.counts["schools"]["created"] == 1
    assert run.counts["sections"]["created"] == 1
    assert run.counts["enrollments"]["created"] == 3
    primary = await rows(
        database,
        "SELECT u.clever_id FROM enrollments e JOIN users u ON u.id = e.user_id WHERE is_primary",
    )
    assert [r[0] for r in primary] == ["t1"]


async def test_unchanged_resync_writes_no_roster_rows(
    database: Database, district: District
) -> None:
    await sync(database, district, basic())
    before = await rows(database, "SELECT xmin::text, id FROM users ORDER BY id")
    run = await sync(database, district, basic())
    after = await rows(database, "SELECT xmin::text, id FROM users ORDER BY id")
    assert before == after  # same tuple versions: nothing was rewritten
    assert run.counts["students"] == {
        "created": 0,
        "updated": 0,
        "unchanged": 2,
        "deactivated": 0,
        "reactivated": 0,
        "rejected": 0,
    }
    assert run.counts["enrollments"]["unchanged"] == 3
    changes = await rows(
        database, "SELECT count(*) FROM sync_changes WHERE sync_run_id = :r", r=run.id
    )
    assert changes[0][0] == 0


async def test_the_report_notes_only_what_there_is_to_say(
    database: Database, district: District
) -> None:
    """Created records carry their notes (a malformed email) and nothing else; updates their
    fields and notes; deactivations nothing."""
    first = basic(
        users=[
            person("u1"),
            person("u2", email_raw="not an email"),
            person("t1", "teacher", email="t1@school.org"),
        ]
    )
    run = await sync(database, district, first)
    created = await rows(
        database,
        "SELECT entity, clever_id, changes FROM sync_changes "
        "WHERE sync_run_id = :r AND action = 'created' AND changes IS NOT NULL",
        r=run.id,
    )
    assert created == [("user", "u2", {"email_invalid": "not an email"})]

    second = basic(
        users=[person("u2", first="Grace", email_raw="still not"), person("t1", "teacher")]
    )
    run = await sync(database, district, second)
    report = await rows(
        database,
        "SELECT entity, clever_id, action, changes FROM sync_changes "
        "WHERE sync_run_id = :r AND entity = 'user' ORDER BY clever_id",
        r=run.id,
    )
    assert report == [
        ("user", "t1", "updated", {"email": ["t1@school.org", None]}),
        ("user", "u1", "deactivated", None),
        ("user", "u2", "updated", {"name_first": ["Ada", "Grace"], "email_invalid": "still not"}),
    ]


async def test_changed_record_is_updated_with_old_and_new_values(
    database: Database, district: District
) -> None:
    await sync(database, district, basic())
    changed = basic(users=[person("u1", first="Grace"), person("u2"), person("t1", "teacher")])
    run = await sync(database, district, changed)
    assert run.counts["students"]["updated"] == 1
    [(changes,)] = await rows(
        database,
        "SELECT changes FROM sync_changes WHERE sync_run_id = :r AND action = 'updated'",
        r=run.id,
    )
    assert changes == {"name_first": ["Ada", "Grace"]}
    [(first,)] = await rows(database, "SELECT name_first FROM users WHERE clever_id = 'u1'")
    assert first == "Grace"


async def test_missing_student_is_deactivated_not_deleted(
    database: Database, district: District
) -> None:
    await sync(database, district, basic())
    run = await sync(
        database,
        district,
        basic(
            users=[person("u1"), person("t1", "teacher")],
            sections=section("c1", "s1", ["u1"], "t1"),
        ),
    )
    assert run.counts["students"]["deactivated"] == 1
    assert run.counts["enrollments"]["deactivated"] == 1
    [(active, deactivated_at)] = await rows(
        database, "SELECT active, deactivated_at FROM users WHERE clever_id = 'u2'"
    )
    assert active is False
    assert deactivated_at is not None


async def test_a_returning_record_is_reactivated_on_its_old_row(
    database: Database, district: District
) -> None:
    await sync(database, district, basic())
    [(old_id,)] = await rows(database, "SELECT id FROM users WHERE clever_id = 'u2'")
    await sync(
        database,
        district,
        basic(
            users=[person("u1"), person("t1", "teacher")],
            sections=section("c1", "s1", ["u1"], "t1"),
        ),
    )
    run = await sync(database, district, basic())
    assert run.counts["students"]["reactivated"] == 1
    [(new_id, active)] = await rows(database, "SELECT id, active FROM users WHERE clever_id = 'u2'")
    assert (new_id, active) == (old_id, True)


async def test_multi_role_user_keeps_every_role(database: Database, district: District) -> None:
    source = basic(users=[person("u1"), person("u2"), person("t1", "teacher", "staff")])
    run = await sync(database, district, source)
    assert run.counts["teachers"]["created"] == 1
    assert run.counts["staff"]["created"] == 1
    [(roles,)] = await rows(database, "SELECT roles FROM users WHERE clever_id = 't1'")
    assert roles == ["teacher", "staff"]


async def test_rejected_records_are_reported_and_the_run_goes_on(
    database: Database, district: District
) -> None:
    source = basic(
        users=[
            person("u1"),
            person("u2"),
            person("t1", "teacher"),
            RejectedRecord("user", "u9", "missing name.first", ["student"]),
        ]
    )
    run = await sync(database, district, source)
    assert run.status == "successful"
    assert run.counts["students"]["rejected"] == 1
    [(reason,)] = await rows(
        database,
        "SELECT reason FROM sync_changes WHERE sync_run_id = :r AND action = 'rejected'",
        r=run.id,
    )
    assert reason == "missing name.first"


async def test_sections_of_unshared_schools_and_their_enrollments_are_rejected(
    database: Database, district: District
) -> None:
    source = basic(sections=section("c1", "s1", ["u1"]) + section("c2", "s-gone", ["u2"]))
    run = await sync(database, district, source)
    assert run.counts["sections"]["created"] == 1
    assert run.counts["sections"]["rejected"] == 1
    assert run.counts["enrollments"]["rejected"] == 1


async def test_enrollment_of_an_unknown_user_is_rejected(
    database: Database, district: District
) -> None:
    run = await sync(database, district, basic(sections=section("c1", "s1", ["u1", "ghost"])))
    assert run.counts["enrollments"]["created"] == 1
    assert run.counts["enrollments"]["rejected"] == 1


async def test_a_failed_run_leaves_the_roster_exactly_as_it_was(
    database: Database, district: District
) -> None:
    await sync(database, district, basic())
    before = await rows(database, "SELECT xmin::text, * FROM users ORDER BY id")
    broken = basic(
        users=[person("u1", first="Changed")],
        fail_in="users",
    )
    broken.batch_size = 1
    run = await sync(database, district, broken)
    assert run.status == "failed"
    assert run.error_message == "users broke after its first page"
    assert await rows(database, "SELECT xmin::text, * FROM users ORDER BY id") == before


async def test_a_record_repeated_across_pages_is_staged_once(
    database: Database, district: District
) -> None:
    users = [person("u1"), person("u2"), person("t1", "teacher"), person("u2")]
    run = await sync(database, district, basic(users=users))
    assert run.status == "successful"
    assert run.counts["students"]["created"] == 2


async def test_a_user_repeated_across_pages_is_diffed_as_its_last_copy(
    database: Database, district: District
) -> None:
    # Users are diffed page by page: the first copy's diff must give way to the last's.
    await sync(database, district, basic())
    users = [person("u1"), person("u2", first="Grace"), person("t1", "teacher"), person("u2")]
    run = await sync(database, district, basic(users=users))
    assert run.status == "successful"
    assert run.counts["students"]["updated"] == 0
    assert run.counts["students"]["unchanged"] == 2
    assert await rows(database, "SELECT * FROM sync_changes WHERE sync_run_id = :r", r=run.id) == []
    users = [person("u1"), person("u2"), person("t1", "teacher"), person("u2", first="Grace")]
    run = await sync(database, district, basic(users=users))
    assert run.counts["students"]["updated"] == 1
    [(first,)] = await rows(database, "SELECT name_first FROM users WHERE clever_id = 'u2'")
    assert first == "Grace"


async def test_a_user_id_holding_the_list_separator_is_diffed_like_any_other(
    database: Database, district: District
) -> None:
    odd = basic(users=[person("u1"), person("u2\x1fx"), person("t1", "teacher")])
    run = await sync(database, district, odd)
    assert run.counts["students"]["created"] == 2
    run = await sync(database, district, odd)
    assert (run.counts["students"]["created"], run.counts["students"]["unchanged"]) == (0, 2)


async def test_users_leaving_are_found_when_as_many_arrive_or_return(
    database: Database, district: District
) -> None:
    # The roster is scanned for leavers only when the staged users it matches are fewer
    # than its active ones: arrivals and returns must not hide a departure.
    await sync(database, district, basic())
    swapped = basic(
        users=[person("u1"), person("u3"), person("t1", "teacher")],
        sections=section("c1", "s1", ["u1", "u3"], "t1"),
    )
    run = await sync(database, district, swapped)
    assert run.counts["students"]["unchanged"] == 1
    assert (run.counts["students"]["created"], run.counts["students"]["deactivated"]) == (1, 1)
    back = basic(
        users=[person("u2"), person("u3"), person("t1", "teacher")],
        sections=section("c1", "s1", ["u2", "u3"], "t1"),
    )
    run = await sync(database, district, back)
    assert (run.counts["students"]["reactivated"], run.counts["students"]["deactivated"]) == (1, 1)
    found = await rows(database, "SELECT clever_id, active FROM users ORDER BY clever_id")
    assert found == [("t1", True), ("u1", False), ("u2", True), ("u3", True)]


async def enrolled(database: Database) -> list[tuple[str, str]]:
    """(user clever_id, role) of every enrollment, by user."""
    found = await rows(
        database,
        "SELECT u.clever_id, e.role FROM enrollments e JOIN users u ON u.id = e.user_id ORDER BY 1",
    )
    return [(clever_id, role) for clever_id, role in found]


async def test_a_section_repeated_across_pages_keeps_one_set_of_members(
    database: Database, district: District
) -> None:
    first, again = section("c1", "s1", ["u1", "u2"], "t1"), section("c1", "s1", ["u2"], "t1")
    source = basic(sections=first + again)
    source.batch_size = 1
    run = await sync(database, district, source)
    assert run.counts["enrollments"]["created"] == 2  # the last copy's members
    assert await enrolled(database) == [("t1", "teacher"), ("u2", "student")]


async def test_a_member_listed_twice_is_enrolled_once(
    database: Database, district: District
) -> None:
    run = await sync(database, district, basic(sections=section("c1", "s1", ["u1", "u1"], "t1")))
    assert run.status == "successful"
    assert run.counts["enrollments"]["created"] == 2
    assert await enrolled(database) == [("t1", "teacher"), ("u1", "student")]


async def test_a_member_id_holding_the_list_separator_is_not_enrolled(
    database: Database, district: District
) -> None:
    odd = section("c1", "s1", ["u1", "u2\x1fu1"], "t1")
    run = await sync(database, district, basic(sections=odd))
    assert run.status == "successful"
    assert await enrolled(database) == [("t1", "teacher"), ("u1", "student")]


async def test_preview_computes_counts_and_changes_nothing(
    database: Database, district: District
) -> None:
    run = await sync(database, district, basic(), preview=True)
    assert run.status == "successful"
    assert run.counts["students"]["created"] == 2
    assert await rows(database, "SELECT * FROM users") == []
    report = await rows(
        database, "SELECT count(*) FROM sync_changes WHERE sync_run_id = :r", r=run.id
    )
    assert report[0][0] == 8  # 1 school, 3 users, 1 section, 3 enrollments


async def test_two_districts_stay_apart(database: Database, district: District) -> None:
    beta = await make_district(database, "BETA")
    await sync(database, district, basic())
    await sync(
        database,
        beta,
        basic(
            users=[person("u1"), person("t1", "teacher")],
            sections=section("c1", "s1", ["u1"], "t1"),
        ),
    )
    per_district = await rows(
        database,
        "SELECT d.code, count(*) FILTER (WHERE u.active) FROM users u "
        "JOIN districts d ON d.id = u.district_id GROUP BY d.code ORDER BY d.code",
    )
    assert per_district == [("ALPHA", 3), ("BETA", 2)]


async def test_staging_tables_are_dropped_after_the_run(
    database: Database, district: District
) -> None:
    await sync(database, district, basic())
    assert await rows(database, "SELECT * FROM pg_tables WHERE schemaname = 'staging'") == []


async def test_only_one_active_run_per_district(database: Database, district: District) -> None:
    from rostersync.syncs.exceptions import SyncAlreadyActiveError

    async with database.sessionmaker.begin() as session:
        first = await service.create_run(session, district, trigger="on_demand", started_by="a")
    with pytest.raises(SyncAlreadyActiveError) as excinfo:
        async with database.sessionmaker.begin() as session:
            await service.create_run(session, district, trigger="on_demand", started_by="b")
    assert excinfo.value.extra["active_sync_id"] == str(first.id)
    assert isinstance(first.id, uuid.UUID)


async def test_an_unexpected_error_fails_the_run_with_a_generic_message(
    database: Database, district: District
) -> None:
    class Exploding(ListSource):
        async def _batches(self, name: str, records: list[Any]) -> Any:
            raise RuntimeError("secret internals")
            yield  # pragma: no cover - makes this an async generator

    with pytest.raises(BaseExceptionGroup):
        await execute_now(database, district, Exploding())
    async with database.sessionmaker() as session:
        failed = (await session.execute(select(SyncRun))).scalar_one()
    assert failed is not None
    assert failed.status == "failed"
    assert failed.error_message == executor.UNEXPECTED_FAILURE


async def test_a_student_moving_sections_changes_only_those_enrollments(
    database: Database, district: District
) -> None:
    two_sections = section("c1", "s1", ["u1", "u2"], "t1") + section("c2", "s1", [], "t1")
    await sync(database, district, basic(sections=two_sections))
    moved = section("c1", "s1", ["u1"], "t1") + section("c2", "s1", ["u2"], "t1")
    run = await sync(database, district, basic(sections=moved))
    assert run.counts["enrollments"]["created"] == 1
    assert run.counts["enrollments"]["deactivated"] == 1
    assert run.counts["enrollments"]["unchanged"] == 3
    active = await rows(
        database,
        "SELECT s.clever_id, u.clever_id FROM enrollments e JOIN sections s ON s.id = e.section_id "
        "JOIN users u ON u.id = e.user_id WHERE e.active AND e.role = 'student' ORDER BY 1, 2",
    )
    assert [tuple(r) for r in active] == [("c1", "u1"), ("c2", "u2")]


async def test_a_member_listed_before_being_shared_is_enrolled_once_shared(
    database: Database, district: District
) -> None:
    with_ghost = basic(
        users=[person("u1"), person("t1", "teacher")],
        sections=section("c1", "s1", ["u1", "u2"], "t1"),
    )
    first = await sync(database, district, with_ghost)
    assert first.counts["enrollments"]["rejected"] == 1
    run = await sync(database, district, basic())  # same members; u2 is now shared
    assert run.counts["students"]["created"] == 1
    assert run.counts["enrollments"]["created"] == 1


async def test_a_primary_teacher_change_updates_the_enrollment(
    database: Database, district: District
) -> None:
    users = [person("u1"), person("u2"), person("t1", "teacher"), person("t2", "teacher")]
    await sync(database, district, basic(users=users))
    swapped = section("c1", "s1", ["u1", "u2"], "t2")
    run = await sync(database, district, basic(users=users, sections=swapped))
    assert run.counts["enrollments"]["created"] == 1
    assert run.counts["enrollments"]["deactivated"] == 1


async def test_a_user_listed_twice_in_a_school_keeps_it_once(
    database: Database, district: District
) -> None:
    users = [person("u1")._replace(roles=["teacher", "staff"], school_clever_ids=["s1", "s1"])]
    await sync(database, district, basic(users=users))
    found = await rows(database, "SELECT roles, school_clever_ids FROM users")
    assert [tuple(r) for r in found] == [(["teacher", "staff"], ["s1"])]
    again = await sync(database, district, basic(users=users))
    assert again.counts["teachers"]["unchanged"] == 1


async def test_the_primary_flag_moving_between_teachers_updates_both_enrollments(
    database: Database, district: District
) -> None:
    users = [person("u1"), person("t1", "teacher"), person("t2", "teacher")]

    def taught(primary: str) -> list[Record]:
        return [
            SectionRecord(
                "c1",
                "s1",
                "Section c1",
                student_clever_ids=["u1"],
                teacher_clever_ids=["t1", "t2"],
                primary_teacher_clever_id=primary,
            )
        ]

    await sync(database, district, basic(users=users, sections=taught("t1")))
    run = await sync(database, district, basic(users=users, sections=taught("t2")))

    assert run.counts["enrollments"]["updated"] == 2
    assert run.counts["enrollments"]["unchanged"] == 1
    found = await rows(
        database,
        "SELECT u.clever_id, e.is_primary, e.active FROM enrollments e "
        "JOIN users u ON u.id = e.user_id WHERE e.role = 'teacher' ORDER BY 1",
    )
    assert [tuple(r) for r in found] == [("t1", False, True), ("t2", True, True)]


async def test_a_change_report_is_written_only_for_a_run_that_exists(
    database: Database, district: District
) -> None:
    # Checked by the writer once per report (migration 0015), no longer by a trigger per row.
    from rostersync.syncs.exceptions import RunOwnershipLostError

    async with database.sessionmaker.begin() as session:
        with pytest.raises(RunOwnershipLostError):
            await repository.write_change_report(session, uuid.uuid4(), district.id, uuid.uuid4())
    assert await rows(database, "SELECT * FROM sync_changes") == []
