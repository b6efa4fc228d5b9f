"""OneRosterError: an upload that cannot be read, with every problem's file, line and column."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from rostersync.errors import AppError

MAX_LISTED = 20  # problems kept in the error's message and response (the rest are counted)


class Problem(NamedTuple):
    """Where something is wrong in an upload, and what the district admin should do."""

    file: str | None
    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        place = " ".join(filter(None, (self.file, f"line {self.line}" if self.line else None)))
        if self.column is not None:
            place = f"{place}, column {self.column}" if place else f"column {self.column}"
        return f"{place}: {self.message}" if place else self.message


class OneRosterError(AppError):
    """The upload cannot be used at all: nothing of it may reach the roster.

    Raised when an upload is opened (missing files or columns, unsafe or oversized archives)
    and from a source's collections (a file that turns out not to be UTF-8 or not CSV deep
    inside), so the run fails before the engine changes anything. Problems with one record
    are never this error: they become rejected records.
    """

    status_code = 422

    def __init__(self, problems: Sequence[Problem], *, status_code: int | None = None) -> None:
        listed = list(problems[:MAX_LISTED])
        more = len(problems) - len(listed)
        message = "; ".join(str(p) for p in listed) + (f"; and {more} more" if more else "")
        super().__init__(
            message, status_code, problems=[p._asdict() for p in listed], more_problems=more
        )
        self.problems = list(problems)
