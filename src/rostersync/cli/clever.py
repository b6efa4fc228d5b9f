"""`rostersync district connect`, `rostersync clever discover` and `rostersync sync`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import httpx
import typer

from rostersync.app import HTTP_TIMEOUT
from rostersync.cli._runs import (
    CollectionBars,
    InlineOption,
    JsonOption,
    PreviewOption,
    finish,
    queue_and_execute,
)
from rostersync.cli._runtime import (
    database_session,
    fail,
    load_settings,
    migrated_database,
    read_secret_from_stdin,
    run,
)
from rostersync.config import Settings
from rostersync.syncs import clever as clever_sync
from rostersync.syncs.schemas import SyncRunOut

app = typer.Typer(help="Talk to Clever: discover the districts that installed the app.")

CLI_STARTER = "operator (cli)"


@asynccontextmanager
async def http_client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT, follow_redirects=False) as http:
        yield http


def connect(
    code: Annotated[str, typer.Option(help="The District ID to connect it as, e.g. SELFSERV.")],
    clever_token: Annotated[
        str | None, typer.Option(help="The district's Clever token ('-' reads standard input).")
    ] = None,
) -> None:
    """Connect a Clever district: reads its name and id from Clever, stores the token encrypted."""
    token = read_secret_from_stdin() if clever_token in (None, "-") else clever_token
    assert token is not None
    settings = load_settings()

    async def action() -> str:
        async with database_session(settings) as session, http_client() as http:
            district = await clever_sync.connect(session, http, settings, code, token)
            clever_id = district.clever_district_id
            return f"Connected {district.name} (Clever {clever_id}) as {district.code}."

    typer.echo(run(action()))


@app.command("discover")
def discover() -> None:
    """Connect every district that installed the app in Clever; prints their District IDs."""
    settings = load_settings()
    if not settings.clever.client_id:
        fail("set CLEVER_CLIENT_ID and CLEVER_CLIENT_SECRET to list the app's districts", code=2)

    async def action() -> list[clever_sync.Discovered]:
        async with database_session(settings) as session, http_client() as http:
            return await clever_sync.discover(session, http, settings)

    found = run(action())
    if not found:
        typer.echo("No district has installed the app in Clever yet.")
    for district in found:
        status = "connected" if district.new else "token refreshed"
        typer.echo(f"{district.code}\t{district.name}\t{status}")


def sync(
    district: Annotated[str, typer.Option(help="The District ID to sync.")],
    preview: PreviewOption = False,
    as_json: JsonOption = False,
    inline: InlineOption = False,
) -> None:
    """Sync one district from Clever now and wait for the result. Exit code 0 means successful.

    The run goes through the same queue as Sync Now: when a `rostersync serve` worker is
    running it executes the run and this command follows its progress; otherwise (or with
    --inline) the run executes here.
    """
    settings = load_settings()
    result = run(
        _sync(settings, district, preview=preview, show_progress=not as_json, inline=inline)
    )
    finish(result, as_json=as_json)


async def _sync(
    settings: Settings, code: str, *, preview: bool, show_progress: bool, inline: bool
) -> SyncRunOut:
    bars = CollectionBars(enabled=show_progress)
    queue_run = clever_sync.sync_queuer(
        code, started_by=CLI_STARTER, trigger="on_demand", preview=preview
    )
    async with migrated_database(settings) as database, http_client() as http:
        opener = clever_sync.source_opener(database, http, settings)
        return await queue_and_execute(
            database, settings, queue_run, opener, bars, inline=inline, show_progress=show_progress
        )
