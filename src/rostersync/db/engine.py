from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from rostersync.config import Settings
from rostersync.db.embedded import EmbeddedPostgres

EMBEDDED_DATABASE = "rostersync"


@dataclass(frozen=True)
class Database:
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]

    async def dispose(self) -> None:
        await self.engine.dispose()


def to_asyncpg_url(url: str) -> str:
    """Accept the usual spellings of a PostgreSQL URL and pin the asyncpg driver."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url.removeprefix(prefix)
    raise ValueError("not a postgresql:// URL")


def create_database(url: str, *, pool_size: int = 10) -> Database:
    engine = create_async_engine(
        to_asyncpg_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        connect_args={"server_settings": {"application_name": "rostersync"}},
    )
    return Database(engine, async_sessionmaker(engine, expire_on_commit=False))


def libpq_dsn(url: str) -> str:
    """The asyncpg-native DSN for a SQLAlchemy URL (for raw connections: COPY, LISTEN)."""
    return (
        make_url(to_asyncpg_url(url))
        .set(drivername="postgresql")
        .render_as_string(hide_password=False)
    )


async def ensure_database_exists(url: str) -> None:
    """Create the URL's database when the server has none of that name (embedded, tests)."""
    target = make_url(to_asyncpg_url(url))
    maintenance = libpq_dsn(target.set(database="postgres").render_as_string(hide_password=False))
    if not re.fullmatch(r"[A-Za-z0-9_\-]{1,63}", target.database or ""):
        raise ValueError(f"unsupported database name {target.database!r}")
    conn = await asyncpg.connect(maintenance)
    try:
        exists = await conn.fetchval(
            "SELECT 1 FROM pg_database WHERE datname = $1", target.database
        )
        if not exists:
            await conn.execute(f'CREATE DATABASE "{target.database}"')
    finally:
        await conn.close()


@asynccontextmanager
async def open_database_url(settings: Settings) -> AsyncIterator[str]:
    """Yield the database URL to use, running the embedded PostgreSQL when none is set."""
    configured = settings.database.database_url
    if configured is not None:
        yield to_asyncpg_url(configured.get_secret_value())
        return
    server = EmbeddedPostgres(settings.database.data_dir / "postgres")
    await asyncio.to_thread(server.start)
    try:
        url = server.url(EMBEDDED_DATABASE)
        await ensure_database_exists(url)
        yield url
    finally:
        await asyncio.to_thread(server.stop)
