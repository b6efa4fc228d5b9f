"""Opening an upload: its files found (zip or multipart parts), sized, and their headers checked.

Everything that makes an upload unusable as a whole and can be seen without reading it
through is found here, before any run starts: missing files or columns, unsafe or oversized
archives, a header that is not UTF-8, a manifest that announces delta files.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ._csv import CsvFile, iter_rows, read_header
from ._errors import OneRosterError, Problem
from ._spec import MANIFEST, REQUIRED, ROLES, SPECS, USERS, USERS_V11_COLUMNS, FileSpec
from ._zip import TOO_LARGE, Limits, extract

DEFAULT_MAX_RATIO = 100
_BY_LOWER_NAME = {name.lower(): name for name in SPECS}


@dataclass(frozen=True)
class OneRosterUpload:
    """An upload whose files are all there, on disk, with the columns the mapping reads."""

    files: Mapping[str, CsvFile]  # by OneRoster name: "users.csv", ...
    workdir: Path  # where a zip was extracted and the reader keeps its index
    ignored: tuple[str, ...] = field(default=())  # uploaded files that are not read

    @property
    def has_roles(self) -> bool:
        """OneRoster 1.2: roles and orgs of users come from roles.csv."""
        return ROLES.name in self.files


async def open_upload(
    upload: Path | Mapping[str, Path],
    *,
    workdir: Path,
    max_bytes: int,
    max_ratio: int = DEFAULT_MAX_RATIO,
) -> OneRosterUpload:
    """Open a zip archive, or multipart parts saved to disk (part file name -> path).

    `workdir` is a directory the caller owns and removes: a zip is extracted into it and the
    source keeps its temporary index there. `max_bytes` bounds the CSV files in all (zipped
    or not); a zip entry may not expand more than `max_ratio` times. Raises OneRosterError
    (status 413 for sizes, 422 otherwise) listing every problem found.
    """
    limits = Limits(max_bytes, max_ratio)
    return await asyncio.to_thread(_open, upload, workdir, limits)


def canonical_name(filename: str) -> str | None:
    """The OneRoster file a name is ("Users.CSV", "export/users.csv" -> "users.csv"), or None."""
    return _BY_LOWER_NAME.get(filename.replace("\\", "/").rsplit("/", 1)[-1].lower())


def _open(upload: Path | Mapping[str, Path], workdir: Path, limits: Limits) -> OneRosterUpload:
    if isinstance(upload, Mapping):
        found, ignored = _parts(upload, limits)
    else:
        extracted = extract(Path(upload), workdir, canonical_name, limits)
        found, ignored = extracted.files, extracted.ignored
    files, problems = _headers(found)
    problems += _missing_files(found) + _missing_columns(files) + _manifest(files)
    if problems:
        raise OneRosterError(problems)
    return OneRosterUpload(files, workdir, tuple(ignored))


def _parts(parts: Mapping[str, Path], limits: Limits) -> tuple[dict[str, Path], list[str]]:
    found: dict[str, Path] = {}
    ignored: list[str] = []
    problems: list[Problem] = []
    for filename, path in parts.items():
        name = canonical_name(filename)
        if name is None:
            ignored.append(filename)
        elif name in found:
            problems.append(Problem(filename, None, None, f"is a second {name}; upload one"))
        else:
            found[name] = path
    if problems:
        raise OneRosterError(problems)
    _check_size(found, limits)
    return found, ignored


def _check_size(found: Mapping[str, Path], limits: Limits) -> None:
    total = sum(path.stat().st_size for path in found.values())
    if total > limits.max_bytes:
        largest = max(found, key=lambda name: found[name].stat().st_size)
        message = (
            f"the files are {total:,} bytes in all (this one the largest); uploads are "
            f"limited to {limits.max_bytes:,} bytes; ask the service's operator for a higher "
            "limit (a bulk upload cannot be split)"
        )
        raise OneRosterError([Problem(largest, None, None, message)], status_code=TOO_LARGE)


def _headers(found: Mapping[str, Path]) -> tuple[dict[str, CsvFile], list[Problem]]:
    files: dict[str, CsvFile] = {}
    problems: list[Problem] = []
    for name, path in found.items():
        try:
            files[name] = read_header(name, path)
        except OneRosterError as exc:
            problems += exc.problems
    return files, problems


def _missing_files(found: Mapping[str, Path]) -> list[Problem]:
    return [
        Problem(spec.name, None, None, "is missing; every upload needs it (OneRoster 1.1 bulk)")
        for spec in REQUIRED
        if spec.name not in found
    ]


def _missing_columns(files: Mapping[str, CsvFile]) -> list[Problem]:
    problems: list[Problem] = []
    for name, file in files.items():
        spec = SPECS[name]
        required = spec.required
        if spec is USERS and ROLES.name not in files:
            required += USERS_V11_COLUMNS
        problems += [
            _missing_column(file, column) for column in required if column not in file.columns
        ]
        problems += _repeated_columns(file, spec)
    return problems


def _missing_column(file: CsvFile, column: str) -> Problem:
    near = [c for c in file.columns if c.lower() == column.lower()]
    hint = f" (found '{near[0]}': column names are case-sensitive)" if near else ""
    if file.name == USERS.name and column in USERS_V11_COLUMNS and not near:
        hint = " (or upload roles.csv, OneRoster 1.2)"
    return Problem(file.name, 1, column, f"missing from the header{hint}; add the column")


def _repeated_columns(file: CsvFile, spec: FileSpec) -> list[Problem]:
    return [
        Problem(file.name, 1, column, "appears twice in the header; keep one")
        for column in spec.columns
        if file.columns.count(column) > 1
    ]


def _manifest(files: Mapping[str, CsvFile]) -> list[Problem]:
    """A manifest may announce delta files (we only read bulk) or files that are not there."""
    manifest = files.get(MANIFEST.name)
    if manifest is None or any(c not in manifest.columns for c in MANIFEST.required):
        return []
    key, value = (manifest.columns.index(c) for c in MANIFEST.required)
    problems: list[Problem] = []
    for line, row in iter_rows(manifest):
        prop = row[key].strip() if key < len(row) else ""
        mode = row[value].strip().lower() if value < len(row) else ""
        name = (
            canonical_name(prop.removeprefix("file.") + ".csv")
            if prop.startswith("file.")
            else None
        )
        if name is None or name == MANIFEST.name:
            continue
        if mode == "delta":
            message = f"{prop} is 'delta'; upload a bulk export (every record, every time)"
            problems.append(Problem(MANIFEST.name, line, "value", message))
        elif mode == "bulk" and name not in files:
            message = f"{prop} is 'bulk' but the upload has no {name}; add the file"
            problems.append(Problem(MANIFEST.name, line, "value", message))
    return problems
