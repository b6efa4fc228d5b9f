"""The upload's rows in a temporary SQLite database, so nothing large is held in memory.

Each file becomes a table of the columns the mapping reads (values stripped), numbered `n`
1..N in file order, with the record's `line`, a `problem` for a row that is no proper record
and `dup_of`, the line of the first row with the same key. Covering indexes let a chunk of
classes find its enrollments (and a chunk of users its roles) without touching the rest.
Blocking: every method runs in a worker thread, one at a time (the source serialises them).
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Iterator
from itertools import islice
from operator import itemgetter
from pathlib import Path
from typing import Any, Protocol

from ._csv import CsvFile, iter_rows
from ._spec import SPECS, USERS, FileSpec

LOAD_CHUNK = 20_000  # rows inserted per step (a step is one turn of a worker thread)
CACHE_KIB = 32 * 1024  # SQLite's page cache: index builds sort within it, then spill to disk
# SQL here names tables and columns from the FileSpecs in _spec.py, never from an upload
# (S608 is silenced line by line); values always travel as parameters.


class Row(Protocol):
    """A stored row, by column name (an sqlite3.Row, or a dict of one)."""

    def __getitem__(self, key: str, /) -> Any: ...


# The columns of a members_of() row, in order.
MEMBER_COLUMNS = (
    "n",
    "line",
    "problem",
    "dup_of",
    "sourcedId",
    "classSourcedId",
    "userSourcedId",
    "role",
    "primary",
    "user_known",
    "user_disabled",
)
MemberRow = tuple[Any, ...]


class Index:
    def __init__(self, workdir: Path) -> None:
        handle, name = tempfile.mkstemp(prefix="oneroster-", suffix=".sqlite", dir=workdir)
        os.close(handle)  # an empty file is an empty database to SQLite
        self.path = Path(name)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        for pragma in ("journal_mode = OFF", "synchronous = OFF", "temp_store = FILE"):
            self._db.execute(f"PRAGMA {pragma}")
        self._db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        for spec in SPECS.values():
            self._db.execute(_create_table(spec))
        self._db.execute(_CREATE_KNOWN_USERS)

    def close(self) -> None:
        self._db.close()
        self.path.unlink(missing_ok=True)

    def load(self, file: CsvFile, spec: FileSpec) -> Iterator[bool]:
        """Load the file a chunk per step, then index it (the last step)."""
        columns = [c for c in spec.columns if c in file.columns]
        placeholders = ", ".join("?" * (len(columns) + 3))
        names = ", ".join(["n", "line", "problem", *map(_quoted, columns)])
        insert = f"INSERT INTO {_quoted(spec.table)} ({names}) VALUES ({placeholders})"  # noqa: S608
        rows = _stored(file, columns)
        while chunk := list(islice(rows, LOAD_CHUNK)):
            self._db.execute("BEGIN")
            self._db.executemany(insert, chunk)
            self._db.execute("COMMIT")
            yield True
        for statement in _index_statements(spec):
            self._db.execute(statement)
        if spec is USERS:
            self._db.execute(_FILL_KNOWN_USERS)

    def count(self, spec: FileSpec) -> int:
        sql = f"SELECT count(*) FROM {_quoted(spec.table)}"  # noqa: S608
        found: int = self._db.execute(sql).fetchone()[0]
        return found

    def rows(self, spec: FileSpec, start: int, stop: int) -> list[sqlite3.Row]:
        """Rows n in [start, stop), in file order."""
        sql = f"SELECT * FROM {_quoted(spec.table)} WHERE n >= ? AND n < ? ORDER BY n"  # noqa: S608
        return self._db.execute(sql, (start, stop)).fetchall()

    def org_types(self) -> dict[str, str]:
        """sourcedId -> type (lower-cased) of every org, a repeated one as first given."""
        return dict(self._db.execute(_ORG_TYPES).fetchall())

    def titles(self, spec: FileSpec) -> dict[str, str]:
        """sourcedId -> title of academic sessions or courses."""
        sql = f'SELECT "sourcedId", title FROM {_quoted(spec.table)} WHERE {_FIRST}'  # noqa: S608
        return {row[0]: row[1] for row in self._db.execute(sql) if row[1]}

    def roles_of(self, start: int, stop: int) -> list[sqlite3.Row]:
        """The roles.csv rows of users n in [start, stop), in file order."""
        return self._db.execute(_ROLES_OF, (start, stop)).fetchall()

    def members_of(self, start: int, stop: int) -> list[MemberRow]:
        """The enrollments of classes n in [start, stop) (MEMBER_COLUMNS), class by class.

        Plain tuples: a district has millions of enrollments, and sqlite3.Row costs.
        """
        cursor = self._db.cursor()
        cursor.row_factory = None
        return cursor.execute(_MEMBERS_OF, (start, stop)).fetchall()

    def orphan_enrollments(self, after: int, limit: int) -> list[sqlite3.Row]:
        """Enrollments after n `after` whose class is not in classes.csv."""
        return self._db.execute(_ORPHAN_ENROLLMENTS, (after, limit)).fetchall()

    def orphan_roles(self, after: int, limit: int) -> list[sqlite3.Row]:
        """roles.csv rows after n `after` whose user is not in users.csv."""
        return self._db.execute(_ORPHAN_ROLES, (after, limit)).fetchall()


def _quoted(name: str) -> str:
    return f'"{name}"'


def _create_table(spec: FileSpec) -> str:
    columns = ", ".join(f"{_quoted(c)} TEXT" for c in spec.columns)
    return (
        f"CREATE TABLE {_quoted(spec.table)} (n INTEGER PRIMARY KEY, line INTEGER NOT NULL, "
        f"problem TEXT, dup_of INTEGER, {columns})"
    )


def _index_statements(spec: FileSpec) -> list[str]:
    table = _quoted(spec.table)
    statements = [
        # Covering: every column a lookup reads is in the index, in lookup order.
        f"CREATE INDEX {_quoted(spec.table + '_' + c)} ON {table} ({_quoted(c)}, n, "
        + ", ".join(map(_quoted, [*(o for o in spec.columns if o != c), "problem", "dup_of"]))
        + ")"
        for c in spec.lookups
    ]
    if spec.key is not None:
        key = _quoted(spec.key)
        statements += [
            f"CREATE INDEX {_quoted(spec.table + '_key')} ON {table} ({key}, n)",
            # Every later row with a key already seen points at the first one's line.
            f"""UPDATE {table} AS later SET dup_of = first.line
                FROM (SELECT {key} AS id, min(n) AS n FROM {table}
                      WHERE {key} <> '' GROUP BY {key} HAVING count(*) > 1) AS repeated
                JOIN {table} AS first ON first.n = repeated.n
                WHERE later.{key} = repeated.id AND later.n > repeated.n""",  # noqa: S608
        ]
    return statements


def _stored(file: CsvFile, columns: list[str]) -> Iterator[tuple[object, ...]]:
    """(n, line, problem, values...) of each record: the columns' values, stripped."""
    width = len(file.columns)
    assert len(columns) > 1  # every spec requires two columns or more: pick gives a tuple
    pick = itemgetter(*(file.columns.index(c) for c in columns))
    for n, (line, row) in enumerate(iter_rows(file), 1):
        problem = None
        if len(row) != width:
            problem = (
                f"has {len(row)} values where the header has {width} columns; "
                f"quote values that contain '{file.delimiter}' or a line break"
            )
            row += [""] * (width - len(row))
        yield (n, line, problem, *map(str.strip, pick(row)))


# A row whose key is its own: the first with its sourcedId (and one it has).
_FIRST = "dup_of IS NULL AND \"sourcedId\" <> ''"
_ORG_TYPES = f'SELECT "sourcedId", lower(type) FROM orgs WHERE {_FIRST}'  # noqa: S608
# Every user id of users.csv (first rows), for enrollments and roles to be checked against.
_CREATE_KNOWN_USERS = (
    "CREATE TABLE known_users (id TEXT PRIMARY KEY, disabled INTEGER) WITHOUT ROWID"
)
_FILL_KNOWN_USERS = f"""
    INSERT INTO known_users
    SELECT "sourcedId", lower(coalesce("enabledUser", '')) = 'false' FROM users WHERE {_FIRST}"""  # noqa: S608
# CROSS JOIN makes SQLite join in the order written: a chunk of rows, then their lookups
# (without statistics it may otherwise scan the large table once per chunk).
_ROLES_OF = """
    SELECT r.* FROM users u CROSS JOIN roles r ON r."userSourcedId" = u."sourcedId"
    WHERE u.n >= ? AND u.n < ? AND u.dup_of IS NULL AND u."sourcedId" <> ''
    ORDER BY u.n, r.n"""
_MEMBERS_OF = """
    SELECT e.n, e.line, e.problem, e.dup_of, e."sourcedId", e."classSourcedId",
           e."userSourcedId", e.role, e."primary", k.id IS NOT NULL, coalesce(k.disabled, 0)
    FROM classes c
    CROSS JOIN enrollments e ON e."classSourcedId" = c."sourcedId"
    LEFT JOIN known_users k ON k.id = e."userSourcedId"
    WHERE c.n >= ? AND c.n < ? AND c.dup_of IS NULL AND c."sourcedId" <> ''
    ORDER BY c.n, e.n"""
_ORPHAN_ENROLLMENTS = """
    SELECT e.* FROM enrollments e
    WHERE e.n > ? AND (e."classSourcedId" = '' OR NOT EXISTS (
        SELECT 1 FROM classes c WHERE c."sourcedId" = e."classSourcedId"))
    ORDER BY e.n LIMIT ?"""
_ORPHAN_ROLES = """
    SELECT r.* FROM roles r
    WHERE r.n > ? AND NOT EXISTS (SELECT 1 FROM known_users k WHERE k.id = r."userSourcedId")
    ORDER BY r.n LIMIT ?"""
