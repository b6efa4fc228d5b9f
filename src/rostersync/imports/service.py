"""Accepting an upload: the district may take it, the files are usable, the run is queued.

An upload is checked whole before its run exists (files, columns, headers, sizes, the
zip's safety): what fails there is answered at once, with every problem's file, line and
column, and nothing is queued. What can only be seen by reading every row (a byte that is
not UTF-8 deep in a file) fails the run instead, before anything reaches the roster.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from rostersync.accounts.dependencies import Caller
from rostersync.config import UploadSettings
from rostersync.districts.models import District
from rostersync.imports import repository
from rostersync.imports.exceptions import NotAnUploadDistrictError
from rostersync.imports.receive import Received
from rostersync.sources.oneroster import OneRosterUpload, open_upload
from rostersync.syncs import queue
from rostersync.syncs import service as syncs
from rostersync.syncs.exceptions import SyncAlreadyActiveError
from rostersync.syncs.models import SyncRun

StoreProgress = Callable[[int, int], None]  # (bytes stored, bytes in all)


@asynccontextmanager
async def scratch_dir(settings: UploadSettings) -> AsyncIterator[Path]:
    """A private directory for one upload (UPLOAD_WORK_DIR), removed afterwards."""
    base = settings.work_dir
    if base is not None:
        base.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix="rostersync-upload-", dir=base))
    try:
        yield path
    finally:
        await asyncio.to_thread(shutil.rmtree, path, ignore_errors=True)


def require_uploads(district: District) -> None:
    """Refuse, with what to do, a district that cannot take an upload now."""
    syncs.require_active(district)
    if district.source != "oneroster_csv":
        raise NotAnUploadDistrictError(district.code)


async def uploading_district(session: AsyncSession, caller: Caller, code: str) -> District:
    """The district an upload is for, checked before its body is read: the caller may
    upload for it, it takes uploads, and no sync of it is queued, running or held."""
    district = await syncs.caller_district(session, caller, code)
    require_uploads(district)
    active = await queue.active_run_id(session, district.id)
    if active is not None:
        raise SyncAlreadyActiveError(district.code, str(active))
    return district


async def open_received(
    received: Received, workdir: Path, settings: UploadSettings
) -> OneRosterUpload:
    """Check a received upload whole (OneRosterError lists every problem)."""
    return await open_upload(received, workdir=workdir, max_bytes=settings.max_bytes)


async def queue_import(
    session: AsyncSession,
    district: District,
    upload: OneRosterUpload,
    *,
    started_by: str,
    preview: bool = False,
    on_progress: StoreProgress | None = None,
) -> SyncRun:
    """Queue an `upload` run and store its files with it, in the caller's transaction."""
    require_uploads(district)
    run = await syncs.create_run(
        session, district, trigger="upload", started_by=started_by, preview=preview
    )
    total = sum(file.path.stat().st_size for file in upload.files.values())
    stored = 0

    def progress(step: int) -> None:
        nonlocal stored
        stored += step
        if on_progress is not None:
            on_progress(stored, total)

    for name, file in upload.files.items():
        await repository.store_file(session, run.id, name, file.path, progress)
    return run
