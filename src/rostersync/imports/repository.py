"""All SQL about stored uploads: write a file in chunks, read them back, delete them."""

from __future__ import annotations

import asyncio
import uuid
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from rostersync.imports.models import SyncUpload
from rostersync.syncs.models import SyncRun

CHUNK_BYTES = 1 << 20  # of the file, before compression
# Compressed chunks inserted per statement: a few MB in flight at most.
CHUNKS_PER_INSERT = 8
READ_AHEAD_CHUNKS = 8
# Runs in these statuses may still read their upload (a recovered run reads it again).
NEEDED_WHILE = ("queued", "processing")

Progress = Callable[[int], None]  # bytes of the file just stored


async def store_file(
    session: AsyncSession,
    run_id: uuid.UUID,
    name: str,
    path: Path,
    on_progress: Progress | None = None,
) -> None:
    """Store the file at `path` as upload file `name` of run `run_id`, in chunks."""
    part = 0
    with path.open("rb") as file:
        while chunks := await asyncio.to_thread(_read_compressed, file, CHUNKS_PER_INSERT):
            rows = [
                {"sync_run_id": run_id, "file": name, "part": part + i, "data": data}
                for i, (data, _) in enumerate(chunks)
            ]
            await session.execute(insert(SyncUpload), rows)
            part += len(chunks)
            if on_progress is not None:
                on_progress(sum(size for _, size in chunks))


def _read_compressed(file: BinaryIO, count: int) -> list[tuple[bytes, int]]:
    chunks = []
    for _ in range(count):
        raw = file.read(CHUNK_BYTES)
        if not raw:
            break
        chunks.append((zlib.compress(raw, 1), len(raw)))
    return chunks


async def load_files(session: AsyncSession, run_id: uuid.UUID, directory: Path) -> dict[str, Path]:
    """Write run `run_id`'s upload into `directory`: {file name: path}; {} when none is kept.

    The chunks come through a server-side cursor, a few at a time: memory does not grow
    with the upload.
    """
    await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    query = (
        select(SyncUpload.file, SyncUpload.data)
        .where(SyncUpload.sync_run_id == run_id)
        .order_by(SyncUpload.file, SyncUpload.part)
        .execution_options(yield_per=READ_AHEAD_CHUNKS)
    )
    current: BinaryIO | None = None
    try:
        async for name, data in await session.stream(query):
            if name not in paths:
                if current is not None:
                    current.close()
                paths[name] = directory / f"{len(paths)}.csv"
                current = paths[name].open("wb")
            assert current is not None
            await asyncio.to_thread(_write_decompressed, current, data)
    finally:
        if current is not None:
            current.close()
    return paths


def _write_decompressed(file: BinaryIO, data: bytes) -> None:
    file.write(zlib.decompress(data))


async def delete_unneeded(session: AsyncSession, run_id: uuid.UUID | None = None) -> int:
    """Delete the uploads of runs that ended or are held (of `run_id` only, if given);
    the number of runs whose upload was deleted."""
    done = select(SyncRun.id).where(SyncRun.status.not_in(NEEDED_WHILE))
    if run_id is not None:
        done = done.where(SyncRun.id == run_id)
    result = await session.execute(
        delete(SyncUpload).where(SyncUpload.sync_run_id.in_(done)).returning(SyncUpload.sync_run_id)
    )
    return len(set(result.scalars()))
