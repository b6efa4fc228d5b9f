"""How a worker reads an `upload` run: its stored files, back on local disk, as a source."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from rostersync.config import UploadSettings
from rostersync.db import Database
from rostersync.imports import repository
from rostersync.imports.exceptions import UploadGoneError
from rostersync.imports.service import open_received, scratch_dir
from rostersync.roster.sources import RosterSource
from rostersync.sources.oneroster import OneRosterSource
from rostersync.syncs.queue import ClaimedRun
from rostersync.syncs.worker import SourceOpener


def upload_opener(database: Database, settings: UploadSettings) -> SourceOpener:
    """Open a claimed upload run's files; once the run ended or is held, delete them."""

    @asynccontextmanager
    async def open_source(run: ClaimedRun) -> AsyncIterator[RosterSource]:
        try:
            async with scratch_dir(settings) as workdir:
                async with database.sessionmaker() as session:
                    parts = await repository.load_files(session, run.id, workdir / "files")
                if not parts:
                    raise UploadGoneError
                upload = await open_received(parts, workdir, settings)
                async with OneRosterSource(upload) as source:
                    yield source
        finally:
            # Kept while the run may still need it (given back to the queue, recovered).
            async with database.sessionmaker.begin() as session:
                await repository.delete_unneeded(session, run.id)

    return open_source
