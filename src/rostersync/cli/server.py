"""`rostersync serve` and `rostersync migrate`."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from rostersync.app import create_app
from rostersync.cli._runtime import load_settings, run, with_database_url
from rostersync.config import Settings
from rostersync.db import create_database, open_database_url
from rostersync.db.migrate import head_revision, upgrade_to_head


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(migrate)


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Migrate the database, then serve the HTTP API (docs at /docs).

    Without DATABASE_URL an embedded PostgreSQL is started under DATA_DIR and stopped on exit.
    """
    run(_serve(load_settings(quiet=False), host, port))


def migrate() -> None:
    """Bring the database schema up to date (safe to run from several replicas at once)."""
    settings = load_settings()
    revision = run(_migrate(settings))
    typer.echo(f"Database schema is up to date (revision {revision}).")


async def _migrate_url(url: str) -> None:
    database = create_database(url, pool_size=1)
    try:
        await upgrade_to_head(database.engine)
    finally:
        await database.dispose()


async def _migrate(settings: Settings) -> str | None:
    async with open_database_url(settings) as url:
        typer.echo("Migrating the database schema...", err=True)
        await _migrate_url(url)
    return head_revision()


async def _serve(settings: Settings, host: str, port: int) -> None:
    async with open_database_url(settings) as url:
        await _migrate_url(url)
        app = create_app(with_database_url(settings, url))
        config = uvicorn.Config(
            app, host=host, port=port, log_config=None, proxy_headers=True, server_header=False
        )
        typer.echo(f"rostersync is serving on http://{host}:{port} (API docs at /docs)", err=True)
        await uvicorn.Server(config).serve()
