"""Running one sync: the engine's steps, and the run's record of what happened."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from rostersync.db import Database
from rostersync.db.errors import violated_constraint
from rostersync.districts.models import District
from rostersync.errors import AppError
from rostersync.roster.sources import RosterSource
from rostersync.syncs import repository
from rostersync.syncs.counts import Counts
from rostersync.syncs.engine import StageProgress, SyncEngine
from rostersync.syncs.exceptions import DistrictNotSyncableError, SyncAlreadyActiveError
from rostersync.syncs.models import SyncRun
from rostersync.syncs.schemas import SyncRunOut

logger = logging.getLogger(__name__)

PROGRESS_SAVE_INTERVAL_S = 1.0
UNEXPECTED_FAILURE = "the sync failed unexpectedly; the roster was left unchanged (run id in logs)"

ProgressListener = Callable[[StageProgress], Awaitable[None]]


async def create_run(
    session: AsyncSession,
    district: District,
    *,
    trigger: str,
    started_by: str,
    preview: bool = False,
    status: str = "queued",
) -> SyncRun:
    """Record a new run; at most one may be active per district."""
    if district.status != "active":
        raise DistrictNotSyncableError(
            f"District {district.code} is {district.status}; set it active before syncing."
        )
    try:
        async with session.begin_nested():
            return await repository.insert_run(
                session,
                district_id=district.id,
                trigger=trigger,
                started_by=started_by,
                preview=preview,
                status=status,
            )
    except IntegrityError as exc:
        if violated_constraint(exc) != "uq_sync_runs_one_active_per_district":
            raise
        active = await repository.active_run_id(session, district.id)
        raise SyncAlreadyActiveError(district.code, str(active)) from exc


class RunExecutor:
    """Stages, diffs and applies one run, saving progress as it goes."""

    def __init__(self, database: Database, listener: ProgressListener | None = None) -> None:
        self._database = database
        self._listener = listener
        self._last_saved = 0.0

    async def execute(
        self, run_id: uuid.UUID, district_id: int, source: RosterSource, *, preview: bool
    ) -> None:
        engine = SyncEngine(self._database.engine, on_progress=self._progress(run_id))
        try:
            await engine.stage(run_id, district_id, source)
            if preview:
                await self._preview(engine, run_id, district_id)
            else:
                await engine.diff_people_and_places(run_id, district_id)
                await self._apply(engine, run_id, district_id)
        except BaseException as exc:
            await self._fail(run_id, exc)
            if not isinstance(_first_app_error(exc), AppError):
                raise
        finally:
            await engine.drop_staging(run_id)

    def _progress(self, run_id: uuid.UUID) -> Callable[[StageProgress], Awaitable[None]]:
        async def on_progress(progress: StageProgress) -> None:
            if self._listener is not None:
                await self._listener(progress)
            now = time.monotonic()
            finished = all(c.done for c in progress.collections.values())
            if finished or now - self._last_saved >= PROGRESS_SAVE_INTERVAL_S:
                self._last_saved = now
                async with self._database.sessionmaker.begin() as session:
                    await repository.save_progress(session, run_id, progress.as_dict())

        return on_progress

    async def _preview(self, engine: SyncEngine, run_id: uuid.UUID, district_id: int) -> None:
        counts = await engine.diff(run_id, district_id)
        async with self._database.sessionmaker.begin() as session:
            await repository.write_change_report(session, run_id, district_id)
            await repository.finish_run(session, run_id, status="successful", counts=counts)

    async def _apply(self, engine: SyncEngine, run_id: uuid.UUID, district_id: int) -> None:
        """Apply in one transaction, with the enrollment diff and the report on a second core.

        While this transaction inserts and reports the new schools, users and sections, a
        second connection diffs the enrollments, with the roster ids the diff gave new
        records; while it inserts the enrollments, the second counts and reports them in a
        transaction of its own, which commits first and is deleted again if the apply fails.
        """
        side: list[asyncio.Task[Any]] = []
        async with self._database.sessionmaker.begin() as session:
            await repository.commit_without_waiting_for_disk(session)
            try:
                side.append(asyncio.create_task(engine.diff_enrollments(run_id, district_id)))
                await repository.apply_people_and_places(session, run_id, district_id)
                # Reported here, in the apply's transaction, while the enrollments are diffed.
                await repository.write_people_and_places_report(session, run_id, district_id)
                await side[0]
                side.append(
                    asyncio.create_task(self._count_and_report(engine, run_id, district_id))
                )
                await repository.apply_enrollments(session, run_id, district_id)
                counts: Counts = await side[1]
            except BaseException:
                for task in side:
                    task.cancel()
                await asyncio.gather(*side, return_exceptions=True)
                await self._delete_report(run_id)
                raise
            await repository.finish_run(session, run_id, status="successful", counts=counts)

    async def _count_and_report(
        self, engine: SyncEngine, run_id: uuid.UUID, district_id: int
    ) -> Counts:
        counts = await engine.counts(run_id)
        async with self._database.sessionmaker.begin() as session:
            await repository.commit_without_waiting_for_disk(session)
            await repository.write_enrollment_report(session, run_id, district_id)
        return counts

    async def _delete_report(self, run_id: uuid.UUID) -> None:
        async with self._database.sessionmaker.begin() as session:
            await repository.delete_change_report(session, run_id)

    async def _fail(self, run_id: uuid.UUID, exc: BaseException) -> None:
        error = _first_app_error(exc)
        message = error.message if isinstance(error, AppError) else UNEXPECTED_FAILURE
        logger.warning("sync failed", extra={"run_id": str(run_id), "error": type(error).__name__})
        async with self._database.sessionmaker.begin() as session:
            await repository.finish_run(session, run_id, status="failed", error_message=message)


def _first_app_error(exc: BaseException) -> BaseException:
    """The error that explains a failure, from inside the engine's task groups."""
    while isinstance(exc, BaseExceptionGroup):
        app_errors = [e for e in exc.exceptions if isinstance(_first_app_error(e), AppError)]
        exc = _first_app_error(app_errors[0]) if app_errors else exc.exceptions[0]
    return exc


async def get_run_out(session: AsyncSession, run_id: uuid.UUID) -> SyncRunOut | None:
    found = await repository.get_run_with_district(session, run_id)
    if found is None:
        return None
    run, code = found
    return SyncRunOut(
        id=run.id,
        district=code,
        trigger=run.trigger,
        started_by=run.started_by,
        status=run.status,
        preview=run.preview,
        created_at=run.created_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        counts=run.counts,
        progress=run.progress,
        hold_reason=run.hold_reason,
        error=run.error_message,
    )
