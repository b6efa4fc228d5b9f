"""The bulk statements that apply a run and write its change report (queue SQL: queue.py)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from rostersync.syncs.apply import (
    enrollment_insert,
    enrollment_updates,
    people_and_places_statements,
    report_statements,
)
from rostersync.syncs.exceptions import RunOwnershipLostError
from rostersync.syncs.models import SyncChange, SyncRun
from rostersync.syncs.staging import StagingTables


async def apply_people_and_places(
    session: AsyncSession, staging_id: uuid.UUID, district_id: int
) -> None:
    """Write the diffed schools, users and sections into the roster (the session's transaction)."""
    await _execute(session, people_and_places_statements(StagingTables(staging_id), district_id))


async def apply_enrollments(session: AsyncSession, staging_id: uuid.UUID, district_id: int) -> None:
    """Then the enrollments, once their rows are prepared; same transaction."""
    await insert_enrollments(session, staging_id, district_id)
    await update_enrollments(session, staging_id, district_id)


async def insert_enrollments(
    session: AsyncSession, staging_id: uuid.UUID, district_id: int
) -> None:
    await _execute(session, [enrollment_insert(StagingTables(staging_id), district_id)])


async def update_enrollments(
    session: AsyncSession,
    staging_id: uuid.UUID,
    district_id: int,
    actions: Mapping[str, int] | None = None,
) -> None:
    """Update, reactivate, deactivate; `actions` (the diff's counts, when known) skips the
    statements with nothing to do."""
    await _execute(session, enrollment_updates(StagingTables(staging_id), district_id, actions))


async def _execute(session: AsyncSession, statements: list[str]) -> None:
    connection = await session.connection()
    for statement in statements:
        await connection.exec_driver_sql(statement)


async def write_change_report(
    session: AsyncSession, staging_id: uuid.UUID, district_id: int, run_id: uuid.UUID
) -> None:
    await _write_report(
        session, run_id, report_statements(StagingTables(staging_id), district_id, run_id)
    )


async def _write_report(session: AsyncSession, run_id: uuid.UUID, statements: list[str]) -> None:
    """Report rows belong to a run that exists, checked once for the statement rather than
    once per row (migration 0015). Not locked: the report is written beside the apply,
    whose transaction holds the run's row while heartbeats queue for it, and runs
    are never deleted while they execute (only with their district)."""
    found = await session.execute(select(SyncRun.id).where(SyncRun.id == run_id))
    if found.scalar_one_or_none() is None:
        raise RunOwnershipLostError(run_id)
    await _execute(session, statements)


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


async def prune_change_reports(session: AsyncSession, retention_days: int, limit: int = 50) -> int:
    """Delete the change reports of runs finished more than `retention_days` ago (at most
    `limit` runs per call); the runs stay, marked `report_pruned_at`."""
    result = await session.execute(
        text(
            """
            UPDATE sync_runs SET report_pruned_at = now()
            WHERE id IN (SELECT id FROM sync_runs
                         WHERE report_pruned_at IS NULL
                           AND finished_at < now() - make_interval(days => :days)
                         ORDER BY finished_at LIMIT :limit FOR UPDATE SKIP LOCKED)
            RETURNING id
            """
        ),
        {"days": retention_days, "limit": limit},
    )
    pruned = [row.id for row in result]
    if pruned:
        await session.execute(delete(SyncChange).where(SyncChange.sync_run_id.in_(pruned)))
    return len(pruned)
