"""The scheduler's jobs: the nightly trigger across DST, one run per night, discovery."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest
from pydantic import SecretStr
from sqlalchemy import select, text

from rostersync.config import NightlySyncSettings, Settings
from rostersync.db import Database
from rostersync.districts.models import District
from rostersync.syncs.models import SyncRun
from rostersync.syncs.scheduler import (
    SyncScheduler,
    crontab_weekdays,
    nightly_date,
    nightly_trigger,
)
from tests.syncs.conftest import Clever, ListSource, connect, execute_now, make_district, person


def at(text_: str) -> datetime:
    return datetime.fromisoformat(text_).astimezone(UTC)


@pytest.mark.parametrize(
    ("now", "fires_at"),
    [
        # Pacific Standard Time (UTC-8) in January, Daylight Time (UTC-7) in July.
        ("2026-01-15T12:00:00+00:00", "2026-01-16T08:00:00+00:00"),
        ("2026-07-15T12:00:00+00:00", "2026-07-16T07:00:00+00:00"),
        # The nights DST starts (8 March) and ends (1 November) in 2026.
        ("2026-03-08T12:00:00+00:00", "2026-03-09T07:00:00+00:00"),
        ("2026-10-31T12:00:00+00:00", "2026-11-01T07:00:00+00:00"),
        ("2026-11-01T12:00:00+00:00", "2026-11-02T08:00:00+00:00"),
    ],
)
def test_the_nightly_sync_fires_at_midnight_pacific(now: str, fires_at: str) -> None:
    trigger = nightly_trigger(NightlySyncSettings())
    assert trigger.get_next_fire_time(None, at(now)) == at(fires_at)


def test_the_nightly_schedule_follows_its_settings() -> None:
    settings = NightlySyncSettings(cron="30 2 * * 1-5", timezone="America/New_York")
    trigger = nightly_trigger(settings)
    # Friday 16 January 2026, 12:00 UTC -> Monday 19 January, 02:30 EST = 07:30 UTC.
    assert trigger.get_next_fire_time(None, at("2026-01-16T12:00:00+00:00")) == at(
        "2026-01-19T07:30:00+00:00"
    )


@pytest.mark.parametrize(
    ("now", "night"),
    [
        ("2026-01-16T08:00:00+00:00", date(2026, 1, 16)),  # on time
        ("2026-01-16T08:40:00+00:00", date(2026, 1, 16)),  # a replica 40 minutes late
        ("2026-01-16T07:59:00+00:00", date(2026, 1, 15)),  # a minute early: last night's
    ],
)
def test_every_replica_keys_a_night_by_the_same_date(now: str, night: date) -> None:
    assert nightly_date(nightly_trigger(NightlySyncSettings()), at(now)) == night


async def runs(database: Database) -> list[SyncRun]:
    async with database.sessionmaker() as session:
        result = await session.execute(select(SyncRun).order_by(SyncRun.created_at))
        return list(result.scalars())


async def connected_districts(database: Database, clever: Clever) -> list[District]:
    return [
        await connect(database, clever, "RIVERSIDE", 0),
        await connect(database, clever, "LAKESIDE", 1),
    ]


async def test_two_schedulers_firing_make_one_run_per_district(
    database: Database, clever: Clever
) -> None:
    active, paused = await connected_districts(database, clever)
    async with database.engine.begin() as connection:
        await connection.execute(
            text("UPDATE districts SET status = 'paused' WHERE id = :id"), {"id": paused.id}
        )
    await make_district(database, "NOCLEVER")  # never connected: nothing to sync
    replicas = [SyncScheduler(database, clever.http, clever.settings) for _ in range(2)]
    night = at("2026-01-16T08:00:05+00:00")

    created = await asyncio.gather(*(r.enqueue_nightly(night) for r in replicas))

    assert sorted(created) == [0, 1]
    [run] = await runs(database)
    assert (run.district_id, run.trigger, run.started_by, run.status) == (
        active.id,
        "scheduled",
        "system",
        "queued",
    )
    assert run.idempotency_key == f"nightly:2026-01-16:{active.id}"


async def test_a_late_replica_does_not_sync_the_same_night_again(
    database: Database, clever: Clever
) -> None:
    await connected_districts(database, clever)
    scheduler = SyncScheduler(database, clever.http, clever.settings)
    assert await scheduler.enqueue_nightly(at("2026-01-16T08:00:00+00:00")) == 2
    async with database.engine.begin() as connection:  # tonight's runs are done by now
        await connection.execute(
            text(
                "UPDATE sync_runs SET status = 'successful', "
                "started_at = now(), finished_at = now()"
            )
        )
    assert await scheduler.enqueue_nightly(at("2026-01-16T08:45:00+00:00")) == 0
    assert await scheduler.enqueue_nightly(at("2026-01-17T08:00:00+00:00")) == 2


async def test_the_nightly_job_skips_a_busy_district_and_records_why(
    database: Database, clever: Clever
) -> None:
    [busy, idle] = await connected_districts(database, clever)
    async with database.sessionmaker.begin() as session:
        from rostersync.syncs import service

        active = await service.create_run(session, busy, trigger="on_demand", started_by="admin")
    scheduler = SyncScheduler(database, clever.http, clever.settings)
    assert await scheduler.enqueue_nightly(at("2026-01-16T08:00:00+00:00")) == 1
    assert await scheduler.enqueue_nightly(at("2026-01-16T08:01:00+00:00")) == 0

    scheduled = {r.district_id: r for r in await runs(database) if r.trigger == "scheduled"}
    assert scheduled[idle.id].status == "queued"
    assert scheduled[busy.id].status == "skipped"
    assert scheduled[busy.id].error_message == f"Skipped: sync {active.id} was still queued."
    assert len(scheduled) == 2


async def test_the_nightly_job_names_the_held_run_that_blocks_a_district(
    database: Database, clever: Clever
) -> None:
    [held, _] = await connected_districts(database, clever)
    async with database.sessionmaker.begin() as session:
        await session.execute(
            text(
                "INSERT INTO sync_runs (district_id, trigger, started_by, status, started_at, "
                "hold_reason) VALUES (:d, 'on_demand', 'admin', 'on_hold', now(), "
                "'deactivation_threshold')"
            ),
            {"d": held.id},
        )
    scheduler = SyncScheduler(database, clever.http, clever.settings)
    await scheduler.enqueue_nightly(at("2026-01-16T08:00:00+00:00"))

    [skipped] = [r for r in await runs(database) if r.status == "skipped"]
    assert skipped.district_id == held.id
    assert skipped.error_message is not None
    assert "is on hold (deactivation_threshold); approve or discard it" in skipped.error_message


def discovering(clever: Clever, **overrides: object) -> Settings:
    settings = clever.settings.model_copy(update=overrides)
    secret = SecretStr("sandbox-secret")
    return settings.model_copy(
        update={"clever": settings.clever.model_copy(update={"client_secret": secret})}
    )


async def test_discovery_connects_new_districts_with_an_initial_sync(
    database: Database, clever: Clever
) -> None:
    scheduler = SyncScheduler(database, clever.http, discovering(clever))
    found = await scheduler.discover()
    assert sorted(d.new for d in found) == [True, True]
    initial = await runs(database)
    assert (
        sorted((r.trigger, r.started_by, r.status) for r in initial)
        == [("initial", "system", "queued")] * 2
    )
    again = await scheduler.discover()  # ten minutes later: nothing new
    assert [d.new for d in again] == [False, False]
    assert len(await runs(database)) == 2


async def test_discovery_without_initial_sync_only_connects(
    database: Database, clever: Clever
) -> None:
    scheduler = SyncScheduler(database, clever.http, discovering(clever, initial_sync=False))
    assert len(await scheduler.discover()) == 2
    assert await runs(database) == []


async def test_a_district_whose_token_vanished_is_disconnected_and_keeps_its_data(
    database: Database, clever: Clever
) -> None:
    [district, _] = await connected_districts(database, clever)
    await execute_now(database, district, ListSource(users=[person("u1")]))
    await clever.control("revoke", district=sandbox_id(clever, 0))
    scheduler = SyncScheduler(database, clever.http, discovering(clever))

    found = await scheduler.discover()

    assert [(d.code, d.disconnected) for d in found if d.disconnected] == [("RIVERSIDE", True)]
    async with database.engine.connect() as connection:
        row = (
            await connection.execute(
                text("SELECT status, clever_token_encrypted FROM districts WHERE id = :id"),
                {"id": district.id},
            )
        ).one()
        users = (await connection.execute(text("SELECT count(*) FROM users"))).scalar()
    assert (row.status, row.clever_token_encrypted, users) == ("disconnected", None, 1)


async def test_two_replicas_discovering_at_once_connect_each_district_once(
    database: Database, clever: Clever
) -> None:
    replicas = [SyncScheduler(database, clever.http, discovering(clever)) for _ in range(2)]
    await asyncio.gather(*(r.discover() for r in replicas))
    async with database.engine.connect() as connection:
        count = (await connection.execute(text("SELECT count(*) FROM districts"))).scalar()
    assert count == 2
    assert len(await runs(database)) == 2


def sandbox_id(clever: Clever, index: int) -> str:
    from rostersync.sandbox import sandbox_state

    return sandbox_state(clever.app).district_ids[index]


@pytest.mark.parametrize(
    ("field", "days"),
    [
        ("1-5", "mon,tue,wed,thu,fri"),
        ("0", "sun"),
        ("7", "sun"),
        ("0,6", "sun,sat"),
        ("0-6/2", "sun,tue,thu,sat"),
        ("*", "*"),
        ("mon-fri", "mon-fri"),
    ],
)
def test_crontab_weekdays_mean_what_crontab_means(field: str, days: str) -> None:
    assert crontab_weekdays(field) == days
