"""The scheduler: cron jobs that only enqueue work or tidy up, safe on every replica.

- nightly: one `scheduled` run per active Clever district, keyed by (district, local date),
  so N replicas firing make one run;
- discovery: districts that installed the app in Clever are connected (and get an `initial`
  run), districts whose token vanished are disconnected, their data kept;
- reaper: runs whose worker stopped are re-queued once, then failed; staging tables nobody
  owns are dropped; expired sign-in sessions are deleted.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from rostersync.accounts.repository import delete_expired_sessions
from rostersync.config import NightlySyncSettings, Settings
from rostersync.db import Database
from rostersync.errors import AppError
from rostersync.imports.repository import delete_unneeded as delete_unneeded_uploads
from rostersync.sso.service import forget_used_codes
from rostersync.syncs import clever, queue, repository
from rostersync.syncs.engine import SyncEngine

logger = logging.getLogger(__name__)

SYSTEM = "system"
# Long enough for a replica that was busy at midnight, short enough not to sync at noon.
NIGHTLY_MISFIRE_GRACE_S = 3600


_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def nightly_trigger(settings: NightlySyncSettings) -> CronTrigger:
    """NIGHTLY_SYNC_CRON read as crontab(5) reads it, in NIGHTLY_SYNC_TIMEZONE."""
    minute, hour, day, month, day_of_week = settings.cron.split()
    return CronTrigger(
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=crontab_weekdays(day_of_week),
        timezone=ZoneInfo(settings.timezone),
    )


def crontab_weekdays(field: str) -> str:
    """Crontab's day-of-week numbers (0 or 7 = Sunday) as names APScheduler reads rightly.

    APScheduler counts Monday as 0, so a plain `1-5` would mean Tuesday to Saturday.
    """
    return ",".join(_weekday_part(part) for part in field.split(","))


def _weekday_part(part: str) -> str:
    if match := re.fullmatch(r"(\d)-(\d)(?:/(\d+))?", part):
        first, last, step = int(match[1]), int(match[2]), int(match[3] or 1)
        return ",".join(_WEEKDAYS[day % 7] for day in range(first, last + 1, step))
    if re.fullmatch(r"\d", part):
        return _WEEKDAYS[int(part) % 7]
    return part


def nightly_date(trigger: CronTrigger, now: datetime) -> date:
    """The local date of the latest nightly fire time at or before `now` (a run's key).

    Every replica computes the same date for the same night, even one whose job starts
    late, after midnight, because the date comes from the schedule, not from the clock.
    """
    fire = trigger.get_next_fire_time(None, now - timedelta(days=2))
    latest = fire
    while fire is not None and fire <= now + timedelta(seconds=1):
        latest = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    assert latest is not None
    result: date = latest.date()
    return result


class SyncScheduler:
    """APScheduler's AsyncIOScheduler with rostersync's jobs."""

    def __init__(self, database: Database, http: httpx.AsyncClient, settings: Settings) -> None:
        self._database = database
        self._http = http
        self._settings = settings
        self._trigger = nightly_trigger(settings.nightly_sync)
        self._scheduler = AsyncIOScheduler(timezone=UTC)

    def start(self) -> None:
        jobs = self._settings.scheduler
        self._add(self.enqueue_nightly, self._trigger, misfire_grace_time=NIGHTLY_MISFIRE_GRACE_S)
        if self._settings.clever.client_id:
            self._add(
                self.discover,
                IntervalTrigger(minutes=jobs.discovery_minutes),
                next_run_time=datetime.now(UTC),
            )
        self._add(self.recover, IntervalTrigger(seconds=jobs.reaper_seconds))
        self._scheduler.start()

    def _add(self, job: Any, trigger: Any, **options: Any) -> None:
        self._scheduler.add_job(
            job, trigger, id=job.__name__, coalesce=True, max_instances=1, **options
        )

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    async def enqueue_nightly(self, now: datetime | None = None) -> int:
        """Queue tonight's runs; returns how many this replica created."""
        night = nightly_date(self._trigger, now or datetime.now(UTC))
        async with self._database.sessionmaker.begin() as session:
            created = await queue.enqueue_nightly(session, f"nightly:{night.isoformat()}:")
        logger.info("nightly syncs queued", extra={"runs": len(created), "night": str(night)})
        return len(created)

    async def discover(self) -> list[clever.Discovered]:
        """Connect new Clever districts and disconnect vanished ones (one replica at a time)."""
        try:
            async with self._database.sessionmaker.begin() as session:
                if not await _try_lock(session, "rostersync:discovery"):
                    return []
                found = await clever.discover(
                    session,
                    self._http,
                    self._settings,
                    disconnect_missing=True,
                    initial_sync=self._settings.initial_sync,
                )
        except (AppError, httpx.HTTPError) as exc:
            logger.warning("district discovery failed", extra={"error": type(exc).__name__})
            return []
        for district in found:
            if district.new or district.disconnected:
                logger.info(
                    "district discovered" if district.new else "district disconnected",
                    extra={"district": district.code},
                )
        return found

    async def recover(self) -> None:
        """Recover runs whose worker stopped; drop unowned staging; forget expired sessions
        and authorization codes too old to replay; delete change reports past retention
        and the uploads of runs that no longer need them."""
        lease = self._settings.worker.lease_seconds
        async with self._database.sessionmaker.begin() as session:
            recovered = await queue.recover_expired(session, lease)
            now = datetime.now(UTC)
            expired = await delete_expired_sessions(session, now)
            await forget_used_codes(session, now)
            pruned = await repository.prune_change_reports(
                session, self._settings.change_report_retention_days
            )
            uploads = await delete_unneeded_uploads(session)
        for run in recovered:
            logger.warning(
                "sync run recovered from a stopped worker",
                extra={"run_id": str(run.id), "status": run.status},
            )
        dropped = await SyncEngine(self._database.engine).drop_orphaned_staging()
        if dropped:
            logger.info("orphaned staging tables dropped", extra={"tables": dropped})
        if expired:
            logger.info("expired sessions deleted", extra={"sessions": expired})
        if pruned:
            logger.info("old change reports deleted", extra={"runs": pruned})
        if uploads:
            logger.info("uploads of finished runs deleted", extra={"runs": uploads})


async def _try_lock(session: AsyncSession, name: str) -> bool:
    """A transaction-scoped advisory lock, or False when another replica holds it."""
    result = await session.execute(
        text("SELECT pg_try_advisory_xact_lock(hashtext(:name))"), {"name": name}
    )
    return bool(result.scalar_one())
