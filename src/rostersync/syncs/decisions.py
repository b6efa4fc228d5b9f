"""Deciding a held run: approve applies the snapshot it was held with, discard drops it."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from rostersync.accounts.dependencies import Caller
from rostersync.districts.service import get_district_by_id
from rostersync.syncs import queue
from rostersync.syncs.exceptions import (
    RunNotHeldError,
    StaleSnapshotError,
    StillOverLicenseError,
    SyncRunNotFoundError,
)
from rostersync.syncs.guards import license_exceeded
from rostersync.syncs.models import SyncRun
from rostersync.syncs.schemas import SyncRunOut
from rostersync.syncs.service import run_out


async def approve(session: AsyncSession, caller: Caller, run_id: uuid.UUID) -> SyncRunOut:
    """Queue a held run again to apply exactly the snapshot it showed.

    Refused when another run has changed the roster since (the snapshot's diff is stale),
    and while the students it would keep still exceed the district's license.
    """
    run, code = await _held_run(session, caller, run_id)
    district = await get_district_by_id(session, run.district_id)
    assert run.started_at is not None
    if await queue.applied_since(session, district.id, run.started_at):
        raise StaleSnapshotError(code)
    students = int((run.hold_details or {}).get("students_after", 0))
    if license_exceeded(students, district.student_license_limit):
        assert district.student_license_limit is not None
        raise StillOverLicenseError(code, students, district.student_license_limit)
    await _decide(session, run, approve=True, caller=caller)
    return run_out(run, code)


async def discard(session: AsyncSession, caller: Caller, run_id: uuid.UUID) -> SyncRunOut:
    """Drop a held run: the roster stays as it is; its snapshot is removed."""
    run, code = await _held_run(session, caller, run_id)
    await _decide(session, run, approve=False, caller=caller)
    return run_out(run, code)


async def _held_run(
    session: AsyncSession, caller: Caller, run_id: uuid.UUID
) -> tuple[SyncRun, str]:
    found = await queue.get_run(session, run_id, caller.district_id)
    if found is None:
        raise SyncRunNotFoundError(run_id)
    run, code = found
    if run.status != "on_hold":
        raise RunNotHeldError(run.status)
    return run, code


async def _decide(session: AsyncSession, run: SyncRun, *, approve: bool, caller: Caller) -> None:
    if not await queue.decide_held_run(session, run.id, approve=approve, decided_by=caller.name):
        await session.refresh(run)
        raise RunNotHeldError(run.status)  # decided by someone else a moment ago
    await session.refresh(run)
