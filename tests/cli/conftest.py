from __future__ import annotations

import asyncio
from collections.abc import Iterator

import asyncpg
import pytest
from typer.testing import CliRunner

from rostersync.db.engine import libpq_dsn
from rostersync.sandbox import SandboxConfig, create_sandbox_app, sandbox_state
from tests.conftest import served_in_a_thread


async def _truncate(url: str) -> None:
    conn = await asyncpg.connect(libpq_dsn(url))
    try:
        await conn.execute(
            "TRUNCATE districts, users, enrollments, sync_changes RESTART IDENTITY CASCADE"
        )
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
    state = sandbox_state(sandbox)
    with served_in_a_thread(sandbox) as url:
        yield url, state.district_token(state.district_ids[0])


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()
