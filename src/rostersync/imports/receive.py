"""Receiving an upload's body onto disk, never more of it than the size limit allows.

The body is counted as it arrives: an upload that announces too large a Content-Length is
refused before a byte is read, and one sent without (chunked) is cut off at the limit.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from starlette.datastructures import UploadFile
from starlette.requests import ClientDisconnect, Request
from starlette.types import Message, Receive

from rostersync.imports.exceptions import (
    ZIP_MEDIA_TYPES,
    MixedUploadError,
    NoFilesUploadedError,
    UnsupportedUploadError,
    UploadInterruptedError,
    UploadTooLargeError,
)

# Room for multipart boundaries and part headers on top of the files' own bytes.
MULTIPART_OVERHEAD = 1 << 20
MAX_PARTS = 16  # seven OneRoster files, a manifest, and room for a few strays
COPY_BUFFER = 1 << 20

Received = Path | dict[str, Path]  # a zip, or {part file name: saved part}


async def receive_upload(request: Request, directory: Path, max_bytes: int) -> Received:
    """Save the request's zip body, or its multipart file parts, under `directory`."""
    limit = max_bytes + MULTIPART_OVERHEAD
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise UploadTooLargeError(max_bytes)
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    limited = Request(request.scope, _counting(request.receive, limit, max_bytes))
    try:
        if media_type == "multipart/form-data":
            return await _multipart(limited, directory)
        if media_type in ZIP_MEDIA_TYPES:
            return await _zip_body(limited, directory / "upload.zip")
    except ClientDisconnect as exc:
        raise UploadInterruptedError from exc
    raise UnsupportedUploadError(media_type)


def _counting(receive: Receive, limit: int, max_bytes: int) -> Receive:
    received = 0

    async def counted() -> Message:
        nonlocal received
        message = await receive()
        received += len(message.get("body", b""))
        if received > limit:
            raise UploadTooLargeError(max_bytes)
        return message

    return counted


async def _zip_body(request: Request, path: Path) -> Path:
    size = 0
    with path.open("wb") as file:
        async for chunk in request.stream():
            size += len(chunk)
            await asyncio.to_thread(file.write, chunk)
    if size == 0:
        raise NoFilesUploadedError
    return path


async def _multipart(request: Request, directory: Path) -> Received:
    """Each file part saved as it was named (`filename`, else the field's name)."""
    parts: dict[str, Path] = {}
    async with request.form(max_files=MAX_PARTS, max_fields=MAX_PARTS) as form:
        for field, value in form.multi_items():
            if not isinstance(value, UploadFile):
                continue
            name = value.filename or field
            path = directory / f"part-{len(parts)}"
            with path.open("wb") as saved:
                await asyncio.to_thread(shutil.copyfileobj, value.file, saved, COPY_BUFFER)
            # Two parts of one name: keep both (the upload check reports the second).
            parts[name if name not in parts else f"part {len(parts) + 1}/{name}"] = path
    if not parts:
        raise NoFilesUploadedError
    zips = [name for name in parts if name.lower().endswith(".zip")]
    if not zips:
        return parts
    if len(parts) > 1:
        raise MixedUploadError(zips[0])
    return parts[zips[0]]
