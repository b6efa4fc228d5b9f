"""Sync runs as the API and the CLI see them: queue one, read one, page through history."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from rostersync.accounts.dependencies import Caller
from rostersync.db import Database
from rostersync.db.errors import violated_constraint
from rostersync.districts import service as districts
from rostersync.districts.exceptions import DistrictNotFoundError
from rostersync.districts.models import District
from rostersync.errors import AppError
from rostersync.syncs import queue
from rostersync.syncs.counts import ACTIONS, ENTITIES
from rostersync.syncs.exceptions import (
    BadCursorError,
    DistrictNotSyncableError,
    OperatorMustNameDistrictError,
    ReportPrunedError,
    SyncAlreadyActiveError,
    SyncRunNotFoundError,
)
from rostersync.syncs.models import SyncRun
from rostersync.syncs.schemas import SyncCreate, SyncRunOut, SyncRunPage

HISTORY_PAGE_MAX = 100


async def create_run(
    session: AsyncSession,
    district: District,
    *,
    trigger: str,
    started_by: str,
    preview: bool = False,
) -> SyncRun:
    """Queue a new run; at most one may be active (queued, processing, held) per district."""
    require_active(district)
    try:
        async with session.begin_nested():
            return await queue.insert_run(
                session,
                district_id=district.id,
                trigger=trigger,
                started_by=started_by,
                preview=preview,
            )
    except IntegrityError as exc:
        if violated_constraint(exc) != "uq_sync_runs_one_active_per_district":
            raise
        active = await queue.active_run_id(session, district.id)
        raise SyncAlreadyActiveError(district.code, str(active)) from exc


def run_out(run: SyncRun, district_code: str) -> SyncRunOut:
    return SyncRunOut(
        id=run.id,
        district=district_code,
        trigger=run.trigger,
        started_by=run.started_by,
        status=run.status,
        preview=run.preview,
        created_at=run.created_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        counts=_in_order(run.counts),
        progress=run.progress,
        skipped=run.skipped,
        hold_reason=run.hold_reason,
        hold_details=run.hold_details,
        decided_by=run.decided_by,
        approved_at=run.approved_at,
        error=run.error_message,
    )


def _in_order(counts: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """Counts in the documented order of entities and actions (JSONB sorts its keys)."""
    return {
        entity: {action: counts[entity].get(action, 0) for action in ACTIONS}
        for entity in ENTITIES
        if entity in counts
    }


async def get_run_out(
    session: AsyncSession, run_id: uuid.UUID, district_id: int | None = None
) -> SyncRunOut | None:
    """The run as the API shows it; None when absent or of another district than given."""
    found = await queue.get_run(session, run_id, district_id)
    return None if found is None else run_out(*found)


async def load_run(database: Database, run_id: uuid.UUID) -> SyncRunOut:
    async with database.sessionmaker() as session:
        found = await get_run_out(session, run_id)
    if found is None:
        raise AppError(f"sync run {run_id} vanished", 500)
    return found


def require_active(district: District) -> None:
    if district.status != "active":
        raise DistrictNotSyncableError(
            f"District {district.code} is {district.status}; an operator must set it active "
            "(PATCH /districts/{code}) before it can sync."
        )


def require_clever_connection(district: District) -> None:
    """Refuse, with what to do, a district that cannot be synced from Clever now."""
    require_active(district)
    if district.source != "clever":
        raise DistrictNotSyncableError(
            f"District {district.code} takes OneRoster CSV uploads; there is no Clever to "
            f"sync. Upload its files (POST /districts/{district.code}/imports, or "
            f"`rostersync import --district {district.code} FILES`)."
        )
    if district.clever_token_encrypted is None:
        raise DistrictNotSyncableError(
            f"District {district.code} is not connected to Clever yet: run "
            f"`rostersync district connect --code {district.code} --clever-token …` "
            "or `rostersync clever discover`."
        )


async def caller_district(session: AsyncSession, caller: Caller, code: str | None) -> District:
    """The district a request is about: the caller's own, or the one an operator names.

    An Account Owner naming another district gets the same 404 as for a district that
    does not exist: other districts are invisible.
    """
    if caller.district_id is None:
        if not code:
            raise OperatorMustNameDistrictError
        return await districts.get_district(session, code)
    own = await districts.get_district_by_id(session, caller.district_id)
    if code and code.strip().upper() != own.code:
        raise DistrictNotFoundError(code)
    return own


async def start_on_demand(session: AsyncSession, caller: Caller, data: SyncCreate) -> SyncRunOut:
    """Sync Now: queue an `on_demand` run for the caller's district."""
    district = await caller_district(session, caller, data.district)
    require_clever_connection(district)
    run = await create_run(
        session, district, trigger="on_demand", started_by=caller.name, preview=data.preview
    )
    return run_out(run, district.code)


async def require_report(
    session: AsyncSession, caller: Caller, run_id: uuid.UUID, retention_days: int
) -> None:
    """404 for a run the caller cannot see; 410 once its report was pruned."""
    found = await queue.get_run(session, run_id, caller.district_id)
    if found is None:
        raise SyncRunNotFoundError(run_id)
    if found[0].report_pruned_at is not None:
        raise ReportPrunedError(retention_days)


async def get_visible_run(session: AsyncSession, caller: Caller, run_id: uuid.UUID) -> SyncRunOut:
    found = await get_run_out(session, run_id, caller.district_id)
    if found is None:
        raise SyncRunNotFoundError(run_id)
    return found


async def history(
    session: AsyncSession,
    caller: Caller,
    *,
    district_code: str | None,
    statuses: list[str],
    triggers: list[str],
    cursor: str | None,
    limit: int,
) -> SyncRunPage:
    """A page of the district's runs, newest first, and the cursor of the next page."""
    district = await caller_district(session, caller, district_code)
    runs = await queue.list_runs(
        session,
        district.id,
        statuses=statuses,
        triggers=triggers,
        before=decode_cursor(cursor) if cursor else None,
        limit=limit + 1,
    )
    items = [run_out(run, district.code) for run in runs[:limit]]
    more = len(runs) > limit
    return SyncRunPage(items=items, next_cursor=encode_cursor(runs[limit - 1]) if more else None)


def encode_cursor(run: SyncRun) -> str:
    raw = f"{run.created_at.isoformat()}|{run.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created_at, run_id = raw.split("|")
        return datetime.fromisoformat(created_at), uuid.UUID(run_id)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise BadCursorError from exc
