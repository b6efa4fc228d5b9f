"""`rostersync import`: a district's OneRoster CSV files, synced like an upload."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn
from sqlalchemy.ext.asyncio import AsyncSession

from rostersync.cli._runs import (
    CollectionBars,
    InlineOption,
    JsonOption,
    PreviewOption,
    finish,
    queue_and_execute,
)
from rostersync.cli._runtime import fail, load_settings, migrated_database, run
from rostersync.config import Settings
from rostersync.districts import service as districts
from rostersync.imports import service
from rostersync.imports.opener import upload_opener
from rostersync.imports.receive import Received
from rostersync.sources.oneroster import OneRosterError
from rostersync.syncs.schemas import SyncRunOut

CLI_STARTER = "operator (cli)"


def import_roster(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="A zip of the CSV files, a folder holding them, or the CSV files themselves.",
            exists=True,
            readable=True,
            show_default=False,
        ),
    ],
    district: Annotated[str, typer.Option(help="The District ID to import into.")],
    preview: PreviewOption = False,
    as_json: JsonOption = False,
    inline: InlineOption = False,
) -> None:
    """Import a district's OneRoster CSV files (orgs, users, classes, enrollments) and wait
    for the result. Exit code 0 means successful.

    The files are checked first; every problem is printed with its file, line and column,
    and nothing is imported. The run then goes through the same queue, safeguards and
    engine as an upload to POST /districts/{code}/imports: a `rostersync serve` worker
    executes it if one is running (this command follows it), else it runs here.
    """
    settings = load_settings()
    received = _received(paths)
    result = run(
        _import(settings, district, received, preview=preview, show=not as_json, inline=inline)
    )
    finish(result, as_json=as_json)


def _received(paths: list[Path]) -> Received:
    """One zip as it is; a folder's files, or the files given, by name."""
    if len(paths) == 1 and paths[0].is_file() and paths[0].suffix.lower() == ".zip":
        return paths[0]
    files = [p for path in paths for p in (sorted(path.iterdir()) if path.is_dir() else [path])]
    return {file.name: file for file in files if file.is_file()}


async def _import(
    settings: Settings,
    code: str,
    received: Received,
    *,
    preview: bool,
    show: bool,
    inline: bool,
) -> SyncRunOut:
    bars = CollectionBars(enabled=show)
    async with (
        service.scratch_dir(settings.upload) as workdir,
        migrated_database(settings) as database,
    ):
        async with database.sessionmaker() as session:
            service.require_uploads(await districts.get_district(session, code))
        try:
            upload = await service.open_received(received, workdir, settings.upload)
        except OneRosterError as exc:
            _print_problems(exc)

        async def queue_run(session: AsyncSession) -> uuid.UUID:
            with _StoreBar(enabled=show) as bar:
                district = await districts.get_district(session, code)
                queued = await service.queue_import(
                    session,
                    district,
                    upload,
                    started_by=CLI_STARTER,
                    preview=preview,
                    on_progress=bar.update,
                )
            return queued.id

        opener = upload_opener(database, settings.upload)
        return await queue_and_execute(
            database, settings, queue_run, opener, bars, inline=inline, show_progress=show
        )


def _print_problems(exc: OneRosterError) -> NoReturn:
    console = Console(stderr=True)
    console.print("The files cannot be imported; nothing was changed:", style="red")
    for problem in exc.problems:
        console.print(f"  - {problem}", markup=False, highlight=False)
    fail(f"{len(exc.problems)} problem(s) to fix in the files, then import again")


class _StoreBar:
    """Bytes of the upload stored with its run so far."""

    def __init__(self, *, enabled: bool) -> None:
        self._progress = Progress(
            TextColumn("storing upload"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            console=Console(stderr=True),
            disable=not enabled,
            transient=True,
        )
        self._task = self._progress.add_task("store", total=None)

    def __enter__(self) -> _StoreBar:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def update(self, stored: int, total: int) -> None:
        self._progress.update(self._task, completed=stored, total=total)
