"""Several app instances on one database: one run per district, live events across replicas.

These tests commit for real: each instance has its own connection pool, worker and
scheduler, as separate replicas would. The offline Clever listens on a local port.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest
import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import select

from rostersync.accounts.service import create_account_owner
from rostersync.app import create_app
from rostersync.config import CleverSettings, SchedulerSettings, Settings, WorkerSettings
from rostersync.db import Database
from rostersync.sandbox import SandboxConfig, create_sandbox_app, sandbox_state
from rostersync.syncs import clever as clever_sync
from rostersync.syncs.models import SyncRun
from tests.conftest import OPERATOR_TOKEN, free_port, make_settings, served_in_a_thread

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def live_sandbox() -> Iterator[tuple[str, Any]]:
    """(base URL, app) of an offline Clever served by uvicorn in a thread."""
    sandbox = create_sandbox_app(SandboxConfig(students=80, districts=2, seed=11, control=True))
    with served_in_a_thread(sandbox) as url:
        yield url, sandbox


def replica_settings(
    database_url: str, sandbox_url: str, *, worker: bool = False, **overrides: Any
) -> Settings:
    values: dict[str, Any] = {
        "clever": CleverSettings(
            api_base_url=sandbox_url,
            oauth_base_url=sandbox_url,
            client_id="sandbox-client",
            client_secret=SecretStr("sandbox-secret"),
            page_limit=20,
        ),
        "worker": WorkerSettings(enabled=worker, poll_seconds=0.2, lease_seconds=10),
        "scheduler": SchedulerSettings(enabled=False),
    }
    return make_settings(database_url, **(values | overrides))


@contextlib.asynccontextmanager
async def replica(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """An app instance with its own lifespan (pool, events, worker), and a client for it."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://replica") as client:
            yield app, client


@contextlib.asynccontextmanager
async def served(settings: Settings) -> AsyncIterator[str]:
    """An app instance behind a real HTTP server on a local port (for streaming)."""
    port = free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_config=None, lifespan="on"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def connect_with_owner(
    database: Database, settings: Settings, token: str, code: str = "RIVERSIDE"
) -> None:
    async with httpx.AsyncClient() as http, database.sessionmaker.begin() as session:
        district = await clever_sync.connect(session, http, settings, code, token)
        await create_account_owner(session, district, "admin", PASSWORD)


async def bearer(client: httpx.AsyncClient, code: str = "RIVERSIDE") -> dict[str, str]:
    response = await client.post(
        "/auth/login", json={"district": code, "username": "admin", "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def sandbox_token(sandbox: Any, index: int = 0) -> str:
    state = sandbox_state(sandbox)
    return state.district_token(state.district_ids[index])


async def test_concurrent_sync_now_on_two_replicas_makes_one_run(
    database: Database, database_url: str, live_sandbox: tuple[str, Any]
) -> None:
    url, sandbox = live_sandbox
    settings = replica_settings(database_url, url)
    await connect_with_owner(database, settings, sandbox_token(sandbox))
    async with replica(settings) as (_, first), replica(settings) as (_, second):
        headers = await bearer(first)
        responses = await asyncio.gather(
            *(client.post("/syncs", json={}, headers=headers) for client in [first, second] * 5)
        )
    accepted = [r.json()["id"] for r in responses if r.status_code == 202]
    refused = [r.json()["active_sync_id"] for r in responses if r.status_code == 409]
    assert len(accepted) == 1
    assert refused == accepted * 9
    async with database.sessionmaker() as session:
        assert len((await session.execute(select(SyncRun))).scalars().all()) == 1


async def test_both_replicas_schedulers_firing_make_one_nightly_run(
    database: Database, database_url: str, live_sandbox: tuple[str, Any]
) -> None:
    url, sandbox = live_sandbox
    settings = replica_settings(
        database_url, url, scheduler=SchedulerSettings(enabled=True, reaper_seconds=60)
    )
    await connect_with_owner(database, settings, sandbox_token(sandbox))
    midnight = datetime(2026, 7, 16, 7, 0, 2, tzinfo=UTC)  # 00:00:02 Pacific Daylight Time
    async with replica(settings) as (a, _), replica(settings) as (b, _):
        made = await asyncio.gather(
            a.state.scheduler.enqueue_nightly(midnight), b.state.scheduler.enqueue_nightly(midnight)
        )
    assert sorted(made) == [0, 1]
    async with database.sessionmaker() as session:
        runs = (await session.execute(select(SyncRun))).scalars().all()
    assert [(r.trigger, r.started_by, r.idempotency_key) for r in runs] == [
        ("scheduled", "system", f"nightly:2026-07-16:{runs[0].district_id}")
    ]


def parse_events(raw: list[str]) -> list[tuple[str, Any]]:
    """(event, data) pairs from SSE lines; ('comment', text) for comments."""
    events: list[tuple[str, Any]] = []
    name = "message"
    for line in raw:
        if line.startswith(":"):
            events.append(("comment", line[1:].strip()))
        elif line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            events.append((name, orjson.loads(line.removeprefix("data: "))))
            name = "message"
    return events


async def test_an_sse_client_on_one_replica_watches_a_run_executed_by_another(
    database: Database, database_url: str, live_sandbox: tuple[str, Any]
) -> None:
    url, sandbox = live_sandbox
    api_only = replica_settings(database_url, url, sse_keepalive_seconds=0.2)
    await connect_with_owner(database, api_only, sandbox_token(sandbox))
    async with httpx.AsyncClient(base_url=url) as control:  # pages take a while: a live run
        slow = {"kind": "slow", "seconds": 0.15, "path_prefix": "/v3.0/users"}
        assert (await control.post("/_sandbox/faults", json=slow)).status_code < 300
    try:
        async with (
            served(api_only) as api_url,
            replica(replica_settings(database_url, url, worker=True)),
            httpx.AsyncClient(base_url=api_url, timeout=60) as client,
        ):
            headers = await bearer(client)
            run = (await client.post("/syncs", json={}, headers=headers)).json()
            lines: list[str] = []
            async with client.stream("GET", f"/syncs/{run['id']}/events", headers=headers) as r:
                assert r.headers["content-type"].startswith("text/event-stream")
                async for line in r.aiter_lines():
                    if line:
                        lines.append(line)
    finally:
        async with httpx.AsyncClient(base_url=url) as control:
            await control.delete("/_sandbox/faults")
    events = parse_events(lines)
    statuses = [data["status"] for name, data in events if name == "status"]
    assert statuses[-2:] == ["processing", "successful"]
    processing = next(
        i for i, (n, d) in enumerate(events) if n == "status" and d["status"] == "processing"
    )
    between = [name for name, _ in events[processing + 1 : -1]]
    assert "progress" in between
    assert ("comment", "keep-alive") in events
    final = events[-1][1]
    assert final["counts"]["students"]["created"] > 0
    assert final["progress"]["users"]["done"] is True


async def test_the_event_stream_of_a_finished_run_ends_at_once(
    database: Database, database_url: str, live_sandbox: tuple[str, Any]
) -> None:
    url, sandbox = live_sandbox
    settings = replica_settings(database_url, url, worker=True)
    await connect_with_owner(database, settings, sandbox_token(sandbox))
    async with replica(settings) as (_, client):
        headers = await bearer(client)
        run = (await client.post("/syncs", json={}, headers=headers)).json()
        for _ in range(300):
            shown = (await client.get(f"/syncs/{run['id']}", headers=headers)).json()
            if shown["status"] == "successful":
                break
            await asyncio.sleep(0.1)
        response = await client.get(f"/syncs/{run['id']}/events", headers=headers)
    events = parse_events(response.text.splitlines())
    assert [(name, data["status"]) for name, data in events] == [("status", "successful")]


async def test_operator_token_reaches_every_district(
    database: Database, database_url: str, live_sandbox: tuple[str, Any]
) -> None:
    url, sandbox = live_sandbox
    settings = replica_settings(database_url, url)
    await connect_with_owner(database, settings, sandbox_token(sandbox))
    async with replica(settings) as (_, client):
        operator = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
        started = await client.post("/syncs", json={"district": "RIVERSIDE"}, headers=operator)
    assert started.status_code == 202
