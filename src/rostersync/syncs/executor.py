"""Executing a claimed run: stage, diff and apply, fenced on still owning the run."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from rostersync.db import Database
from rostersync.districts.service import get_district_by_id
from rostersync.errors import AppError
from rostersync.roster.sources import RosterSource, SkipsRecords
from rostersync.syncs import guards, queue, repository
from rostersync.syncs.counts import Counts
from rostersync.syncs.engine import Staged, StageProgress, SyncEngine
from rostersync.syncs.exceptions import RunOwnershipLostError
from rostersync.syncs.guards import Impact, guard_settings
from rostersync.syncs.queue import ClaimedRun

logger = logging.getLogger(__name__)

PROGRESS_SAVE_INTERVAL_S = 1.0
UNEXPECTED_FAILURE = "the sync failed unexpectedly; the roster was left unchanged (run id in logs)"

ProgressListener = Callable[[StageProgress], Awaitable[None]]
# Inserts a queued run in the caller's transaction and returns its id.
QueueRun = Callable[[AsyncSession], Awaitable[uuid.UUID]]


@dataclass(frozen=True)
class Owner:
    """Who executes claimed runs: a worker id and the lease its heartbeats renew."""

    worker_id: str
    lease_seconds: float


async def claim(database: Database, owner: Owner, run_id: uuid.UUID | None) -> ClaimedRun | None:
    """Take run `run_id`, or the oldest queued run; None when there is nothing to take."""
    async with database.sessionmaker.begin() as session:
        if run_id is None:
            return await queue.claim_next(session, owner.worker_id, owner.lease_seconds)
        return await queue.claim_run(session, run_id, owner.worker_id, owner.lease_seconds)


async def queue_claimed(database: Database, owner: Owner, queue_run: QueueRun) -> ClaimedRun:
    """Queue a run and claim it in the same transaction: no worker ever sees it queued."""
    async with database.sessionmaker.begin() as session:
        run_id = await queue_run(session)
        claimed = await queue.claim_run(session, run_id, owner.worker_id, owner.lease_seconds)
    assert claimed is not None  # queued by this very transaction
    return claimed


class RunExecutor:
    """Stages, diffs and applies one claimed run, saving progress as it goes.

    Every write about the run is fenced on the owner still holding it: a worker whose run
    was recovered by another replica stops with RunOwnershipLostError and changes nothing.
    """

    def __init__(
        self, database: Database, owner: Owner, listener: ProgressListener | None = None
    ) -> None:
        self._database = database
        self._owner = owner
        self._listener = listener
        self._last_saved = 0.0
        self.ending = False

    # `ending`: a transaction that ends the run (apply, hold, preview) has fenced it, so its
    # row stays locked by this worker until that transaction commits or rolls back. No one
    # can take the run over any more: a heartbeat that then finds the run no longer
    # processing (blocked on that lock until the commit) sees the run this worker ended,
    # and must not cancel the clean-up that follows.

    async def execute(self, run: ClaimedRun, source: RosterSource | None) -> None:
        """Run to its end: applied, previewed or held; `source` is None for approved runs."""
        engine = SyncEngine(self._database.engine, on_progress=self._progress(run.id))
        held = False
        try:
            if run.approved:
                await self._apply_approved(run)
                return
            assert source is not None
            staged = await engine.stage(run.staging_id, run.district_id, source)
            if isinstance(source, SkipsRecords):
                await self._save_skipped(run.id, dict(source.skipped))
            if run.preview:
                await self._preview(engine, run, staged)
                return
            kept = await engine.diff_people_and_places(run.staging_id, run.district_id, staged)
            impact = await engine.measure(run.staging_id, staged.active, kept)
            held = await self._held(engine, run, impact, kept)
            if not held:
                await self._apply(engine, run, kept)
        except asyncio.CancelledError:
            raise  # the caller gives the run back, or fails it
        except BaseException as exc:
            if _lost_ownership(exc):  # no longer ours to touch, not even to fail
                raise RunOwnershipLostError(run.id) from exc
            await self.fail(run.id, exc)
            if not isinstance(_first_app_error(exc), AppError):
                raise
        finally:
            if not held:  # a held run's snapshot waits for the Account Owner's decision
                await engine.drop_staging(run.staging_id)

    async def _held(
        self, engine: SyncEngine, run: ClaimedRun, impact: Impact, kept: dict[str, int]
    ) -> bool:
        """Check the guards; a run that trips one is diffed whole, reported and held."""
        async with self._database.sessionmaker() as session:
            district = await get_district_by_id(session, run.district_id)
        hold = guards.evaluate(impact, guard_settings(district))
        if hold is None:
            return False
        await engine.diff_enrollments(run.staging_id, run.district_id)
        counts = await engine.counts(run.staging_id, kept)
        details = hold.details | {"students_after": impact.students_after}
        async with self._database.sessionmaker.begin() as session:
            await self._fence(session, run.id)
            await repository.write_change_report(session, run.staging_id, run.district_id, run.id)
            await queue.hold_run(
                session,
                run.id,
                self._owner.worker_id,
                reason=hold.reason,
                details=details,
                counts=counts,
            )
        logger.info("sync held", extra={"run_id": str(run.id), "hold_reason": hold.reason})
        return True

    async def _apply_approved(self, run: ClaimedRun) -> None:
        """Apply the diff a held run showed, as it was shown: no fetch, no guards, no new
        report (the one written when the run was held stays)."""
        staging_id, district_id = run.staging_id, run.district_id
        async with self._database.sessionmaker.begin() as session:
            await repository.commit_without_waiting_for_disk(session)
            await self._fence(session, run.id)
            await repository.apply_people_and_places(session, staging_id, district_id)
            await repository.apply_enrollments(session, staging_id, district_id)
            await queue.finish_run(session, run.id, self._owner.worker_id, status="successful")

    async def _save_skipped(self, run_id: uuid.UUID, skipped: dict[str, int]) -> None:
        async with self._database.sessionmaker.begin() as session:
            if not await queue.save_skipped(session, run_id, self._owner.worker_id, skipped):
                raise RunOwnershipLostError(run_id)

    def _progress(self, run_id: uuid.UUID) -> Callable[[StageProgress], Awaitable[None]]:
        async def on_progress(progress: StageProgress) -> None:
            if self._listener is not None:
                await self._listener(progress)
            now = time.monotonic()
            finished = all(c.done for c in progress.collections.values())
            if finished or now - self._last_saved >= PROGRESS_SAVE_INTERVAL_S:
                self._last_saved = now
                async with self._database.sessionmaker.begin() as session:
                    owned = await queue.save_progress(
                        session, run_id, self._owner.worker_id, progress.as_dict()
                    )
                if not owned:
                    raise RunOwnershipLostError(run_id)

        return on_progress

    async def _preview(self, engine: SyncEngine, run: ClaimedRun, staged: Staged) -> None:
        counts = await engine.diff(run.staging_id, run.district_id, staged)
        async with self._database.sessionmaker.begin() as session:
            await self._fence(session, run.id)
            await repository.write_change_report(session, run.staging_id, run.district_id, run.id)
            await self._finish(session, run.id, counts)

    async def _apply(self, engine: SyncEngine, run: ClaimedRun, kept: dict[str, int]) -> None:
        """Apply in one transaction, with the enrollment diff and the report on a second core.

        The transaction first checks that this worker still owns the run, which also locks
        the run's row until the commit: no replica can recover a run being applied. While
        it writes the schools, users and sections, a second connection diffs the
        enrollments, with the roster ids the diff gave new records; while it inserts the
        enrollments, the second counts the changes and writes the whole change report in a
        transaction of its own, which commits first and is deleted again if the apply
        fails. The counts come first, so the apply skips the enrollment updates that have
        no rows.
        """
        side: list[asyncio.Task[Any]] = []
        staging_id, district_id = run.staging_id, run.district_id
        async with self._database.sessionmaker.begin() as session:
            await repository.commit_without_waiting_for_disk(session)
            await self._fence(session, run.id)
            try:
                side.append(asyncio.create_task(engine.diff_enrollments(staging_id, district_id)))
                await repository.apply_people_and_places(session, staging_id, district_id)
                await side[0]
                counting = asyncio.create_task(engine.counts(staging_id, kept))
                side.append(counting)
                side.append(asyncio.create_task(self._report(counting, run)))
                await repository.insert_enrollments(session, staging_id, district_id)
                counts: Counts = await counting  # long done: it tells which updates to run
                await repository.update_enrollments(
                    session, staging_id, district_id, counts["enrollments"]
                )
                await side[2]
            except BaseException:
                for task in side:
                    task.cancel()
                await asyncio.gather(*side, return_exceptions=True)
                await self._delete_report(run.id)
                raise
            await self._finish(session, run.id, counts)

    async def _fence(self, session: AsyncSession, run_id: uuid.UUID) -> None:
        """Inside the transaction that ends the run: still ours, and locked until it ends."""
        owner = self._owner
        if not await queue.extend_lease(session, run_id, owner.worker_id, owner.lease_seconds):
            raise RunOwnershipLostError(run_id)
        self.ending = True

    async def _finish(self, session: AsyncSession, run_id: uuid.UUID, counts: Counts) -> None:
        await queue.finish_run(
            session, run_id, self._owner.worker_id, status="successful", counts=counts
        )

    async def _report(self, counting: asyncio.Task[Counts], run: ClaimedRun) -> None:
        """The change report, once the changes are counted (one connection at a time beside
        the apply, so neither competes with it for the second core). Written beside the
        enrollment insert, which takes longer, rather than in the apply's first half, where
        the enrollment diff beside it sets the pace."""
        await counting
        async with self._database.sessionmaker.begin() as session:
            await repository.commit_without_waiting_for_disk(session)
            await repository.write_change_report(session, run.staging_id, run.district_id, run.id)

    async def _delete_report(self, run_id: uuid.UUID) -> None:
        async with self._database.sessionmaker.begin() as session:
            await repository.delete_change_report(session, run_id)

    async def fail(self, run_id: uuid.UUID, exc: BaseException | str) -> None:
        """Mark the run failed with an admin-readable message (never internals)."""
        if isinstance(exc, str):
            message = exc
        else:
            error = _first_app_error(exc)
            message = error.message if isinstance(error, AppError) else UNEXPECTED_FAILURE
            logger.warning(
                "sync failed", extra={"run_id": str(run_id), "error": type(error).__name__}
            )
        async with self._database.sessionmaker.begin() as session:
            await queue.finish_run(
                session, run_id, self._owner.worker_id, status="failed", error_message=message
            )


def _lost_ownership(exc: BaseException) -> bool:
    if isinstance(exc, BaseExceptionGroup):
        return any(_lost_ownership(e) for e in exc.exceptions)
    return isinstance(exc, RunOwnershipLostError)


def _first_app_error(exc: BaseException) -> BaseException:
    """The error that explains a failure, from inside the engine's task groups."""
    while isinstance(exc, BaseExceptionGroup):
        app_errors = [e for e in exc.exceptions if isinstance(_first_app_error(e), AppError)]
        exc = _first_app_error(app_errors[0]) if app_errors else exc.exceptions[0]
    return exc
