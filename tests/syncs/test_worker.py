"""The worker and the queue: claims, heartbeats, fencing, recovery of a dead worker's run."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from rostersync.config import WorkerSettings
from rostersync.db import Database
from rostersync.districts.models import District
from rostersync.roster.records import Batch
from rostersync.roster.sources import RosterSource
from rostersync.syncs import executor, queue, service
from rostersync.syncs.engine import StageProgress, SyncEngine
from rostersync.syncs.exceptions import RunOwnershipLostError
from rostersync.syncs.models import SyncRun
from rostersync.syncs.queue import ClaimedRun
from rostersync.syncs.worker import SyncWorker, execute_claimed, execute_here
from tests.conftest import PROJECT_ROOT, poll_until
from tests.syncs.conftest import ListSource, make_district, person, school, section

FAST = WorkerSettings(poll_seconds=0.05, lease_seconds=5.0, concurrency=2)


def roster() -> ListSource:
    return ListSource(
        schools=[school("s1")],
        users=[person("u1"), person("u2"), person("t1", "teacher")],
        sections=section("sec1", "s1", ["u1", "u2"], teacher="t1"),
    )


def opener(source_for: Any) -> Any:
    @asynccontextmanager
    async def open_source(run: ClaimedRun) -> AsyncIterator[RosterSource]:
        result: RosterSource = source_for(run)
        yield result

    return open_source


class Stalling(ListSource):
    """Yields its first page of schools, then waits forever (a sync still running)."""

    async def _batches(self, name: str, records: list[Any]) -> AsyncIterator[Batch]:
        if name == "schools":
            yield [school("s1")]
        await asyncio.Event().wait()
        yield []  # pragma: no cover


async def queue_run(database: Database, district: District) -> uuid.UUID:
    async with database.sessionmaker.begin() as session:
        run = await service.create_run(session, district, trigger="on_demand", started_by="t")
    return run.id


async def load(database: Database, run_id: uuid.UUID) -> SyncRun:
    async with database.sessionmaker() as session:
        run = await session.get(SyncRun, run_id)
    assert run is not None
    return run


async def wait_for(database: Database, run_id: uuid.UUID, *statuses: str) -> SyncRun:
    async def ended() -> SyncRun | None:
        run = await load(database, run_id)
        return run if run.status in statuses else None

    return await poll_until(ended)


async def run_with_a_worker(database: Database, run_id: uuid.UUID) -> SyncRun:
    """Start a worker over `roster()`, wait until the run ends, stop the worker."""
    worker = SyncWorker(database, FAST, opener(lambda run: roster()))
    await worker.start()
    try:
        return await wait_for(database, run_id, "successful", "failed")
    finally:
        await worker.stop()


async def staged_a_page(database: Database, run_id: uuid.UUID) -> bool:
    return bool((await load(database, run_id)).progress.get("schools", {}).get("records"))


STAGING_TABLES = "SELECT count(*) FROM pg_tables WHERE schemaname = 'staging'"


async def scalar(database: Database, sql: str) -> Any:
    async with database.engine.connect() as connection:
        return (await connection.execute(text(sql))).scalar()


async def expire_lease(database: Database, run_id: uuid.UUID) -> None:
    async with database.engine.begin() as connection:
        await connection.execute(
            text(
                "UPDATE sync_runs SET lease_expires_at = now() - interval '1 second' WHERE id = :id"
            ),
            {"id": run_id},
        )


async def recover(database: Database) -> list[queue.RecoveredRun]:
    async with database.sessionmaker.begin() as session:
        return await queue.recover_expired(session, lease_seconds=5.0)


async def test_a_worker_executes_a_queued_run(database: Database, district: District) -> None:
    run_id = await queue_run(database, district)
    run = await run_with_a_worker(database, run_id)
    assert (run.status, run.attempts, run.worker_id) == ("successful", 1, None)
    assert run.counts["students"]["created"] == 2
    assert await scalar(database, "SELECT count(*) FROM enrollments") == 3


async def test_two_workers_execute_each_run_exactly_once(database: Database) -> None:
    districts = [await make_district(database, f"D{n}") for n in range(6)]
    run_ids = [await queue_run(database, d) for d in districts]
    workers = [SyncWorker(database, FAST, opener(lambda run: roster())) for _ in range(2)]
    await asyncio.gather(*(w.start() for w in workers))
    try:
        runs = [await wait_for(database, r, "successful", "failed") for r in run_ids]
    finally:
        await asyncio.gather(*(w.stop() for w in workers))
    assert {(run.status, run.attempts) for run in runs} == {("successful", 1)}
    assert await scalar(database, "SELECT count(*) FROM users") == 3 * 6


async def test_a_worker_that_lost_its_run_writes_nothing(
    database: Database, district: District
) -> None:
    run_id = await queue_run(database, district)
    first = executor.Owner("first", 5.0)
    stale = await executor.claim(database, first, run_id)
    assert stale is not None
    await expire_lease(database, run_id)
    assert [r.status for r in await recover(database)] == ["queued"]
    second = executor.Owner("second", 5.0)
    current = await executor.claim(database, second, run_id)
    assert current is not None
    assert current.staging_id != stale.staging_id

    with pytest.raises(RunOwnershipLostError):
        await executor.RunExecutor(database, first).execute(stale, roster())
    assert await scalar(database, "SELECT count(*) FROM users") == 0
    run = await load(database, run_id)
    assert (run.status, run.worker_id) == ("processing", "second")

    await executor.RunExecutor(database, second).execute(current, roster())
    assert (await load(database, run_id)).status == "successful"


async def test_a_run_whose_worker_died_is_requeued_once_then_failed(
    database: Database, district: District
) -> None:
    run_id = await queue_run(database, district)
    for attempt, expected in ((1, "queued"), (2, "failed")):
        claimed = await executor.claim(database, executor.Owner(f"w{attempt}", 5.0), run_id)
        assert claimed is not None
        assert claimed.attempts == attempt
        await expire_lease(database, run_id)
        assert [(r.id, r.status) for r in await recover(database)] == [(run_id, expected)]
    run = await load(database, run_id)
    assert run.status == "failed"
    assert run.error_message == queue.WORKER_STOPPED
    assert run.finished_at is not None


async def test_a_live_run_is_not_recovered(database: Database, district: District) -> None:
    run_id = await queue_run(database, district)
    assert await executor.claim(database, executor.Owner("alive", 60.0), run_id) is not None
    assert await recover(database) == []
    assert (await load(database, run_id)).status == "processing"


async def test_stopping_a_worker_gives_its_running_run_back(
    database: Database, district: District
) -> None:
    run_id = await queue_run(database, district)
    worker = SyncWorker(database, FAST, opener(lambda run: Stalling()))
    await worker.start()
    await poll_until(lambda: staged_a_page(database, run_id))
    await worker.stop()
    run = await load(database, run_id)
    assert (run.status, run.attempts, run.worker_id) == ("queued", 0, None)
    assert (
        await scalar(database, "SELECT count(*) FROM pg_tables WHERE schemaname = 'staging'") == 0
    )
    assert await scalar(database, "SELECT count(*) FROM sync_workers") == 0


async def test_a_killed_worker_process_has_its_run_recovered(
    database: Database, database_url: str, district: District
) -> None:
    """A real worker process is SIGKILLed mid-run; another worker finishes the run."""
    run_id = await queue_run(database, district)
    doomed = subprocess.Popen(  # noqa: ASYNC220, S603 - our own module, killed below
        [sys.executable, "-m", "tests.syncs.doomed_worker", database_url, str(run_id)],
        cwd=PROJECT_ROOT,
    )

    async def staged_while_alive() -> bool:
        assert doomed.poll() is None, "the worker process exited by itself"
        return await staged_a_page(database, run_id)

    try:
        await poll_until(staged_while_alive, seconds=60)
    finally:
        doomed.kill()
        doomed.wait()
    dead = await load(database, run_id)
    assert (dead.status, dead.worker_id) == ("processing", "doomed")
    assert await scalar(database, STAGING_TABLES) > 0

    recovered = await poll_until(lambda: recover(database), interval=0.2)  # its 1 s lease ends
    assert [(r.id, r.status) for r in recovered] == [(run_id, "queued")]
    run = await run_with_a_worker(database, run_id)
    assert (run.status, run.attempts) == ("successful", 2)
    assert await scalar(database, "SELECT count(*) FROM users") == 3
    # The dead attempt's staging tables are the janitor's to drop.
    assert await SyncEngine(database.engine).drop_orphaned_staging() > 0
    assert await scalar(database, STAGING_TABLES) == 0


async def test_a_worker_row_says_whether_a_worker_is_alive(
    database: Database, district: District
) -> None:
    async def alive() -> int:
        async with database.sessionmaker.begin() as session:
            return await queue.live_workers(session, within_seconds=60)

    assert await alive() == 0
    worker = SyncWorker(database, FAST, opener(lambda run: roster()))
    await worker.start()
    assert await alive() == 1
    await worker.stop()
    assert await alive() == 0


async def test_a_run_executed_here_is_never_taken_by_a_running_worker(
    database: Database, district: District
) -> None:
    """`rostersync sync --inline` while a server's worker polls the queue: the run is claimed
    as it is queued, so the worker never sees it queued, even between the two."""
    elsewhere = executor.Owner("worker:elsewhere", 5.0)
    seen_by_the_worker: list[ClaimedRun | None] = []

    async def queue_and_let_the_worker_look(session: AsyncSession) -> uuid.UUID:
        run = await service.create_run(session, district, trigger="on_demand", started_by="t")
        seen_by_the_worker.append(await executor.claim(database, elsewhere, None))
        return run.id

    worker = SyncWorker(database, WorkerSettings(poll_seconds=0.01), opener(lambda run: roster()))
    await worker.start()
    try:
        for _ in range(5):
            progress: list[StageProgress] = []

            async def listen(now: StageProgress, seen: list[StageProgress] = progress) -> None:
                seen.append(now)

            run_id = await execute_here(
                database,
                FAST.lease_seconds,
                queue_and_let_the_worker_look,
                opener(lambda run: roster()),
                listener=listen,
            )
            seen_by_the_worker.append(await executor.claim(database, elsewhere, None))
            run = await load(database, run_id)
            assert (run.status, run.attempts) == ("successful", 1)
            assert progress, "the run was executed elsewhere, not here"
    finally:
        await worker.stop()
    assert seen_by_the_worker == [None] * 10


async def test_progress_is_saved_while_the_run_executes(
    database: Database, district: District
) -> None:
    run_id = await queue_run(database, district)
    run = await run_with_a_worker(database, run_id)
    assert run.progress["users"] == {"pages": 1, "records": 3, "done": True}
    async with database.sessionmaker() as session:
        assert (await session.execute(select(SyncRun.status))).scalars().all() == ["successful"]


async def test_an_apply_that_outlasts_the_lease_ends_its_run_and_cleans_up(
    database: Database, district: District, caplog: pytest.LogCaptureFixture
) -> None:
    """A heartbeat blocked behind the apply's lock on the run, which then finds the run no
    longer processing, sees the run this worker ended: it must not cancel the clean-up."""
    run_id = await queue_run(database, district)
    closed: list[str] = []

    @asynccontextmanager
    async def open_source(run: ClaimedRun) -> AsyncIterator[RosterSource]:
        yield roster()
        closed.append("cleanly")  # not reached when the execution is cancelled

    owner = executor.Owner("slow-apply", lease_seconds=0.4)
    claimed = await executor.claim(database, owner, run_id)
    assert claimed is not None
    async with database.engine.connect() as blocker:
        await blocker.execute(text("LOCK TABLE enrollments IN SHARE ROW EXCLUSIVE MODE"))
        execution = asyncio.create_task(execute_claimed(database, owner, claimed, open_source))
        await poll_until(lambda: apply_waits_on_enrollments(database))
        await asyncio.sleep(1.0)  # heartbeats now queue behind the apply's lock on the run
        await blocker.rollback()
    await asyncio.wait_for(execution, 30)

    assert (await load(database, run_id)).status == "successful"
    assert closed == ["cleanly"]
    assert await scalar(database, STAGING_TABLES) == 0
    assert "taken over" not in caplog.text


async def apply_waits_on_enrollments(database: Database) -> bool:
    waiting = await scalar(
        database,
        "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'enrollments'::regclass",
    )
    return bool(waiting)
