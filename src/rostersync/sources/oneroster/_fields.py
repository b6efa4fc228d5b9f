"""Reading one stored row: its values, and the rejection that names file, line and column."""

from __future__ import annotations

from typing import NamedTuple, NoReturn

from ._errors import Problem
from ._index import Row
from ._spec import ID_SIZE

MISSING_ID = "(missing sourcedId)"


class Skipped(NamedTuple):
    """A row that is deliberately not rostered (a parent, a disabled user), and why."""

    reason: str


class Reject(Exception):  # noqa: N818 - control flow inside a mapper, never raised out of one
    """The row cannot be used; mappers turn this into a RejectedRecord."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


class Fields:
    """A stored row of one file."""

    __slots__ = ("file", "row")

    def __init__(self, file: str, row: Row) -> None:
        self.file = file
        self.row = row

    @property
    def key(self) -> str:
        """The row's sourcedId, for a rejection (whatever its length)."""
        return str(self.row["sourcedId"] or MISSING_ID)

    def reject(self, column: str | None, message: str) -> NoReturn:
        raise Reject(Problem(self.file, self.row["line"], column, message))

    def check_stored(self) -> None:
        """Reject a row the index found is no proper record, or repeats an earlier key."""
        if self.row["problem"]:
            self.reject(None, self.row["problem"])
        if self.row["dup_of"]:
            self.reject(
                "sourcedId",
                f"'{self.row['sourcedId']}' repeats line {self.row['dup_of']}; the first row "
                "is kept, remove or renumber this one",
            )

    def require(self, *columns: str) -> None:
        """Reject the row naming every one of `columns` that has no value."""
        missing = [column for column in columns if not self.row[column]]
        if missing:
            self.reject(", ".join(missing), "missing; every row needs a value here")

    def text(self, column: str, limit: int) -> str | None:
        """The value, None when blank; rejected when the roster cannot hold it."""
        value: str | None = self.row[column]
        if not value:
            return None
        if len(value) > limit:
            self.reject(column, f"{len(value)} characters, at most {limit}; shorten it")
        return value

    def required(self, column: str, limit: int = ID_SIZE) -> str:
        value = self.text(column, limit)
        if value is None:
            self.reject(column, "missing; every row needs a value here")
        return value

    def lower(self, column: str) -> str:
        """An enumeration's value, lower-cased ('' when blank)."""
        return str(self.row[column] or "").lower()

    def ids(self, column: str) -> list[str]:
        """A list column ("a,b, c") as its ids, each once; rejected if one is too long."""
        listed = (self.row[column] or "").split(",")
        ids = list(dict.fromkeys(stripped for item in listed if (stripped := item.strip())))
        for found in ids:
            if len(found) > ID_SIZE:
                self.reject(column, f"an id of {len(found)} characters, at most {ID_SIZE}")
        return ids
