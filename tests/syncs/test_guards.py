"""Safeguards: the license limit, the deactivation threshold, held runs and their decisions,
previews, and the change report."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import text, update

from rostersync.accounts.caller import ACCOUNT_OWNER, Caller
from rostersync.db import Database
from rostersync.districts.models import District
from rostersync.roster.records import Record, RejectedRecord
from rostersync.syncs import decisions, executor, service
from rostersync.syncs.engine import SyncEngine
from rostersync.syncs.exceptions import (
    RunNotHeldError,
    StaleSnapshotError,
    StillOverLicenseError,
    SyncAlreadyActiveError,
)
from rostersync.syncs.models import SyncRun
from tests.syncs.conftest import (
    TEST_OWNER,
    ListSource,
    bearer,
    execute_now,
    person,
    roster_dump,
    school,
    section,
)


def roster(students: int, *, skip: int = 0, extra: list[Record] | None = None) -> ListSource:
    """One school, `students` students (the first `skip` left out) and one teacher."""
    kids = [f"k{n:03}" for n in range(skip, students)]
    return ListSource(
        schools=[school("s1")],
        users=[person(k) for k in kids] + [person("t1", "teacher")] + (extra or []),
        sections=section("c1", "s1", kids, "t1"),
        batch_size=50,
    )


async def run_of(database: Database, run_id: uuid.UUID) -> SyncRun:
    async with database.sessionmaker() as session:
        run = await session.get(SyncRun, run_id)
        assert run is not None
        return run


async def active_students(database: Database, district: District) -> set[str]:
    async with database.sessionmaker() as session:
        result = await session.execute(
            text(
                "SELECT clever_id FROM users WHERE district_id = :d AND active "
                "AND 'student' = ANY(roles)"
            ),
            {"d": district.id},
        )
        return set(result.scalars())


async def set_district(database: Database, district: District, **values: Any) -> None:
    async with database.sessionmaker.begin() as session:
        await session.execute(update(District).where(District.id == district.id).values(**values))


def owner_of(district: District) -> Caller:
    return Caller("account", district.id, "admin", (ACCOUNT_OWNER,), None)


async def decide(database: Database, district: District, run_id: uuid.UUID, how: str) -> Any:
    async with database.sessionmaker.begin() as session:
        decide_run = decisions.approve if how == "approve" else decisions.discard
        return await decide_run(session, owner_of(district), run_id)


async def execute_approved(database: Database, run_id: uuid.UUID) -> None:
    claimed = await executor.claim(database, TEST_OWNER, run_id)
    assert claimed is not None
    assert claimed.approved
    await executor.RunExecutor(database, TEST_OWNER).execute(claimed, None)


async def test_unsharing_30_percent_of_students_holds_and_approval_deactivates_exactly_them(
    database: Database, district: District
) -> None:
    await execute_now(database, district, roster(100))
    held_id = await execute_now(database, district, roster(100, skip=30))

    held = await run_of(database, held_id)
    assert held.status == "on_hold"
    assert held.hold_reason == "deactivation_threshold"
    assert held.hold_details is not None
    students = held.hold_details["deactivations"]["students"]
    assert (students["active"], students["deactivating"], students["remaining"]) == (100, 30, 70)
    assert "would deactivate 30 of 100 active students (30%)" in held.hold_details["message"]
    assert held.counts["students"]["deactivated"] == 30
    assert len(await active_students(database, district)) == 100  # nothing applied yet

    approved = await decide(database, district, held_id, "approve")
    assert approved.status == "queued"
    assert approved.decided_by == "admin"
    await execute_approved(database, held_id)

    done = await run_of(database, held_id)
    assert done.status == "successful"
    assert done.counts["students"]["deactivated"] == 30
    assert await active_students(database, district) == {f"k{n:03}" for n in range(30, 100)}


async def test_a_run_held_before_regrouped_sections_were_staged_still_applies(
    database: Database, district: District
) -> None:
    """Snapshots staged by an older release lack the table of sections whose members
    changed; approving one finds those sections then, and records their new members."""
    await execute_now(database, district, roster(100))
    held_id = await execute_now(database, district, roster(100, skip=30))
    staging_id = (await run_of(database, held_id)).staging_id
    assert staging_id is not None
    before = await section_digest(database)
    async with database.sessionmaker.begin() as session:
        await session.execute(text(f'DROP TABLE staging."r{staging_id.hex}_regrouped_sections"'))
    await decide(database, district, held_id, "approve")
    await execute_approved(database, held_id)
    assert (await run_of(database, held_id)).status == "successful"
    assert await section_digest(database) not in (before, None)
    resync = await run_of(database, await execute_now(database, district, roster(100, skip=30)))
    assert resync.counts["sections"]["updated"] == 0
    assert resync.counts["enrollments"]["unchanged"] == 71


async def section_digest(database: Database) -> str | None:
    async with database.sessionmaker() as session:
        found = await session.execute(text("SELECT members_digest FROM sections"))
        digest: str | None = found.scalar_one()
        return digest


async def test_with_the_guard_off_a_large_unshare_applies(
    database: Database, district: District
) -> None:
    await set_district(database, district, deactivation_guard_enabled=False)
    await execute_now(database, district, roster(100))
    run_id = await execute_now(database, district, roster(100, skip=30))

    assert (await run_of(database, run_id)).status == "successful"
    assert len(await active_students(database, district)) == 70


@pytest.mark.parametrize(("students", "unshared"), [(100, 10), (50, 19)])
async def test_unshares_within_the_threshold_apply(
    database: Database, district: District, students: int, unshared: int
) -> None:
    await execute_now(database, district, roster(students))
    run_id = await execute_now(database, district, roster(students, skip=unshared))

    assert (await run_of(database, run_id)).status == "successful"
    assert len(await active_students(database, district)) == students - unshared


async def test_per_type_threshold_overrides_the_districts(
    database: Database, district: District
) -> None:
    await set_district(
        database, district, deactivation_thresholds={"students": {"percent": 5, "minimum": 5}}
    )
    await execute_now(database, district, roster(100))
    run_id = await execute_now(database, district, roster(100, skip=6))

    held = await run_of(database, run_id)
    assert held.status == "on_hold"
    assert held.hold_details is not None
    assert held.hold_details["deactivations"]["students"]["threshold_percent"] == 5


async def test_an_emptied_collection_holds_even_with_the_guard_off(
    database: Database, district: District
) -> None:
    await set_district(database, district, deactivation_guard_enabled=False)
    await execute_now(database, district, roster(10))
    empty = ListSource(schools=[school("s1")], users=[], sections=[])
    run_id = await execute_now(database, district, empty)

    held = await run_of(database, run_id)
    assert held.status == "on_hold"
    assert held.hold_details is not None
    assert held.hold_details["deactivations"]["students"]["collection_empty"] is True
    assert held.hold_details["deactivations"]["teachers"]["collection_empty"] is True
    assert len(await active_students(database, district)) == 10


async def test_license_exceeded_then_raised_then_approved(
    database: Database, district: District
) -> None:
    await set_district(database, district, student_license_limit=100, source="oneroster_csv")
    run_id = await execute_now(database, district, roster(120))

    held = await run_of(database, run_id)
    assert held.status == "on_hold"
    assert held.hold_reason == "license_exceeded"
    assert held.hold_details is not None
    assert held.hold_details["message"] == (
        "The upload lists 120 students; the license covers 100. "
        "Remove students from users.csv or ask us to raise the license."
    )
    assert await active_students(database, district) == set()
    with pytest.raises(StillOverLicenseError, match="license still covers 100"):
        await decide(database, district, run_id, "approve")

    await set_district(database, district, student_license_limit=150)
    await decide(database, district, run_id, "approve")
    await execute_approved(database, run_id)
    assert (await run_of(database, run_id)).status == "successful"
    assert len(await active_students(database, district)) == 120


async def test_clever_districts_hear_about_sharing_rules(
    database: Database, district: District
) -> None:
    await set_district(database, district, student_license_limit=5)
    run_id = await execute_now(database, district, roster(6))

    held = await run_of(database, run_id)
    assert held.hold_details is not None
    assert held.hold_details["message"].startswith(
        "Clever shares 6 students; the license covers 5."
    )
    assert "Narrow the sharing rules in Clever" in held.hold_details["message"]


async def test_without_a_license_limit_any_number_of_students_syncs(
    database: Database, district: District
) -> None:
    run_id = await execute_now(database, district, roster(120))
    assert (await run_of(database, run_id)).status == "successful"


async def test_approval_after_a_newer_applied_run_is_refused(
    database: Database, district: District
) -> None:
    await execute_now(database, district, roster(100))
    held_id = await execute_now(database, district, roster(100, skip=40))
    # The one-active-run index keeps other runs out while one is held; a run applied anyway
    # (by hand, or a future path) makes the held snapshot's diff stale.
    async with database.sessionmaker.begin() as session:
        await session.execute(
            text(
                "INSERT INTO sync_runs (district_id, trigger, started_by, status, started_at, "
                "finished_at) VALUES (:d, 'on_demand', 'admin', 'successful', now(), now())"
            ),
            {"d": district.id},
        )

    with pytest.raises(StaleSnapshotError, match="Discard it and start a new sync"):
        await decide(database, district, held_id, "approve")
    assert (await run_of(database, held_id)).status == "on_hold"


async def test_discard_keeps_the_roster_frees_the_district_and_drops_the_snapshot(
    database: Database, district: District
) -> None:
    await execute_now(database, district, roster(100))
    held_id = await execute_now(database, district, roster(100, skip=50))
    held = await run_of(database, held_id)
    with pytest.raises(SyncAlreadyActiveError):
        async with database.sessionmaker.begin() as session:
            await service.create_run(session, district, trigger="on_demand", started_by="x")

    discarded = await decide(database, district, held_id, "discard")
    assert discarded.status == "discarded"
    assert discarded.finished_at is not None
    assert len(await active_students(database, district)) == 100
    assert await SyncEngine(database.engine).drop_orphaned_staging() > 0
    assert await staged_tables(database, held.staging_id) == 0
    with pytest.raises(RunNotHeldError):
        await decide(database, district, held_id, "approve")
    async with database.sessionmaker.begin() as session:
        await service.create_run(session, district, trigger="on_demand", started_by="admin")


async def staged_tables(database: Database, staging_id: uuid.UUID | None) -> int:
    assert staging_id is not None
    async with database.sessionmaker() as session:
        found = await session.execute(
            text("SELECT count(*) FROM pg_tables WHERE schemaname = 'staging' AND tablename ~ :p"),
            {"p": staging_id.hex},
        )
        return int(found.scalar_one())


async def test_a_held_runs_snapshot_survives_the_janitor_until_decided(
    database: Database, district: District
) -> None:
    await execute_now(database, district, roster(100))
    held_id = await execute_now(database, district, roster(100, skip=50))
    staging_id = (await run_of(database, held_id)).staging_id

    await SyncEngine(database.engine).drop_orphaned_staging()
    assert await staged_tables(database, staging_id) > 0
    await decide(database, district, held_id, "approve")
    await SyncEngine(database.engine).drop_orphaned_staging()
    assert await staged_tables(database, staging_id) > 0  # queued to be applied
    await execute_approved(database, held_id)
    assert await staged_tables(database, staging_id) == 0


async def test_a_runs_tables_are_left_alone_by_autovacuum(
    database: Database, district: District
) -> None:
    """A held run keeps its staging and diff tables; none is vacuumed behind the sync."""
    await execute_now(database, district, roster(100))
    held_id = await execute_now(database, district, roster(100, skip=50))
    staging_id = (await run_of(database, held_id)).staging_id
    assert staging_id is not None
    async with database.sessionmaker() as session:
        found = await session.execute(
            text(
                "SELECT c.relname, c.reloptions FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'staging' AND c.relkind = 'r' AND c.relname ~ :p"
            ),
            {"p": staging_id.hex},
        )
        options = {name.split("_", 1)[1]: reloptions for name, reloptions in found}
    assert {"users", "sections", "enrollments", "diff_users", "diff_enrollments"} <= set(options)
    assert set(map(tuple, options.values())) == {("autovacuum_enabled=false",)}


async def test_a_preview_leaves_the_roster_byte_for_byte_unchanged(
    database: Database, district: District
) -> None:
    await execute_now(database, district, roster(100))
    before = await roster_dump(database)
    renamed = [person("k050", first="Renamed")]
    changed = roster(100, skip=40, extra=[person("new1"), *renamed])
    run_id = await execute_now(database, district, changed, preview=True)

    run = await run_of(database, run_id)
    assert (run.status, run.preview) == ("successful", True)
    assert run.counts["students"]["deactivated"] == 40
    assert run.counts["students"]["created"] == 1
    assert await roster_dump(database) == before


async def test_the_change_report_lists_every_kind_of_change(
    database: Database, district: District, committed_client: httpx.AsyncClient
) -> None:
    await execute_now(database, district, roster(5))
    await execute_now(database, district, roster(5, skip=1))  # k000 leaves
    rejected = RejectedRecord("user", "bad1", "name.last is missing", ["student"])
    changed = ListSource(
        schools=[school("s1")],
        users=[
            person("k000"),  # comes back
            person("k001", first="=HYPERLINK(1)"),  # renamed (a formula, neutralised)
            *(person(f"k{n:03}") for n in (3, 4)),  # k002 leaves
            person("k005"),  # new
            person("t1", "teacher"),
            rejected,
        ],
        sections=section("c1", "s1", ["k000", "k001", "k003", "k004", "k005"], "t1"),
    )
    run_id = await execute_now(database, district, changed)
    headers = await bearer(committed_client, database, district)

    response = await committed_client.get(f"/syncs/{run_id}/changes", headers=headers)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(response.text)))
    users = {(r["source_id"], r["action"]): r for r in lines if r["entity"] == "user"}
    assert set(users) == {
        ("k000", "reactivated"),
        ("k001", "updated"),
        ("k002", "deactivated"),
        ("k005", "created"),
        ("bad1", "rejected"),
    }
    renamed = users[("k001", "updated")]
    assert (renamed["field"], renamed["old_value"], renamed["new_value"]) == (
        "name_first",
        "Ada",
        "'=HYPERLINK(1)",
    )
    assert users[("bad1", "rejected")]["reason"] == "name.last is missing"
    enrollments = {(r["source_id"], r["action"]) for r in lines if r["entity"] == "enrollment"}
    assert ("c1:k005:student", "created") in enrollments


async def test_another_districts_change_report_is_a_404(
    database: Database, district: District, committed_client: httpx.AsyncClient
) -> None:
    from tests.syncs.conftest import make_district

    beta = await make_district(database, "BETA")
    run_id = await execute_now(database, beta, roster(3))
    headers = await bearer(committed_client, database, district)

    response = await committed_client.get(f"/syncs/{run_id}/changes", headers=headers)
    assert response.status_code == 404


async def test_approve_and_discard_over_http(
    database: Database, district: District, committed_client: httpx.AsyncClient
) -> None:
    await execute_now(database, district, roster(100))
    held_id = await execute_now(database, district, roster(100, skip=50))
    headers = await bearer(committed_client, database, district)

    shown = (await committed_client.get(f"/syncs/{held_id}", headers=headers)).json()
    assert shown["status"] == "on_hold"
    assert shown["hold_details"]["deactivations"]["students"]["deactivating"] == 50
    approved = await committed_client.post(f"/syncs/{held_id}/approve", headers=headers)
    assert approved.status_code == 202
    assert approved.json()["status"] == "queued"
    again = await committed_client.post(f"/syncs/{held_id}/discard", headers=headers)
    assert again.status_code == 409
    assert "this one is queued" in again.json()["detail"]


async def test_a_pruned_report_is_gone_with_a_reason(
    database: Database, district: District, committed_client: httpx.AsyncClient
) -> None:
    from rostersync.syncs.repository import prune_change_reports

    run_id = await execute_now(database, district, roster(3))
    async with database.sessionmaker.begin() as session:
        await session.execute(
            text("UPDATE sync_runs SET finished_at = now() - interval '91 days' WHERE id = :r"),
            {"r": run_id},
        )
        assert await prune_change_reports(session, 90) == 1
        assert await prune_change_reports(session, 90) == 0
    headers = await bearer(committed_client, database, district)

    response = await committed_client.get(f"/syncs/{run_id}/changes", headers=headers)
    assert response.status_code == 410
    assert "removed after 90 days" in response.json()["detail"]
