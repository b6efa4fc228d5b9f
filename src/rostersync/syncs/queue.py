"""All SQL about the run queue: enqueue, claim, lease, fence, recover, list; and workers.

Every change of a run's status or progress is announced with NOTIFY in the same
transaction, so that listeners (SSE clients on any replica, idle workers) hear of it once
it is committed, and never of a change that was rolled back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import and_, case, delete, func, literal, null, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from rostersync.districts.models import District
from rostersync.syncs.models import ACTIVE_SYNC_STATUSES, SyncRun, SyncWorker

CHANNEL = "rostersync_sync_runs"
# A run is claimed at most this many times: re-queued once after its worker died, then failed.
MAX_ATTEMPTS = 2
_DAY = text("interval '1 day'")
WORKER_STOPPED = "the sync worker stopped unexpectedly; the roster was left unchanged"


@dataclass(frozen=True)
class ClaimedRun:
    """A run this worker now owns; its staging tables are named after `staging_id`.

    Each claim stages afresh under a new id, so a worker that lost its run (and has not
    noticed yet) can never write into, or drop, the tables of the worker that took it over.
    """

    id: uuid.UUID
    district_id: int
    preview: bool
    attempts: int
    staging_id: uuid.UUID
    trigger: str
    # An approved held run: its snapshot is staged and diffed already, only applying is left.
    approved: bool = False


@dataclass(frozen=True)
class RecoveredRun:
    id: uuid.UUID
    district_id: int
    status: str


async def notify(session: AsyncSession, run_id: uuid.UUID, district_id: int, kind: str) -> None:
    """Announce, on commit, that run `run_id` changed (`kind`: status or progress)."""
    payload = orjson.dumps({"id": str(run_id), "district_id": district_id, "kind": kind})
    await session.execute(
        text("SELECT pg_notify(:channel, :payload)"),
        {"channel": CHANNEL, "payload": payload.decode()},
    )


def _seconds(seconds: float) -> Any:
    return func.make_interval(0, 0, 0, 0, 0, 0, seconds)


def _lease(seconds: float) -> Any:
    return func.now() + _seconds(seconds)


async def insert_run(
    session: AsyncSession,
    *,
    district_id: int,
    trigger: str,
    started_by: str,
    preview: bool = False,
    idempotency_key: str | None = None,
) -> SyncRun:
    """A queued run (the one-active-run index may refuse it: IntegrityError)."""
    run = SyncRun(
        district_id=district_id,
        trigger=trigger,
        started_by=started_by,
        preview=preview,
        idempotency_key=idempotency_key,
    )
    session.add(run)
    await session.flush()
    await session.refresh(run)
    await notify(session, run.id, district_id, "status")
    return run


async def enqueue_nightly(
    session: AsyncSession, key_prefix: str, started_by: str = "system"
) -> list[tuple[uuid.UUID, int]]:
    """One `scheduled` run per active Clever district, unless one exists with the same key.

    The key (`key_prefix` plus the district id) makes N schedulers firing for the same night
    make one run. A district with an active run is passed over by the one-active-run index,
    and gets a `skipped` run in its history that says why.
    """
    result = await session.execute(
        text(
            """
            INSERT INTO sync_runs (district_id, trigger, started_by, idempotency_key)
            SELECT d.id, 'scheduled', :started_by, :prefix || d.id
            FROM districts d
            WHERE d.status = 'active' AND d.source = 'clever'
              AND d.clever_token_encrypted IS NOT NULL
            ORDER BY d.id
            ON CONFLICT DO NOTHING
            RETURNING id, district_id
            """
        ),
        {"prefix": key_prefix, "started_by": started_by},
    )
    created = [(row.id, row.district_id) for row in result]
    for run_id, district_id in created + await _record_skipped(session, key_prefix, started_by):
        await notify(session, run_id, district_id, "status")
    return created


async def _record_skipped(
    session: AsyncSession, key_prefix: str, started_by: str
) -> list[tuple[uuid.UUID, int]]:
    """A `skipped` run, with the reason, for each district the nightly insert passed over
    because a run was active; the same key keeps it to one per night."""
    result = await session.execute(
        text(
            """
            INSERT INTO sync_runs (district_id, trigger, started_by, idempotency_key, status,
                                   started_at, finished_at, error_message)
            SELECT d.id, 'scheduled', :started_by, :prefix || d.id, 'skipped', now(), now(),
                   CASE WHEN r.status = 'on_hold' THEN
                        'Skipped: the sync started ' || to_char(r.created_at AT TIME ZONE 'UTC',
                        'YYYY-MM-DD HH24:MI') || ' UTC is on hold (' || r.hold_reason
                        || '); approve or discard it (run ' || r.id || ') so that syncs resume.'
                   ELSE 'Skipped: sync ' || r.id || ' was still ' || r.status || '.' END
            FROM districts d
            JOIN sync_runs r ON r.district_id = d.id
                            AND r.status IN ('queued', 'processing', 'on_hold')
            WHERE d.status = 'active' AND d.source = 'clever'
              AND d.clever_token_encrypted IS NOT NULL
              AND (r.idempotency_key IS NULL OR r.idempotency_key <> :prefix || d.id)
            ORDER BY d.id
            ON CONFLICT DO NOTHING
            RETURNING id, district_id
            """
        ),
        {"prefix": key_prefix, "started_by": started_by},
    )
    return [(row.id, row.district_id) for row in result]


async def claim_next(
    session: AsyncSession, worker_id: str, lease_seconds: float
) -> ClaimedRun | None:
    """Take the oldest queued run; concurrent workers skip each other's rows."""
    oldest = (
        select(SyncRun.id)
        .where(SyncRun.status == "queued")
        .order_by(SyncRun.created_at)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    return await _claim(session, SyncRun.id == oldest, worker_id, lease_seconds)


async def claim_run(
    session: AsyncSession, run_id: uuid.UUID, worker_id: str, lease_seconds: float
) -> ClaimedRun | None:
    """Take this queued run (the CLI runs its own run inline)."""
    where = and_(SyncRun.id == run_id, SyncRun.status == "queued")
    return await _claim(session, where, worker_id, lease_seconds)


async def _claim(
    session: AsyncSession, where: Any, worker_id: str, lease_seconds: float
) -> ClaimedRun | None:
    result = await session.execute(
        update(SyncRun)
        .where(where)
        .values(
            status="processing",
            worker_id=worker_id,
            started_at=func.coalesce(SyncRun.started_at, func.now()),
            heartbeat_at=func.now(),
            lease_expires_at=_lease(lease_seconds),
            attempts=SyncRun.attempts + 1,
            # A fresh snapshot per claim; an approved run applies the one it was held with.
            staging_id=case(
                (SyncRun.approved_at.is_not(None), SyncRun.staging_id),
                else_=func.gen_random_uuid(),
            ),
            progress=case(
                (SyncRun.approved_at.is_not(None), SyncRun.progress),
                else_=text("'{}'::jsonb"),
            ),
        )
        .returning(
            SyncRun.id,
            SyncRun.district_id,
            SyncRun.preview,
            SyncRun.attempts,
            SyncRun.staging_id,
            SyncRun.trigger,
            SyncRun.approved_at.is_not(None),
        )
    )
    row = result.one_or_none()
    if row is None:
        return None
    run_id, district_id, preview, attempts, staging_id, trigger, approved = row
    assert staging_id is not None  # set by this very claim
    await notify(session, run_id, district_id, "status")
    return ClaimedRun(
        run_id, district_id, preview, attempts, staging_id, trigger, approved=bool(approved)
    )


def _owned(run_id: uuid.UUID, worker_id: str) -> Any:
    return and_(
        SyncRun.id == run_id, SyncRun.worker_id == worker_id, SyncRun.status == "processing"
    )


async def extend_lease(
    session: AsyncSession, run_id: uuid.UUID, worker_id: str, lease_seconds: float
) -> bool:
    """Heartbeat (and fence): False when this worker no longer owns the run.

    Inside the apply's transaction this also locks the run's row until the commit, so no
    other replica can recover the run while its changes are being written.
    """
    result = await session.execute(
        update(SyncRun)
        .where(_owned(run_id, worker_id))
        .values(heartbeat_at=func.now(), lease_expires_at=_lease(lease_seconds))
        .returning(SyncRun.id)
    )
    return result.one_or_none() is not None


async def save_skipped(
    session: AsyncSession, run_id: uuid.UUID, worker_id: str, skipped: dict[str, int]
) -> bool:
    """Record the rows the source left out on purpose (announced with the progress)."""
    return await _update_owned(session, run_id, worker_id, {"skipped": skipped}, "progress")


async def save_progress(
    session: AsyncSession, run_id: uuid.UUID, worker_id: str, progress: dict[str, Any]
) -> bool:
    values = {"progress": progress, "heartbeat_at": func.now()}
    return await _update_owned(session, run_id, worker_id, values, "progress")


async def finish_run(
    session: AsyncSession,
    run_id: uuid.UUID,
    worker_id: str,
    *,
    status: str,
    counts: dict[str, Any] | None = None,
    error_message: str | None = None,
) -> bool:
    """End an owned run; False (and no change) when another worker or the reaper took it."""
    values: dict[str, Any] = {
        "status": status,
        "finished_at": func.now(),
        "worker_id": None,
        "lease_expires_at": None,
    }
    if counts is not None:
        values["counts"] = counts
    if error_message is not None:
        values["error_message"] = error_message
    return await _update_owned(session, run_id, worker_id, values, "status")


async def hold_run(
    session: AsyncSession,
    run_id: uuid.UUID,
    worker_id: str,
    *,
    reason: str,
    details: dict[str, Any],
    counts: dict[str, Any],
) -> bool:
    """Stop an owned run `on_hold`: its snapshot stays staged until it is decided."""
    values: dict[str, Any] = {
        "status": "on_hold",
        "hold_reason": reason,
        "hold_details": details,
        "counts": counts,
        "worker_id": None,
        "lease_expires_at": None,
    }
    return await _update_owned(session, run_id, worker_id, values, "status")


async def decide_held_run(
    session: AsyncSession, run_id: uuid.UUID, *, approve: bool, decided_by: str
) -> bool:
    """Approve (queue again, to apply its snapshot) or discard a held run; False when it
    is no longer held (decided meanwhile)."""
    values: dict[str, Any] = {"decided_by": decided_by}
    if approve:
        values |= {"status": "queued", "approved_at": func.now(), "attempts": 0}
    else:
        values |= {"status": "discarded", "finished_at": func.now()}
    result = await session.execute(
        update(SyncRun)
        .where(SyncRun.id == run_id, SyncRun.status == "on_hold")
        .values(**values)
        .returning(SyncRun.district_id)
    )
    district_id = result.scalar_one_or_none()
    if district_id is None:
        return False
    await notify(session, run_id, district_id, "status")
    return True


async def applied_since(session: AsyncSession, district_id: int, since: datetime) -> bool:
    """Whether a run changed the district's roster after `since` (held snapshots go stale)."""
    result = await session.execute(
        select(SyncRun.id)
        .where(
            SyncRun.district_id == district_id,
            SyncRun.status == "successful",
            SyncRun.preview.is_(False),
            SyncRun.finished_at > since,
        )
        .limit(1)
    )
    return result.first() is not None


async def release(session: AsyncSession, run_id: uuid.UUID, worker_id: str) -> bool:
    """Give an owned run back to the queue (a worker shutting down); the claim is not counted."""
    values: dict[str, Any] = {
        "status": "queued",
        "worker_id": None,
        "lease_expires_at": None,
        "progress": {},
        "attempts": func.greatest(SyncRun.attempts - 1, 0),
    }
    return await _update_owned(session, run_id, worker_id, values, "status")


async def _update_owned(
    session: AsyncSession, run_id: uuid.UUID, worker_id: str, values: dict[str, Any], kind: str
) -> bool:
    """Change a run this worker owns and announce it; False when it is no longer its own."""
    result = await session.execute(
        update(SyncRun)
        .where(_owned(run_id, worker_id))
        .values(**values)
        .returning(SyncRun.district_id)
    )
    district_id = result.scalar_one_or_none()
    if district_id is None:
        return False
    await notify(session, run_id, district_id, kind)
    return True


async def recover_expired(session: AsyncSession, lease_seconds: float) -> list[RecoveredRun]:
    """Re-queue, or fail after MAX_ATTEMPTS claims, every processing run whose lease expired.

    Rows locked by an apply in progress are skipped: that worker is demonstrably alive.
    """
    # Runs from before leases existed have none: their last sign of life counts.
    last_seen = func.coalesce(SyncRun.heartbeat_at, SyncRun.started_at)
    expiry = func.coalesce(SyncRun.lease_expires_at, last_seen + _seconds(lease_seconds))
    expired = (
        select(SyncRun.id)
        .where(SyncRun.status == "processing", expiry < func.now())
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    retry = SyncRun.attempts < MAX_ATTEMPTS
    result = await session.execute(
        update(SyncRun)
        .where(SyncRun.id.in_(expired))
        .values(
            status=case((retry, literal("queued")), else_=literal("failed")),
            finished_at=case((retry, null()), else_=func.now()),
            error_message=case((retry, SyncRun.error_message), else_=literal(WORKER_STOPPED)),
            worker_id=None,
            lease_expires_at=None,
        )
        .returning(SyncRun.id, SyncRun.district_id, SyncRun.status)
    )
    recovered = [RecoveredRun(row.id, row.district_id, row.status) for row in result]
    for run in recovered:
        await notify(session, run.id, run.district_id, "status")
    return recovered


async def get_run(
    session: AsyncSession, run_id: uuid.UUID, district_id: int | None = None
) -> tuple[SyncRun, str] | None:
    """A run with its district's code; None when absent or of another district."""
    query = (
        select(SyncRun, District.code)
        .join(District, District.id == SyncRun.district_id)
        .where(SyncRun.id == run_id)
    )
    if district_id is not None:
        query = query.where(SyncRun.district_id == district_id)
    row = (await session.execute(query)).one_or_none()
    return None if row is None else (row[0], row[1])


async def list_runs(
    session: AsyncSession,
    district_id: int,
    *,
    statuses: list[str],
    triggers: list[str],
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[SyncRun]:
    """A district's runs, newest first, after the cursor `before` (created_at, id)."""
    query = select(SyncRun).where(SyncRun.district_id == district_id)
    if statuses:
        query = query.where(SyncRun.status.in_(statuses))
    if triggers:
        query = query.where(SyncRun.trigger.in_(triggers))
    if before is not None:
        query = query.where(tuple_(SyncRun.created_at, SyncRun.id) < tuple_(*before))
    query = query.order_by(SyncRun.created_at.desc(), SyncRun.id.desc()).limit(limit)
    return list((await session.execute(query)).scalars())


async def active_run_id(session: AsyncSession, district_id: int) -> uuid.UUID | None:
    result = await session.execute(
        select(SyncRun.id).where(
            SyncRun.district_id == district_id, SyncRun.status.in_(ACTIVE_SYNC_STATUSES)
        )
    )
    return result.scalar_one_or_none()


async def register_worker(session: AsyncSession, worker_id: str) -> None:
    """Record a worker as alive now (on start, and again every heartbeat interval)."""
    await session.execute(
        text(
            "INSERT INTO sync_workers (id) VALUES (:id) "
            "ON CONFLICT (id) DO UPDATE SET seen_at = now()"
        ),
        {"id": worker_id},
    )


async def remove_worker(session: AsyncSession, worker_id: str) -> None:
    await session.execute(delete(SyncWorker).where(SyncWorker.id == worker_id))


async def live_workers(session: AsyncSession, within_seconds: float) -> int:
    """Workers heard from within `within_seconds`; stale rows of dead workers are pruned."""
    await session.execute(delete(SyncWorker).where(SyncWorker.seen_at < func.now() - _DAY))
    window = func.now() - _seconds(within_seconds)
    result = await session.execute(
        select(func.count()).select_from(SyncWorker).where(SyncWorker.seen_at >= window)
    )
    return int(result.scalar_one())
