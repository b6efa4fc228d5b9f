"""A migrated PostgreSQL per test session; every test isolated in a rolled-back transaction.

The server is TEST_DATABASE_URL's when set, else an embedded PostgreSQL under
`.data/test-postgres`. Each session creates (and finally drops) its own database on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from rostersync.app import create_app
from rostersync.config import (
    DatabaseSettings,
    Environment,
    SchedulerSettings,
    Settings,
    WorkerSettings,
)
from rostersync.db import create_database, ensure_database_exists, to_asyncpg_url
from rostersync.db.embedded import EmbeddedPostgres
from rostersync.db.engine import libpq_dsn
from rostersync.db.migrate import upgrade_to_head
from rostersync.deps import get_session

T = TypeVar("T")
PROJECT_ROOT = Path(__file__).resolve().parents[1]
OPERATOR_TOKEN = "test-operator-token-0123456789abcdef"


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A URL on the test server, database name to be replaced."""
    configured = os.environ.get("TEST_DATABASE_URL")
    if configured:
        yield to_asyncpg_url(configured)
        return
    server = EmbeddedPostgres(PROJECT_ROOT / ".data" / "test-postgres")
    server.start()
    try:
        yield server.url("postgres")
    finally:
        server.stop()


async def create_empty_database(server_url: str) -> str:
    name = f"rostersync_test_{secrets.token_hex(4)}"
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    await ensure_database_exists(url)
    return url


async def drop_database(url: str) -> None:
    target = make_url(url)
    admin = libpq_dsn(target.set(database="postgres").render_as_string(hide_password=False))
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="session")
async def empty_database_factory(
    postgres_server_url: str,
) -> AsyncIterator[Callable[[], Awaitable[str]]]:
    """Makes fresh empty databases (for migration tests); drops them all at the end."""
    created: list[str] = []

    async def make() -> str:
        url = await create_empty_database(postgres_server_url)
        created.append(url)
        return url

    yield make
    for url in created:
        await drop_database(url)


@pytest.fixture(scope="session")
async def database_url(postgres_server_url: str) -> AsyncIterator[str]:
    url = await create_empty_database(postgres_server_url)
    database = create_database(url, pool_size=2)
    try:
        await upgrade_to_head(database.engine)
    finally:
        await database.dispose()
    yield url
    await drop_database(url)


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    database = create_database(database_url, pool_size=5)
    yield database.engine
    await database.dispose()


@pytest.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session whose commits are savepoints inside a transaction rolled back afterwards."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        async with AsyncSession(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        ) as test_session:
            yield test_session
        await transaction.rollback()


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "environment": Environment.TEST,
        # Tests that need a worker or the scheduler start them themselves.
        "worker": WorkerSettings(enabled=False),
        "scheduler": SchedulerSettings(enabled=False),
        "operator_token": SecretStr(OPERATOR_TOKEN),
        "database": DatabaseSettings(database_url=SecretStr(database_url)),
    }
    values.update(overrides)
    return Settings.model_validate(values)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
async def app(settings: Settings, session: AsyncSession) -> AsyncIterator[FastAPI]:
    """The real app and lifespan, with requests joined to the test's transaction."""
    application = create_app(settings)

    async def joined_session() -> AsyncIterator[AsyncSession]:
        # A savepoint per request: an error undoes the request's writes, as in production.
        async with session.begin_nested():
            yield session

    application.dependency_overrides[get_session] = joined_session
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


@pytest.fixture
def operator_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {OPERATOR_TOKEN}"}


async def poll_until(
    check: Callable[[], Awaitable[T | None]], *, seconds: float = 30.0, interval: float = 0.05
) -> T:
    """The first truthy result of `check`, polled; fails the test after `seconds`."""
    for _ in range(int(seconds / interval) + 1):
        if result := await check():
            return result
        await asyncio.sleep(interval)
    raise AssertionError(f"still not true after {seconds} s")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def served_in_a_thread(asgi_app: Any) -> Iterator[str]:
    """Serve an ASGI app (the offline Clever) over real HTTP from a thread; its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(asgi_app, host="127.0.0.1", port=port, log_config=None, lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
