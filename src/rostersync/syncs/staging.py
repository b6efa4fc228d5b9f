"""Per-run staging tables, filled with COPY while the source is still being read.

Staging tables are UNLOGGED (they are rebuilt by re-running, never recovered) and live in
the `staging` schema under the run's id, so a held run's snapshot outlives the process that
fetched it and can be applied later exactly as it was shown.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import asyncpg

from rostersync.roster.records import (
    EnrollmentRecord,
    RejectedRecord,
    SchoolRecord,
    SectionRecord,
    UserRecord,
)

SCHEMA = "staging"
# Scratch tables are written once and dropped within the run: autovacuum has nothing to do
# there. Left on, it vacuumed a 6.3M-row staging table while the run applied, and the run's
# DROP then waited for it to be cancelled (1 s at 300k). The diff tables are analyzed by the
# diff itself; the staging tables are planned from their size, which also keeps the plans
# from depending on whether an autoanalyze happened to catch a table half loaded.
_SCRATCH_OPTIONS = "WITH (autovacuum_enabled = false, toast.autovacuum_enabled = false)"


def create_scratch(table: str, columns: str | None = None) -> str:
    """`CREATE` one of a run's tables, unlogged and left alone by autovacuum: with its
    `columns`, or without, to be followed by `AS SELECT ...`."""
    if columns is None:
        return f"CREATE UNLOGGED TABLE {table} {_SCRATCH_OPTIONS}"
    return f"CREATE UNLOGGED TABLE {table} ({columns}) {_SCRATCH_OPTIONS}"


# Column types of each record kind; the order is the record's field order. Source ids are
# compared byte by byte ("C"), like the roster's `clever_id` (migration 0015): the diff
# joins, sorts and indexes millions of them.
_ID = 'text COLLATE "C"'
_COLUMN_TYPES: dict[str, str] = {
    "clever_id": _ID,
    "school_clever_id": _ID,
    "section_clever_id": _ID,
    "user_clever_id": _ID,
    "primary_teacher_clever_id": _ID,
    "student_clever_ids": _ID,
    "teacher_clever_ids": _ID,
    "roles": "text[]",
    "school_clever_ids": "text[]",
    "is_primary": "boolean",
    "member_count": "integer",
}
# Keys that identify a record within a run (duplicates: the last copy wins).
_KEYS: dict[type[NamedTuple], tuple[str, ...]] = {
    SchoolRecord: ("clever_id",),
    UserRecord: ("clever_id",),
    SectionRecord: ("clever_id",),
}
# A section's member lists travel to PostgreSQL as one text value each, joined by the ASCII
# unit separator, and are split there: an array would cost two type checks per member in the
# COPY encoder (1.3M of them for 100,000 students). No id contains the separator. Lists are
# expanded into staged enrollments only for sections whose members may have changed.
MEMBER_SEPARATOR = "\x1f"
MEMBER_SEPARATOR_SQL = f"chr({ord(MEMBER_SEPARATOR)})"
_STUDENTS = SectionRecord._fields.index("student_clever_ids")
_TEACHERS = SectionRecord._fields.index("teacher_clever_ids")
_PRIMARY = SectionRecord._fields.index("primary_teacher_clever_id")
_DIGEST = SectionRecord._fields.index("members_digest")
_MEMBER_COUNT = SectionRecord._fields.index("member_count")
# A user's roles and schools travel the same way, into a text column from which PostgreSQL
# derives the array the diff compares (a generated column): asyncpg encodes a text value
# about eight times faster than a one-element array, and every user has two.
_JOINED_LISTS: dict[type[Any], tuple[str, ...]] = {UserRecord: ("roles", "school_clever_ids")}
_USER_LISTS = tuple(UserRecord._fields.index(name) for name in _JOINED_LISTS[UserRecord])
KINDS: dict[type[Any], str] = {
    SchoolRecord: "schools",
    UserRecord: "users",
    SectionRecord: "sections",
    EnrollmentRecord: "enrollments",
    RejectedRecord: "rejects",
}


def _columns(record_type: type[Any]) -> tuple[str, ...]:
    """The staging columns a record's fields are COPYed into, in the record's order."""
    fields: tuple[str, ...] = record_type._fields
    joined = _JOINED_LISTS.get(record_type, ())
    return tuple(f"{name}_joined" if name in joined else name for name in fields)


def _column_definitions(record_type: type[Any]) -> list[str]:
    definitions = []
    for name in record_type._fields:
        column_type = _COLUMN_TYPES.get(name, "text")
        if name in _JOINED_LISTS.get(record_type, ()):
            definitions.append(f"{name}_joined text")
            definitions.append(
                f"{name} {column_type} GENERATED ALWAYS AS "
                f"(string_to_array({name}_joined, {MEMBER_SEPARATOR_SQL})) STORED"
            )
        else:
            definitions.append(f"{name} {column_type}")
    return definitions


@dataclass(frozen=True)
class StagingTables:
    """Names of one run's staging and diff tables (derived from the run id, so SQL-safe)."""

    run_id: uuid.UUID

    def table(self, kind: str) -> str:
        return f'{SCHEMA}."r{self.run_id.hex}_{kind}"'

    def bare_name(self, kind: str) -> str:
        return f"r{self.run_id.hex}_{kind}"

    def create_statements(self) -> list[str]:
        statements = []
        for record_type, kind in KINDS.items():
            columns = ", ".join(_column_definitions(record_type))
            key = _KEYS.get(record_type)
            primary_key = f", PRIMARY KEY ({', '.join(key)})" if key else ""
            statements.append(create_scratch(self.table(kind), columns + primary_key))
        statements.append(create_scratch(self.table(REGROUPED), f"clever_id {_ID} PRIMARY KEY"))
        return statements


async def create_tables(conn: asyncpg.Connection, tables: StagingTables, *more: str) -> None:
    """The run's staging tables, and the `more` tables it fills while staging."""
    async with conn.transaction():
        for statement in (*tables.create_statements(), *more):
            await conn.execute(statement)


async def drop_tables(conn: asyncpg.Connection, tables: StagingTables) -> None:
    """Drop every table of the run (staging and diff), whatever stage it reached."""
    names = await conn.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = $1 AND starts_with(tablename, $2)",
        SCHEMA,
        tables.bare_name(""),
    )
    await _drop(conn, [row["tablename"] for row in names])


async def drop_orphaned_tables(conn: asyncpg.Connection) -> int:
    """Drop the staging tables of every run not processing, held or approved (dead workers'
    leftovers, and the snapshots of decided runs).

    The tables are listed before the runs are read: a table listed belongs to a claim that
    committed before, so a run claimed meanwhile never loses the tables it is creating.
    """
    names = [r["tablename"] for r in await conn.fetch(_LIST_TABLES, SCHEMA)]
    in_use = await conn.fetch(
        "SELECT staging_id FROM sync_runs WHERE staging_id IS NOT NULL AND "
        "(status IN ('processing', 'on_hold') OR (status = 'queued' AND approved_at IS NOT NULL))"
    )
    kept = {StagingTables(row["staging_id"]).bare_name("") for row in in_use}
    orphans = [name for name in names if name[: len(_PREFIX_EXAMPLE)] not in kept]
    await _drop(conn, orphans)
    return len(orphans)


async def _drop(conn: asyncpg.Connection, names: Sequence[str]) -> None:
    """One statement: dropping a table scans every shared buffer, once per statement."""
    if names:
        await conn.execute(
            "DROP TABLE IF EXISTS " + ", ".join(f'{SCHEMA}."{name}"' for name in names)
        )


_LIST_TABLES = "SELECT tablename FROM pg_tables WHERE schemaname = $1"
_PREFIX_EXAMPLE = StagingTables(uuid.UUID(int=0)).bare_name("")


# Over a staged section `s` and the district's roster row `r` for it (LEFT JOINed): its
# members differ from the roster's, so its enrollments must be diffed.
MEMBERS_CHANGED = (
    "(r.id IS NULL OR NOT r.active OR r.members_digest IS DISTINCT FROM s.members_digest)"
)
# The run's table of the staged sections whose members changed (MEMBERS_CHANGED), filled
# page by page while staging: the diff and the apply read it instead of comparing every
# section again (240,000 of them, twice, after the last page of an unchanged resync).
REGROUPED = "regrouped_sections"


def find_regrouped(tables: StagingTables, district_id: int) -> str:
    """`CREATE` the regrouped sections' table of a snapshot staged before it existed (a run
    held then): a no-op for any run staged since."""
    t, district = tables.table, int(district_id)
    return f"""CREATE UNLOGGED TABLE IF NOT EXISTS {t(REGROUPED)} AS
        SELECT s.clever_id FROM {t("sections")} s
        LEFT JOIN sections r ON r.district_id = {district} AND r.clever_id = s.clever_id
        WHERE {MEMBERS_CHANGED}"""


# A page's ids travel as one text value split by PostgreSQL, unless an id holds the separator:
# asyncpg encodes 10,000 ids as an array in 4 ms of CPU, joined in 0.25 ms.
IDS_SQL = {"joined": f"string_to_array($1::text, {MEMBER_SEPARATOR_SQL})", "array": "$1::text[]"}


def ids_argument(ids: Sequence[str]) -> tuple[str, str | list[str]]:
    """The `IDS_SQL` form to pass `ids` in, and the argument."""
    joined = MEMBER_SEPARATOR.join(ids)
    if joined.count(MEMBER_SEPARATOR) == len(ids) - 1:
        return "joined", joined
    return "array", list(ids)


def expand_members(tables: StagingTables, district_id: int, where: str) -> str:
    """INSERT the staged enrollments of the staged sections `where` selects (over s and r)."""
    t, district, sep = tables.table, int(district_id), MEMBER_SEPARATOR_SQL
    sections = (
        f"{t('sections')} s LEFT JOIN sections r "
        f"ON r.district_id = {district} AND r.clever_id = s.clever_id"
    )
    return f"""
        INSERT INTO {t("enrollments")} (section_clever_id, user_clever_id, role, is_primary)
        SELECT s.clever_id, m.user_id, 'student', false FROM {sections}
        CROSS JOIN unnest(string_to_array(s.student_clever_ids, {sep})) AS m(user_id)
        WHERE {where}
        UNION ALL
        SELECT s.clever_id, m.user_id, 'teacher',
               m.user_id IS NOT DISTINCT FROM s.primary_teacher_clever_id
        FROM {sections}
        CROSS JOIN unnest(string_to_array(s.teacher_clever_ids, {sep})) AS m(user_id)
        WHERE {where}"""


class StageWriter:
    """COPYs batches of one record kind into a staging table on its own connection.

    A page of sections whose members differ from the roster's is expanded into staged
    enrollments right away (every section, on a district's first sync), while the source is
    still being read; an unchanged section costs nothing more.
    """

    def __init__(self, conn: asyncpg.Connection, tables: StagingTables, district_id: int) -> None:
        self._conn = conn
        self._tables = tables
        t, district = tables.table, int(district_id)
        # Which of the page's sections changed members is noted, and those are expanded.
        self._expand = {
            form: f"""WITH regrouped AS (
                    INSERT INTO {t(REGROUPED)} (clever_id)
                    SELECT s.clever_id FROM {t("sections")} s LEFT JOIN sections r
                        ON r.district_id = {district} AND r.clever_id = s.clever_id
                    WHERE s.clever_id = ANY({ids}) AND {MEMBERS_CHANGED}
                    RETURNING clever_id)
                {expand_members(tables, district, "s.clever_id IN (SELECT * FROM regrouped)")}"""
            for form, ids in IDS_SQL.items()
        }

    async def write(self, record_type: type[Any], records: Sequence[tuple[Any, ...]]) -> bool:
        """Stage the records; True when the source had sent some of them before (the last
        copy is kept)."""
        if not records:
            return False
        repeated = False
        kind = KINDS[record_type]
        rows: Sequence[tuple[Any, ...]] = records
        if record_type is SectionRecord:
            rows = [_section_row(r) for r in records]
        elif record_type is UserRecord:
            rows = [_user_row(r) for r in records]
        try:
            await self._copy(kind, _columns(record_type), rows)
        except asyncpg.UniqueViolationError:
            # The source repeated a record (same id on two pages): keep the last copy.
            await self._upsert(kind, record_type, rows)
            repeated = True
        if record_type is SectionRecord:
            form, argument = ids_argument(list(dict.fromkeys(r[0] for r in records)))
            await self._conn.execute(self._expand[form], argument)
        return repeated

    async def _copy(
        self, kind: str, columns: Sequence[str], records: Iterable[tuple[Any, ...]]
    ) -> None:
        await self._conn.copy_records_to_table(
            self._tables.bare_name(kind), records=records, columns=columns, schema_name=SCHEMA
        )

    async def _upsert(
        self, kind: str, record_type: type[Any], rows: Sequence[tuple[Any, ...]]
    ) -> None:
        columns = _columns(record_type)
        key = _KEYS[record_type]
        positions = [columns.index(k) for k in key]
        last_by_key = {tuple(row[i] for i in positions): row for row in rows}
        placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key)
        statement = (
            f"INSERT INTO {self._tables.table(kind)} ({', '.join(columns)}) "
            f"VALUES ({placeholders}) ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
        )
        if record_type is SectionRecord:
            await self._forget_enrollments([row[0] for row in last_by_key.values()])
        await self._conn.executemany(statement, list(last_by_key.values()))

    async def _forget_enrollments(self, section_ids: list[str]) -> None:
        """A repeated section's members come again with it; drop the earlier copy's."""
        t = self._tables.table
        await self._conn.execute(
            f"DELETE FROM {t('enrollments')} WHERE section_clever_id = ANY($1::text[])",
            section_ids,
        )
        await self._conn.execute(
            f"DELETE FROM {t(REGROUPED)} WHERE clever_id = ANY($1::text[])", section_ids
        )


def _section_row(section: tuple[Any, ...]) -> tuple[Any, ...]:
    """A section as its staging row: each member list sorted, joined into one text value,
    and fingerprinted (the fingerprint is what the next run compares)."""
    row: list[Any] = list(section)
    students, teachers = sorted(row[_STUDENTS]), sorted(row[_TEACHERS])
    row[_DIGEST] = _members_digest(students, teachers, row[_PRIMARY])
    row[_STUDENTS], listed_students = _joined_members(students)
    row[_TEACHERS], listed_teachers = _joined_members(teachers)
    row[_MEMBER_COUNT] = listed_students + listed_teachers
    return tuple(row)


def _joined_members(ids: list[str]) -> tuple[str, int]:
    """A member list as one value, each id once, and how many ids it holds. Sources list
    each member once, so that case is checked first (240,000 sections per run)."""
    joined = MEMBER_SEPARATOR.join(ids)
    if joined.count(MEMBER_SEPARATOR) == len(ids) - 1 and len(set(ids)) == len(ids):
        return joined, len(ids)
    joined = _joined(_once(ids))
    return joined, _listed(joined)


def _members_digest(students: list[str], teachers: list[str], primary: str | None) -> str:
    """A fingerprint of who is in a section (its sorted member lists): equal digests, equal
    enrollments."""
    members = "\n".join(("\t".join(students), "\t".join(teachers), primary or ""))
    return hashlib.md5(members.encode(), usedforsecurity=False).hexdigest()


def _user_row(user: tuple[Any, ...]) -> tuple[Any, ...]:
    """A user as its staging row, with its roles and schools each joined into one value."""
    row: list[Any] = list(user)
    for position in _USER_LISTS:
        row[position] = _joined_ids(row[position])
    return tuple(row)


def _joined_ids(ids: list[str]) -> str:
    """A user's roles or schools as one value: nearly always a single id, which is its own
    joined value (a million users are staged per run, and the client's CPU paces it)."""
    if len(ids) == 1:
        return ids[0] if MEMBER_SEPARATOR not in ids[0] else ""
    return _joined(_once(ids))


def _once(ids: list[str]) -> list[str]:
    """Each id once, in order (a user's roles and schools are nearly always one: repeats
    are looked for only when there are two)."""
    return ids if len(ids) < 2 else list(dict.fromkeys(ids))


def _listed(joined: str) -> int:
    return joined.count(MEMBER_SEPARATOR) + 1 if joined else 0


def _joined(ids: list[str]) -> str:
    """The ids as one text value (callers pass each id once)."""
    joined = MEMBER_SEPARATOR.join(ids)
    if joined.count(MEMBER_SEPARATOR) != max(len(ids) - 1, 0):
        # An id holding the separator is no id a source could mean; it cannot be staged.
        joined = MEMBER_SEPARATOR.join(i for i in ids if MEMBER_SEPARATOR not in i)
    return joined
