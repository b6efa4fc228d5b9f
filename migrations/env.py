"""Alembic environment: async, with the URL from rostersync's settings.

`rostersync migrate` passes an open connection in `config.attributes["connection"]`;
plain `alembic` commands (e.g. `alembic revision --autogenerate`) use DATABASE_URL.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from rostersync.config import get_settings
from rostersync.db import to_asyncpg_url
from rostersync.models import Base

config = context.config
target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        compare_server_default=True,
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_new_engine(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_configure)
            await connection.commit()
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or _url_from_settings()
    asyncio.run(_run_with_new_engine(url))


def _url_from_settings() -> str:
    configured = get_settings().database.database_url
    if configured is None:
        raise RuntimeError("set DATABASE_URL to run alembic directly, or use `rostersync migrate`")
    return to_asyncpg_url(configured.get_secret_value())


if context.is_offline_mode():
    raise RuntimeError("offline (--sql) migrations are not supported; use `rostersync migrate`")
run_migrations_online()
