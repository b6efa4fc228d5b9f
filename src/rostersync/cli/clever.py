"""`rostersync district connect`, `rostersync clever discover` and `rostersync sync`."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from rostersync.app import HTTP_TIMEOUT
from rostersync.cli._runtime import (
    database_session,
    fail,
    load_settings,
    migrated_database,
    read_secret_from_stdin,
    run,
)
from rostersync.config import Settings
from rostersync.db import Database
from rostersync.db.engine import libpq_dsn
from rostersync.syncs import clever as clever_sync
from rostersync.syncs import queue
from rostersync.syncs.counts import ACTIONS
from rostersync.syncs.engine import StageProgress
from rostersync.syncs.events import RunEvents
from rostersync.syncs.schemas import SyncRunOut
from rostersync.syncs.stream import watch_run

app = typer.Typer(help="Talk to Clever: discover the districts that installed the app.")

CLI_STARTER = "operator (cli)"
FOLLOW_QUIET_S = 5.0


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
    preview: Annotated[
        bool, typer.Option(help="Stop after the diff: counts and changes, nothing applied.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the finished run as JSON (last line).")
    ] = False,
    inline: Annotated[
        bool,
        typer.Option(
            help="Run the sync in this process even when a server's worker could take it."
        ),
    ] = False,
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
    if as_json:
        typer.echo(result.model_dump_json())
    else:
        _print_result(result)
    if result.status != "successful":
        raise typer.Exit(1)


async def _sync(
    settings: Settings, code: str, *, preview: bool, show_progress: bool, inline: bool
) -> SyncRunOut:
    bars = CollectionBars(enabled=show_progress)
    async with migrated_database(settings) as database, http_client() as http:
        run_id = await clever_sync.queue_sync(
            database, code, started_by=CLI_STARTER, trigger="on_demand", preview=preview
        )
        if not inline and await _worker_alive(database, settings):
            return await _follow(database, run_id, bars, show_progress)
        with bars:
            result = await clever_sync.execute_inline(
                database, http, settings, run_id, listener=bars.update
            )
        if result is None:  # a worker started meanwhile and took the run
            return await _follow(database, run_id, bars, show_progress)
        return result


async def _worker_alive(database: Database, settings: Settings) -> bool:
    async with database.sessionmaker.begin() as session:
        return await queue.live_workers(session, settings.worker.lease_seconds) > 0


async def _follow(
    database: Database, run_id: uuid.UUID, bars: CollectionBars, show_progress: bool
) -> SyncRunOut:
    """Watch a run a server's worker executes, until it ends."""
    if show_progress:
        typer.echo(f"Queued run {run_id}; a rostersync worker is running it.", err=True)
    events = RunEvents(libpq_dsn(database.engine.url.render_as_string(hide_password=False)))
    await events.start()
    last: SyncRunOut | None = None
    try:
        with bars:
            async with contextlib.aclosing(
                watch_run(database, events, run_id, None, FOLLOW_QUIET_S)
            ) as states:
                async for state in states:
                    if state is not None:
                        bars.show(state.progress)
                        last = state
                    if last is not None and last.status == "on_hold":
                        break  # waits for the Account Owner, not for us
    except asyncio.CancelledError:
        typer.echo(f"Stopped watching; run {run_id} goes on in the server.", err=True)
        raise
    finally:
        await events.stop()
    assert last is not None
    return last


class CollectionBars:
    """A progress line per collection: pages and records read so far."""

    def __init__(self, *, enabled: bool) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description:<10}"),
            TextColumn("{task.fields[records]:>10,} records, {task.fields[pages]:>5,} pages"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            disable=not enabled,
        )
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> CollectionBars:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    async def update(self, progress: StageProgress) -> None:
        self.show(progress.as_dict())

    def show(self, progress: dict[str, Any]) -> None:
        """Progress as runs store it: {collection: {pages, records, done}}."""
        for name, collection in progress.items():
            if name not in self._tasks:
                self._tasks[name] = self._progress.add_task(name, total=None, records=0, pages=0)
            done = bool(collection.get("done"))
            self._progress.update(
                self._tasks[name],
                records=int(collection.get("records", 0)),
                pages=int(collection.get("pages", 0)),
                completed=1 if done else 0,
                total=1 if done else None,
            )


def _print_result(result: SyncRunOut) -> None:
    console = Console()
    verb = "Previewed" if result.preview else "Synced"
    if result.status == "successful":
        console.print(f"{verb} {result.district}: run {result.id} is successful.")
    elif result.status == "on_hold":
        message = (result.hold_details or {}).get("message", result.hold_reason)
        console.print(f"Sync of {result.district} is on hold: {message}", style="yellow")
        console.print(
            f"Nothing was applied. The Account Owner approves it (POST /syncs/{result.id}/approve)"
            f" or discards it (POST /syncs/{result.id}/discard); the changes are in "
            f"GET /syncs/{result.id}/changes."
        )
    else:
        console.print(f"Sync of {result.district} {result.status}: {result.error}", style="red")
    if result.counts:
        table = Table("", *ACTIONS)
        for entity, counts in result.counts.items():
            table.add_row(entity, *(f"{counts.get(a, 0):,}" for a in ACTIONS))
        console.print(table)
