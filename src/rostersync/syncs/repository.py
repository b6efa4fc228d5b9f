"""All SQL about sync runs, and the bulk statements that apply one."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from rostersync.districts.models import District
from rostersync.syncs.apply import (
    enrollment_report,
    enrollment_statements,
    people_and_places_report,
    people_and_places_statements,
    report_statements,
)
from rostersync.syncs.models import SyncChange, SyncRun
from rostersync.syncs.staging import StagingTables


async def insert_run(
    session: AsyncSession,
    *,
    district_id: int,
    trigger: str,
    started_by: str,
    preview: bool = False,
    status: str = "queued",
) -> SyncRun:
    run = SyncRun(
        district_id=district_id,
        trigger=trigger,
        started_by=started_by,
        preview=preview,
        status=status,
        started_at=func.now() if status == "processing" else None,
    )
    session.add(run)
    await session.flush()
    await session.refresh(run)
    return run


async def get_run_with_district(
    session: AsyncSession, run_id: uuid.UUID
) -> tuple[SyncRun, str] | None:
    result = await session.execute(
        select(SyncRun, District.code)
        .join(District, District.id == SyncRun.district_id)
        .where(SyncRun.id == run_id)
    )
    row = result.one_or_none()
    return None if row is None else (row[0], row[1])


async def active_run_id(session: AsyncSession, district_id: int) -> uuid.UUID | None:
    result = await session.execute(
        select(SyncRun.id).where(
            SyncRun.district_id == district_id,
            SyncRun.status.in_(("queued", "processing", "on_hold")),
        )
    )
    return result.scalar_one_or_none()


async def save_progress(session: AsyncSession, run_id: uuid.UUID, progress: dict[str, Any]) -> None:
    await session.execute(
        update(SyncRun)
        .where(SyncRun.id == run_id)
        .values(progress=progress, heartbeat_at=func.now())
    )


async def finish_run(
    session: AsyncSession,
    run_id: uuid.UUID,
    *,
    status: str,
    counts: dict[str, Any] | None = None,
    error_message: str | None = None,
) -> None:
    values: dict[str, Any] = {"status": status, "finished_at": func.now()}
    if counts is not None:
        values["counts"] = counts
    if error_message is not None:
        values["error_message"] = error_message
    await session.execute(update(SyncRun).where(SyncRun.id == run_id).values(**values))


async def apply_people_and_places(
    session: AsyncSession, run_id: uuid.UUID, district_id: int
) -> None:
    """Write the diffed schools, users and sections into the roster (the session's transaction)."""
    await _execute(session, people_and_places_statements(StagingTables(run_id), district_id))


async def apply_enrollments(session: AsyncSession, run_id: uuid.UUID, district_id: int) -> None:
    """Then the enrollments, once their rows are prepared; same transaction."""
    await _execute(session, enrollment_statements(StagingTables(run_id), district_id))


async def _execute(session: AsyncSession, statements: list[str]) -> None:
    connection = await session.connection()
    for statement in statements:
        await connection.exec_driver_sql(statement)


async def write_change_report(session: AsyncSession, run_id: uuid.UUID, district_id: int) -> None:
    await _execute(session, report_statements(StagingTables(run_id), district_id, run_id))


async def write_people_and_places_report(
    session: AsyncSession, run_id: uuid.UUID, district_id: int
) -> None:
    await _execute(session, people_and_places_report(StagingTables(run_id), district_id, run_id))


async def write_enrollment_report(
    session: AsyncSession, run_id: uuid.UUID, district_id: int
) -> None:
    await _execute(session, enrollment_report(StagingTables(run_id), district_id, run_id))


async def commit_without_waiting_for_disk(session: AsyncSession) -> None:
    """This transaction's commit returns before its WAL is flushed.

    A crash at that instant loses the whole transaction, never a part of it. A sync's
    transactions carry their run's status, so losing one is the run never having happened
    (its staged snapshot can be synced again); saving the wait matters when the transaction
    wrote a million rows.
    """
    await session.execute(text("SET LOCAL synchronous_commit = off"))


async def delete_change_report(session: AsyncSession, run_id: uuid.UUID) -> None:
    await session.execute(delete(SyncChange).where(SyncChange.sync_run_id == run_id))
