"""Running a queued sync from the CLI: here, or by following the server's worker; the result."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from rostersync.config import Settings
from rostersync.db import Database
from rostersync.db.engine import libpq_dsn
from rostersync.syncs import queue, service
from rostersync.syncs.counts import ACTIONS
from rostersync.syncs.engine import StageProgress
from rostersync.syncs.events import RunEvents
from rostersync.syncs.executor import QueueRun
from rostersync.syncs.schemas import SyncRunOut
from rostersync.syncs.stream import watch_run
from rostersync.syncs.worker import SourceOpener, execute_here

FOLLOW_QUIET_S = 5.0

# The options of every command that runs a sync and waits for it.
PreviewOption = Annotated[
    bool, typer.Option(help="Stop after the diff: counts and changes, nothing applied.")
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print the finished run as JSON (last line).")
]
InlineOption = Annotated[
    bool,
    typer.Option(help="Run the sync in this process even when a server's worker could take it."),
]


def finish(result: SyncRunOut, *, as_json: bool) -> None:
    """Print the run (as JSON, or for people); exit 1 unless it succeeded."""
    if as_json:
        typer.echo(result.model_dump_json())
    else:
        print_result(result)
    if result.status != "successful":
        raise typer.Exit(1)


async def queue_and_execute(
    database: Database,
    settings: Settings,
    queue_run: QueueRun,
    open_source: SourceOpener,
    bars: CollectionBars,
    *,
    inline: bool,
    show_progress: bool,
) -> SyncRunOut:
    """Queue the run and follow it when a `rostersync serve` worker is alive (and not
    `inline`); else execute it here, claimed as it is queued so that no worker takes it.
    Ends when the run ended or is held."""
    if not inline and await _worker_alive(database, settings):
        async with database.sessionmaker.begin() as session:
            run_id = await queue_run(session)
        return await _follow(database, run_id, bars, show_progress)
    with bars:
        lease = settings.worker.lease_seconds
        run_id = await execute_here(database, lease, queue_run, open_source, listener=bars.update)
    return await service.load_run(database, run_id)


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
    """A progress line per collection: pages and records read so far.

    The lines appear with the first progress, so that what comes before (an upload being
    stored, with its own bar) has the terminal to itself.
    """

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
        self._started = False

    def __enter__(self) -> CollectionBars:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._started:
            self._progress.stop()
            self._started = False

    async def update(self, progress: StageProgress) -> None:
        self.show(progress.as_dict())

    def show(self, progress: dict[str, Any]) -> None:
        """Progress as runs store it: {collection: {pages, records, done}}."""
        if not self._started:
            self._progress.start()
            self._started = True
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


def print_result(result: SyncRunOut) -> None:
    console = Console()
    verb = "Previewed" if result.preview else "Imported" if result.trigger == "upload" else "Synced"
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
    for reason, rows in result.skipped.items():
        console.print(f"Skipped (not rostered): {reason}: {rows:,} rows")
    if result.counts:
        table = Table("", *ACTIONS)
        for entity, counts in result.counts.items():
            table.add_row(entity, *(f"{counts.get(a, 0):,}" for a in ACTIONS))
        console.print(table)
