from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator

import asyncpg
import pytest
import uvicorn
from typer.testing import CliRunner

from rostersync.db.engine import libpq_dsn
from rostersync.sandbox import SandboxConfig, create_sandbox_app, sandbox_state


async def _truncate(url: str) -> None:
    conn = await asyncpg.connect(libpq_dsn(url))
    try:
        await conn.execute("TRUNCATE districts, enrollments, sync_changes RESTART IDENTITY CASCADE")
    finally:
        await conn.close()


@pytest.fixture
def cli_env(database_url: str) -> Iterator[dict[str, str]]:
    """The CLI commits for real, so each test leaves the shared database as it found it."""
    yield {"DATABASE_URL": database_url, "ENVIRONMENT": "test"}
    asyncio.run(_truncate(database_url))


@pytest.fixture(scope="session")
def live_clever() -> Iterator[tuple[str, str]]:
    """(base URL, first district's token) of a sandbox served by uvicorn in a thread."""
    sandbox = create_sandbox_app(SandboxConfig(students=60, seed=7))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(sandbox, host="127.0.0.1", port=port, log_config=None, lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    state = sandbox_state(sandbox)
    yield f"http://127.0.0.1:{port}", state.district_token(state.district_ids[0])
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()
