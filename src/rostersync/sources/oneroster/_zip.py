"""Extracting the files we read from an uploaded zip, without trusting the archive.

Every entry's name is checked (absolute paths, drive letters, `..`, symbolic links and
encrypted entries refuse the whole upload), and a file is written under its OneRoster name,
never under a path from the archive. Entries are extracted a chunk at a time against a byte
budget and a compression-ratio bound: the sizes in the headers are checked first but not
trusted, since a crafted archive can state any size it likes.
"""

from __future__ import annotations

import re
import stat
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ._errors import OneRosterError, Problem

CHUNK = 1 << 16
MAX_ENTRIES = 1000
# Below this many bytes out, an entry's ratio is not judged (a small CSV compresses well).
RATIO_FLOOR = 1 << 20
# zipfile inflates bzip2 and LZMA without an output bound, so only these are read.
METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}
_DRIVE = re.compile(r"[A-Za-z]:")
TOO_LARGE = 413


@dataclass(frozen=True)
class Limits:
    """How much an upload may be: total CSV bytes, and how far a zip entry may expand."""

    max_bytes: int
    max_ratio: int


@dataclass(frozen=True)
class Extracted:
    files: dict[str, Path]  # OneRoster name -> extracted file
    ignored: list[str]  # entries that are no file we read


def extract(
    archive: Path, dest: Path, canonical: Callable[[str], str | None], limits: Limits
) -> Extracted:
    """The archive's OneRoster files, written into `dest` under their OneRoster names.

    `canonical` maps an entry's base name to the OneRoster name it is, or None.
    """
    if archive.stat().st_size > limits.max_bytes:
        raise _too_large(archive.name, archive.stat().st_size, limits)
    try:
        with zipfile.ZipFile(archive) as zf:
            chosen, ignored = _choose(zf.infolist(), canonical)
            _check_declared(chosen, limits)
            budget = limits.max_bytes
            for name, info in chosen.items():
                budget -= _copy(zf, info, dest / name, budget, limits)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise _unreadable(archive.name, f"is not a zip archive we can read ({exc})") from None
    return Extracted({name: dest / name for name in chosen}, ignored)


def _choose(
    infos: list[zipfile.ZipInfo], canonical: Callable[[str], str | None]
) -> tuple[dict[str, zipfile.ZipInfo], list[str]]:
    if len(infos) > MAX_ENTRIES:
        raise _unreadable(None, f"the archive has {len(infos)} entries; at most {MAX_ENTRIES}")
    problems: list[Problem] = []
    chosen: dict[str, zipfile.ZipInfo] = {}
    ignored: list[str] = []
    for info in infos:
        name = None if info.is_dir() else canonical(info.filename)
        if (why := _unsafe(info)) is not None:
            problems.append(Problem(info.filename, None, None, why))
        elif name is None:
            ignored += [] if info.is_dir() else [info.filename]
        elif name in chosen:
            message = f"the archive has two {name} ({chosen[name].filename}); keep one"
            problems.append(Problem(info.filename, None, None, message))
        else:
            chosen[name] = info
    if problems:
        raise OneRosterError(problems)
    return chosen, ignored


def _unsafe(info: zipfile.ZipInfo) -> str | None:
    """Why an entry refuses the upload, or None."""
    name = info.filename.replace("\\", "/")
    if name.startswith("/") or _DRIVE.match(name):
        return "is an absolute path; zip the files themselves, not their location"
    if ".." in name.split("/"):
        return "points outside the archive ('..'); the upload was refused"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "is a symbolic link; zip the files themselves"
    if info.flag_bits & 0x1:
        return "is encrypted; upload an archive without a password"
    if info.compress_type not in METHODS and not info.is_dir():
        return "uses a compression method we do not read; zip it with the standard method"
    return None


def _check_declared(chosen: dict[str, zipfile.ZipInfo], limits: Limits) -> None:
    declared = sum(info.file_size for info in chosen.values())
    if declared > limits.max_bytes:
        names = ", ".join(chosen)
        raise _too_large(names, declared, limits, "expand to")


def _copy(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, budget: int, limits: Limits
) -> int:
    """Extract one entry, counting what comes out; the bytes written."""
    written = 0
    ceiling = limits.max_ratio * max(info.compress_size, 1)
    with zf.open(info) as source, target.open("wb") as out:
        while chunk := source.read(CHUNK):
            written += len(chunk)
            if written > budget:
                raise _too_large(info.filename, written, limits, "expands to at least")
            if written > RATIO_FLOOR and written > ceiling:
                message = (
                    f"expands more than {limits.max_ratio} times its compressed size "
                    "(a zip bomb?); the upload was refused"
                )
                raise OneRosterError(
                    [Problem(info.filename, None, None, message)], status_code=TOO_LARGE
                )
            out.write(chunk)
    return written


def _too_large(name: str, size: int, limits: Limits, verb: str = "is") -> OneRosterError:
    message = (
        f"{verb} {size:,} bytes; uploads are limited to {limits.max_bytes:,} bytes of CSV "
        "in all; ask the service's operator for a higher limit (a bulk upload cannot be split)"
    )
    return OneRosterError([Problem(name, None, None, message)], status_code=TOO_LARGE)


def _unreadable(name: str | None, message: str) -> OneRosterError:
    return OneRosterError([Problem(name, None, None, message)])
