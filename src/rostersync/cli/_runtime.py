"""What every CLI command needs: settings, a database session, readable errors."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any, NoReturn, TypeVar

import typer
from pydantic import SecretStr, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from rostersync.config import Settings
from rostersync.db import Database, create_database, open_database_url
from rostersync.db.embedded import EmbeddedPostgresError
from rostersync.db.migrate import MigrationsNotFoundError, current_revision, head_revision
from rostersync.errors import AppError
from rostersync.logs import configure_logging

T = TypeVar("T")


def fail(message: str, code: int = 1) -> NoReturn:
    typer.secho(f"Error: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(code)


def load_settings(*, quiet: bool = True) -> Settings:
    """Settings from the environment; `quiet` keeps one-shot commands' output to warnings."""
    try:
        settings = Settings()
    except ValidationError as exc:
        fail("invalid configuration:\n" + describe_validation_error(exc), code=2)
    configure_logging("WARNING" if quiet else settings.log_level)
    return settings


def describe_validation_error(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]).upper() or "settings"
        message = error["msg"].removeprefix("Value error, ")
        lines.append(f"  - {where}: {message}" if error["loc"] else f"  - {message}")
    return "\n".join(lines)


def with_database_url(settings: Settings, url: str) -> Settings:
    """The same settings, pinned to a database that is already running."""
    database = settings.database.model_copy(update={"database_url": SecretStr(url)})
    return settings.model_copy(update={"database": database})


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine, turning expected failures into one readable line."""
    try:
        return asyncio.run(coroutine)
    except AppError as exc:
        fail(exc.message)
    except (EmbeddedPostgresError, MigrationsNotFoundError) as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot reach the database ({exc}); check DATABASE_URL")


@asynccontextmanager
async def migrated_database(settings: Settings, pool_size: int = 6) -> AsyncIterator[Database]:
    """The configured (or embedded) database, refusing one whose schema is not at head."""
    async with open_database_url(settings) as url:
        database = create_database(url, pool_size=pool_size)
        try:
            async with database.engine.connect() as connection:
                await _require_head(await current_revision(connection))
            yield database
        finally:
            await database.dispose()


@asynccontextmanager
async def database_session(settings: Settings) -> AsyncIterator[AsyncSession]:
    """A session on a migrated database, committed when the command succeeds."""
    async with (
        migrated_database(settings, pool_size=2) as database,
        database.sessionmaker() as session,
    ):
        yield session
        await session.commit()


async def _require_head(revision: str | None) -> None:
    expected = head_revision()
    if revision != expected:
        raise AppError(
            f"the database schema is at {revision or 'nothing (empty database)'} but this "
            f"rostersync needs {expected}: run `rostersync migrate` first"
        )


def read_secret_from_stdin() -> str:
    value = sys.stdin.readline().rstrip("\r\n")
    if not value:
        fail("nothing was read from standard input")
    return value


async def in_session(settings: Settings, action: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async with database_session(settings) as session:
        return await action(session)
