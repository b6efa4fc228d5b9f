from __future__ import annotations

from collections.abc import Awaitable, Callable

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection

from rostersync.db import create_database
from rostersync.db.migrate import alembic_config, current_revision, head_revision, upgrade_to_head
from rostersync.models import Base

EmptyDatabase = Callable[[], Awaitable[str]]


def _drift(connection: Connection) -> list[object]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True}
    )
    return list(compare_metadata(context, Base.metadata))


def _alembic_check(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.check(config)  # raises when autogenerate would write a new revision


def _downgrade_to_base(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, "base")


async def test_upgrade_on_an_empty_database_reaches_head_with_no_drift(
    empty_database_factory: EmptyDatabase,
) -> None:
    database = create_database(await empty_database_factory(), pool_size=1)
    try:
        await upgrade_to_head(database.engine)
        async with database.engine.connect() as connection:
            assert await current_revision(connection) == head_revision()
            assert await connection.run_sync(_drift) == []
            await connection.run_sync(_alembic_check)
    finally:
        await database.dispose()


async def test_migrations_downgrade_to_nothing_and_upgrade_again(
    empty_database_factory: EmptyDatabase,
) -> None:
    database = create_database(await empty_database_factory(), pool_size=1)
    try:
        await upgrade_to_head(database.engine)
        async with database.engine.begin() as connection:
            await connection.run_sync(_downgrade_to_base)
            tables = await connection.scalar(
                text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            )
        assert tables == 1  # only alembic_version is left
        await upgrade_to_head(database.engine)
        async with database.engine.connect() as connection:
            assert await current_revision(connection) == head_revision()
    finally:
        await database.dispose()


async def test_upgrading_twice_is_harmless(empty_database_factory: EmptyDatabase) -> None:
    database = create_database(await empty_database_factory(), pool_size=1)
    try:
        await upgrade_to_head(database.engine)
        await upgrade_to_head(database.engine)
        async with database.engine.connect() as connection:
            assert await current_revision(connection) == head_revision()
    finally:
        await database.dispose()
