"""Run Alembic from inside rostersync (the `migrate` command, `serve` start-up, tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

# Any constant works; it only has to be the same in every replica.
_MIGRATION_LOCK_KEY = 0x726F73746572


class MigrationsNotFoundError(RuntimeError):
    pass


def find_alembic_ini() -> Path:
    """alembic.ini in the working directory (the container image) or the source tree."""
    candidates = [Path.cwd() / "alembic.ini", Path(__file__).resolve().parents[3] / "alembic.ini"]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise MigrationsNotFoundError(
        "alembic.ini not found; run rostersync from the project directory "
        f"(looked in: {', '.join(str(c) for c in candidates)})"
    )


def alembic_config(url: str | None = None) -> Config:
    config = Config(str(find_alembic_ini()))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _upgrade(connection: Connection, config: Config) -> None:
    # Replicas starting together must not migrate concurrently.
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def upgrade_to_head(engine: AsyncEngine) -> None:
    config = alembic_config()
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade, config)


async def current_revision(connection: AsyncConnection) -> str | None:
    exists = await connection.scalar(text("SELECT to_regclass('alembic_version') IS NOT NULL"))
    if not exists:  # never migrated
        return None
    result = await connection.execute(text("SELECT version_num FROM alembic_version"))
    return result.scalar_one_or_none()
