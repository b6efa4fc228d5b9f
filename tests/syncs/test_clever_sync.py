"""Clever Secure Sync end to end: the offline Clever on an ASGI transport, a real database."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import text

from rostersync.db import Database
from rostersync.districts.models import District
from rostersync.sandbox import sandbox_state
from rostersync.sources.clever import CleverClient, CleverSource, RetryPolicy
from rostersync.syncs import executor, service
from rostersync.syncs.engine import StageProgress, SyncEngine
from rostersync.syncs.schemas import SyncRunOut
from tests.syncs.conftest import SANDBOX, TEST_OWNER, Clever, connect


@pytest.fixture
async def district(database: Database, clever: Clever) -> District:
    return await connect(database, clever, "RIVERSIDE")


async def sync(
    database: Database,
    clever: Clever,
    district: District,
    *,
    listener: Any = None,
    page_limit: int = 40,
) -> SyncRunOut:
    """A foreground sync whose client waits on the fake clock."""
    client = CleverClient(
        clever.http,
        api_base_url=SANDBOX,
        token=clever.token(0 if district.code == "RIVERSIDE" else 1),
        page_limit=page_limit,
        retry=RetryPolicy(max_attempts=4, base_delay=0.5, max_delay=5.0),
        sleep=clever.clock.sleep,
        clock=clever.clock,
    )
    async with database.sessionmaker.begin() as session:
        run = await service.create_run(session, district, trigger="on_demand", started_by="test")
    claimed = await executor.claim(database, TEST_OWNER, run.id)
    assert claimed is not None
    await executor.RunExecutor(database, TEST_OWNER, listener).execute(
        claimed, CleverSource(client)
    )
    return await service.load_run(database, run.id)


async def scalar(database: Database, sql: str) -> Any:
    async with database.engine.connect() as connection:
        return (await connection.execute(text(sql))).scalar_one()


async def active_students(database: Database) -> int:
    sql = "SELECT count(*) FROM users WHERE active AND 'student' = ANY(roles)"
    return int(await scalar(database, sql))


async def test_connect_reads_name_and_id_and_encrypts_the_token(
    database: Database, clever: Clever, district: District
) -> None:
    assert district.name == "Riverside Unified School District"
    assert district.clever_district_id == sandbox_state(clever.app).district_ids[0]
    stored = await scalar(database, "SELECT clever_token_encrypted FROM districts")
    assert clever.token().encode() not in bytes(stored)


async def test_initial_sync_then_unchanged_resync(
    database: Database, clever: Clever, district: District
) -> None:
    first = await sync(database, clever, district)
    assert first.status == "successful", first.error
    assert first.counts["students"]["created"] == 120
    assert first.counts["enrollments"]["created"] > 120
    again = await sync(database, clever, district)
    assert again.status == "successful"
    assert all(
        counts[action] == 0
        for counts in again.counts.values()
        for action in ("created", "updated", "deactivated", "reactivated")
    )


async def test_add_update_unshare_and_reshare(
    database: Database, clever: Clever, district: District
) -> None:
    await sync(database, clever, district)
    await clever.control("add", type="students", count=3)
    await clever.control("update", type="students", count=2)
    unshared = await clever.control("unshare", type="students", count=4)
    run = await sync(database, clever, district)
    students = run.counts["students"]
    assert (students["created"], students["updated"], students["deactivated"]) == (3, 2, 4)
    assert await active_students(database) == 120 + 3 - 4
    await clever.control("reshare", type="students", ids=unshared["ids"])
    back = await sync(database, clever, district)
    assert back.counts["students"]["reactivated"] == 4
    assert await active_students(database) == 123


async def test_teachers_who_are_also_staff_keep_both_roles(
    database: Database, clever: Clever, district: District
) -> None:
    await sync(database, clever, district)
    both = await scalar(
        database, "SELECT count(*) FROM users WHERE roles @> ARRAY['teacher', 'staff']::varchar[]"
    )
    assert both > 0


async def test_a_record_without_a_first_name_is_rejected_and_the_run_succeeds(
    database: Database, clever: Clever, district: District
) -> None:
    await clever.control("faults", kind="missing_first_name", path_prefix="/v3.0/users", count=1)
    run = await sync(database, clever, district)
    assert run.status == "successful"
    rejected = sum(run.counts[e]["rejected"] for e in ("students", "teachers", "staff"))
    assert rejected == 1
    reason = await scalar(
        database, "SELECT reason FROM sync_changes WHERE action = 'rejected' AND entity = 'user'"
    )
    assert "name.first" in reason


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "error", "status": 503, "count": 2},
        {"kind": "error", "status": 500, "fraction": 0.3, "count": 3},
        {"kind": "html", "count": 2},
        {"kind": "cut", "count": 1},
        {"kind": "rate_limit", "seconds": 20},
        {"kind": "duplicate_id", "count": 1},
    ],
    ids=["503-burst", "500-fraction", "html-page", "cut-connection", "429-storm", "repeated-id"],
)
async def test_transient_faults_are_survived_without_wrong_deactivations(
    database: Database, clever: Clever, district: District, fault: dict[str, Any]
) -> None:
    await sync(database, clever, district)
    await clever.control("faults", path_prefix="/v3.0/users", **fault)
    run = await sync(database, clever, district)
    assert run.status == "successful", run.error
    assert all(counts["deactivated"] == 0 for counts in run.counts.values())
    assert await active_students(database) == 120


async def test_a_429_storm_is_waited_out(
    database: Database, clever: Clever, district: District
) -> None:
    await clever.control("faults", kind="rate_limit", seconds=20, path_prefix="/v3.0/users")
    run = await sync(database, clever, district)
    assert run.status == "successful", run.error
    assert sum(clever.clock.slept) >= 20


async def test_persistent_5xx_fails_the_run_and_deactivates_nothing(
    database: Database, clever: Clever, district: District
) -> None:
    await sync(database, clever, district)
    await clever.control("unshare", type="students", count=5)
    await clever.control("faults", kind="error", status=503, path_prefix="/v3.0/sections")
    run = await sync(database, clever, district)
    assert run.status == "failed"
    assert run.error is not None
    assert "503" in run.error
    assert await active_students(database) == 120


async def test_a_token_revoked_mid_run_fails_with_an_admin_readable_message(
    database: Database, clever: Clever, district: District
) -> None:
    await sync(database, clever, district)
    revoked = False

    async def revoke_after_first_page(progress: StageProgress) -> None:
        nonlocal revoked
        if not revoked and progress.collections["users"].pages >= 1:
            revoked = True
            await clever.control("revoke", district=0)

    # Small pages: the revocation lands while most of the users are still unread.
    run = await sync(database, clever, district, listener=revoke_after_first_page, page_limit=5)
    assert run.status == "failed"
    assert run.error is not None
    assert "Clever rejected the district's token (401)" in run.error
    assert clever.token() not in run.error
    assert await active_students(database) == 120


async def test_a_crash_between_staging_and_apply_changes_nothing(
    database: Database, clever: Clever, district: District
) -> None:
    await sync(database, clever, district)
    await clever.control("unshare", type="students", count=10)
    before = await scalar(database, "SELECT md5(string_agg(u::text, ',' ORDER BY id)) FROM users u")
    run_id = uuid.uuid4()  # the staging id of a run that "dies" before apply
    engine = SyncEngine(database.engine)
    token = clever.token()
    staged = await engine.stage(
        run_id,
        district.id,
        CleverSource(CleverClient(clever.http, api_base_url=SANDBOX, token=token)),
    )
    counts = await engine.diff(run_id, district.id, staged)
    assert counts["students"]["deactivated"] == 10  # the process "dies" here, before apply
    after = await scalar(database, "SELECT md5(string_agg(u::text, ',' ORDER BY id)) FROM users u")
    assert after == before
    await engine.drop_staging(run_id)


async def test_two_districts_synced_at_once_stay_apart(
    database: Database, clever: Clever, district: District
) -> None:
    import asyncio

    other = await connect(database, clever, "LAKESIDE", district=1)
    first, second = await asyncio.gather(
        sync(database, clever, district), sync(database, clever, other)
    )
    assert first.status == second.status == "successful"
    per_district = await scalar(
        database,
        "SELECT count(*) FROM users u JOIN enrollments e ON e.user_id = u.id "
        "WHERE e.district_id <> u.district_id",
    )
    assert per_district == 0
    assert first.counts["students"]["created"] == second.counts["students"]["created"] == 120
