"""Streaming CSV: UTF-8 with or without a BOM, `,` `;` or tab, any line ending, quoted newlines.

A file is read a line at a time, so memory never holds more than one record whatever the
file's size. Each line is decoded on its own, so a byte that is not UTF-8 is reported with
its line and column rather than as an offset in the file.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ._errors import OneRosterError, Problem

MAX_LINE_BYTES = 1 << 20  # a longer physical line is no roster CSV (or no line ending at all)
DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True)
class CsvFile:
    """One file of the upload: where it is and what its header says."""

    name: str
    path: Path
    delimiter: str
    columns: tuple[str, ...]  # the header's names, surrounding whitespace removed


def read_header(name: str, path: Path) -> CsvFile:
    """The file's header: its delimiter (`,` `;` or tab, whichever the header has most of)."""
    with path.open("rb") as raw:
        first = raw.readline(MAX_LINE_BYTES + 1).removeprefix(codecs.BOM_UTF8)
    if not first.strip():
        raise _error(name, None, "is empty; it needs at least its header line")
    _check_length(name, 1, first)
    header = _decoded(first, name, 1, None)
    delimiter = max(DELIMITERS, key=header.count)  # max keeps the first of a tie: ","
    columns = tuple(c.strip() for c in next(csv.reader([header], delimiter=delimiter)))
    return CsvFile(name, path, delimiter, columns)


def iter_rows(file: CsvFile) -> Iterator[tuple[int, list[str]]]:
    """(line, values) of every record after the header; blank lines are skipped.

    `line` is where the record starts (a quoted value may span lines). Raises OneRosterError
    when the file turns out not to be UTF-8 or not CSV.
    """
    with file.path.open("rb") as raw:
        reader = csv.reader(_lines(raw, file), delimiter=file.delimiter)
        try:
            next(reader, None)
            start = reader.line_num + 1
            for row in reader:
                if any(row):
                    yield start, row
                start = reader.line_num + 1
        except csv.Error as exc:
            raise _error(file.name, reader.line_num, f"is not valid CSV here ({exc})") from None


def _lines(raw: BinaryIO, file: CsvFile) -> Iterator[str]:
    number = 0
    while line := raw.readline(MAX_LINE_BYTES + 1):
        number += 1
        _check_length(file.name, number, line)
        yield _decoded(
            line.removeprefix(codecs.BOM_UTF8) if number == 1 else line, file.name, number, file
        )


def _decoded(line: bytes, name: str, number: int, file: CsvFile | None) -> str:
    """The line as text; `file` (None for a header) names the column of a bad byte.

    NUL is valid UTF-8 but no CSV has one (and PostgreSQL refuses it in text): it is what a
    UTF-16 file read as UTF-8 looks like.
    """
    try:
        if (nul := line.find(b"\0")) >= 0:
            raise UnicodeDecodeError("utf-8", line, nul, nul + 1, "NUL")
        return line.decode("utf-8")
    except UnicodeDecodeError as exc:
        column = None if file is None else _column_at(file, line[: exc.start])
        message = (
            f"is not UTF-8 (byte 0x{line[exc.start]:02X} at position {exc.start + 1}); "
            "save the file as UTF-8 (Excel: 'CSV UTF-8') and upload it again"
        )
        raise OneRosterError([Problem(name, number, column, message)]) from None


def _column_at(file: CsvFile, prefix: bytes) -> str | None:
    """The header name of the value a line's prefix ends in (counted from the line's start)."""
    text = prefix.decode("utf-8", "replace")
    position = len(next(csv.reader([text], delimiter=file.delimiter), [""])) - 1
    return file.columns[position] if 0 <= position < len(file.columns) else None


def _check_length(name: str, number: int, line: bytes) -> None:
    if len(line) > MAX_LINE_BYTES:
        limit = f"{MAX_LINE_BYTES // (1 << 20)} MiB"
        raise _error(name, number, f"is longer than {limit}; is this really a CSV file?")


def _error(name: str, line: int | None, message: str) -> OneRosterError:
    return OneRosterError([Problem(name, line, None, message)])
