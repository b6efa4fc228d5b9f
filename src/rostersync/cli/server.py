"""`rostersync serve` and `rostersync migrate`."""

from __future__ import annotations

import contextlib
from typing import Annotated

import typer
import uvicorn

from rostersync.app import create_app
from rostersync.cli._runtime import load_settings, run, with_database_url
from rostersync.cli.demo import offline_clever, prepare_demo
from rostersync.config import Settings
from rostersync.db import create_database, open_database_url
from rostersync.db.migrate import head_revision, upgrade_to_head


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(migrate)


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    demo: Annotated[
        bool,
        typer.Option(
            help="Also serve the offline Clever with a demo district, connected and synced as "
            "District ID DEMO (development only; what `make run` does)."
        ),
    ] = False,
    demo_clever_port: Annotated[
        int, typer.Option(help="Port of the demo's offline Clever.")
    ] = 8100,
) -> None:
    """Migrate the database, then serve the HTTP API (docs at /docs).

    Without DATABASE_URL an embedded PostgreSQL is started under DATA_DIR and stopped on exit.
    """
    settings = load_settings(quiet=False)
    run(_serve(settings, host, port, demo_clever_port if demo else None))


def migrate() -> None:
    """Bring the database schema up to date (safe to run from several replicas at once)."""
    settings = load_settings()
    revision = run(_migrate(settings))
    typer.echo(f"Database schema is up to date (revision {revision}).")


async def _prepare_demo(url: str, settings: Settings, token: str) -> None:
    database = create_database(url, pool_size=6)
    try:
        await prepare_demo(database, settings, token)
    finally:
        await database.dispose()


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


async def _serve(settings: Settings, host: str, port: int, demo_port: int | None) -> None:
    async with contextlib.AsyncExitStack() as stack:
        if demo_port is not None:
            settings, token = await stack.enter_async_context(
                offline_clever(settings, demo_port, api_url=f"http://{host}:{port}")
            )
        url = await stack.enter_async_context(open_database_url(settings))
        await _migrate_url(url)
        settings = with_database_url(settings, url)
        if demo_port is not None:
            await _prepare_demo(url, settings, token)
        app = create_app(settings)
        # access_log=False: the app logs each request itself, without the query string, which
        # carries OAuth codes and state on the sign-in callbacks.
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_config=None,
            access_log=False,
            proxy_headers=True,
            server_header=False,
        )
        typer.echo(f"rostersync is serving on http://{host}:{port} (API docs at /docs)", err=True)
        await uvicorn.Server(config).serve()
