"""Watching a run live: `GET /syncs/{id}/events` (SSE) and `rostersync sync` use this."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator, AsyncIterator

import orjson

from rostersync.db import Database
from rostersync.syncs.events import RunEvents, next_change
from rostersync.syncs.models import TERMINAL_SYNC_STATUSES
from rostersync.syncs.schemas import SyncRunOut
from rostersync.syncs.service import get_run_out

KEEP_ALIVE = b": keep-alive\n\n"


async def watch_run(
    database: Database,
    events: RunEvents,
    run_id: uuid.UUID,
    district_id: int | None,
    quiet_seconds: float,
) -> AsyncGenerator[SyncRunOut | None, None]:
    """The run now and after every change; None after each quiet interval; ends when it ends.

    Subscribes before the first read, so no change between the two is missed; every
    notification, and every quiet interval, re-reads the run from PostgreSQL.
    """
    with events.subscribe(run_id) as changes:
        while True:
            async with database.sessionmaker() as session:
                run = await get_run_out(session, run_id, district_id)
            if run is None:
                return
            yield run
            if run.status in TERMINAL_SYNC_STATUSES:
                return
            while not await next_change(changes, quiet_seconds):
                yield None


def sse(event: str, data: object) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


async def run_events(
    database: Database,
    events: RunEvents,
    run_id: uuid.UUID,
    district_id: int | None,
    keepalive_seconds: float,
) -> AsyncIterator[bytes]:
    """`status` events (the whole run) on every status change, `progress` events between."""
    last: SyncRunOut | None = None
    async for run in watch_run(database, events, run_id, district_id, keepalive_seconds):
        if run is None:
            yield KEEP_ALIVE
            continue
        if last is None or run.status != last.status:
            yield sse("status", run.model_dump(mode="json"))
        elif run.progress != last.progress:
            yield sse("progress", {"id": str(run.id), "progress": run.progress})
        last = run
