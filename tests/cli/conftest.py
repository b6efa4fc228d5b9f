from __future__ import annotations

import asyncio
from collections.abc import Iterator

import asyncpg
import pytest
from typer.testing import CliRunner

from rostersync.db.engine import libpq_dsn


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


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()
