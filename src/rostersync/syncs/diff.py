"""Diff the staged snapshot against the roster, in SQL, into per-run diff tables.

A diff table holds only what would change (created, updated, deactivated, reactivated), with
the roster row's id and, for updates, `{"field": [old, new]}`. Unchanged records cost no rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from rostersync.syncs.counts import staged_records
from rostersync.syncs.staging import (
    IDS_SQL,
    MEMBER_SEPARATOR_SQL,
    REGROUPED,
    StagingTables,
    create_scratch,
    expand_members,
    ids_argument,
)

NO_NOTES = "'{}'::jsonb"


@dataclass(frozen=True)
class EntitySpec:
    entity: str  # the sync_changes entity
    kind: str  # the staging kind
    columns: tuple[str, ...]  # compared and copied columns
    roster_sql: str  # the district's roster rows: id, clever_id, active, *columns
    stage_sql: str  # the run's valid staged rows: clever_id, *columns
    extra_changes: str = NO_NOTES  # noted for created/updated rows (e.g. a bad email)
    keys: tuple[str, ...] = ("clever_id",)  # what identifies a record in the source
    # Staged values kept in the diff table, so applying needs no second pass over the stage.
    carried: tuple[str, ...] = ()
    # Created records get their roster id in the diff (`new_id`), from the roster table's
    # sequence, so enrollments can be prepared while the records are still being inserted.
    assigns_ids: bool = False
    # The roster row's key (columns of roster_sql), kept in the diff as roster_<column>.
    roster_keys: tuple[str, ...] = ("id",)

    def roster_match(self, target: str, diff: str) -> str:
        """SQL: the roster row `target` is the one the diff row `diff` names."""
        return " AND ".join(f"{target}.{k} = {diff}.roster_{k}" for k in self.roster_keys)

    @property
    def report_id(self) -> str:
        """How the change report names a record: its id, or its keys joined by ':'."""
        return (
            "d." + self.keys[0]
            if len(self.keys) == 1
            else f"concat_ws(':', {', '.join('d.' + k for k in self.keys)})"
        )


SCHOOL_COLUMNS = ("name", "sis_id", "state_id", "school_number", "low_grade", "high_grade")
USER_COLUMNS = (
    "roles",
    "name_first",
    "name_middle",
    "name_last",
    "email",
    "sis_id",
    "state_id",
    "student_number",
    "teacher_number",
    "staff_id",
    "grade",
    "school_clever_ids",
)
SECTION_COLUMNS = (
    "school_clever_id",
    "name",
    "sis_id",
    "section_number",
    "subject",
    "grade",
    "period",
    "term_name",
    "course_name",
)
ENROLLMENT_COLUMNS = ("is_primary",)


def entity_specs(tables: StagingTables, district_id: int) -> list[EntitySpec]:
    """Schools, users, sections, enrollments: the order they are applied in."""
    t = tables.table
    district = int(district_id)  # inlined: CREATE TABLE AS takes no bind parameters
    sections = SECTION_COLUMNS[1:]
    return [
        EntitySpec(
            "school",
            "schools",
            SCHOOL_COLUMNS,
            f"SELECT id, clever_id, active, {', '.join(SCHOOL_COLUMNS)} "
            f"FROM schools WHERE district_id = {district}",
            f"SELECT * FROM {t('schools')}",
        ),
        EntitySpec(
            "user",
            "users",
            USER_COLUMNS,
            "SELECT id, clever_id, active, roles::text[] AS roles, "
            f"{', '.join(USER_COLUMNS[1:-1])}, school_clever_ids::text[] AS school_clever_ids "
            f"FROM users WHERE district_id = {district}",
            f"SELECT * FROM {t('users')}",
            "jsonb_build_object('email_invalid', s.email_raw)",
            assigns_ids=True,
        ),
        EntitySpec(
            "section",
            "sections",
            SECTION_COLUMNS,
            "SELECT sec.id, sec.clever_id, sec.active, sch.clever_id AS school_clever_id, "
            f"{', '.join('sec.' + c for c in sections)} FROM sections sec "
            f"JOIN schools sch ON sch.id = sec.school_id WHERE sec.district_id = {district}",
            # Not the member lists: enrollments are diffed on their own.
            f"SELECT clever_id, {', '.join(SECTION_COLUMNS)} FROM {t('sections')} sec WHERE EXISTS "
            f"(SELECT 1 FROM {t('schools')} sch WHERE sch.clever_id = sec.school_clever_id)",
            assigns_ids=True,
        ),
        EntitySpec(
            "enrollment",
            "enrollments",
            ENROLLMENT_COLUMNS,
            "SELECT e.section_id, e.user_id, sec.clever_id AS section_clever_id, "
            "u.clever_id AS user_clever_id, e.role, e.active, e.is_primary FROM enrollments e "
            "JOIN sections sec ON sec.id = e.section_id JOIN users u ON u.id = e.user_id "
            f"JOIN {t('dirty_sections')} dirty ON dirty.clever_id = sec.clever_id "
            f"WHERE e.district_id = {district}",
            # Staged enrollments are unique (each section's lists are expanded once, without
            # repeats); each comes with the roster ids of its section and user, new or not.
            "SELECT e.section_clever_id, e.user_clever_id, e.role, e.is_primary, "
            "sec.id AS section_id, u.id AS user_id "
            f"FROM {t('enrollments')} e "
            f"JOIN {t('dirty_sections')} dirty ON dirty.clever_id = e.section_clever_id "
            f"JOIN ({_roster_ids(tables, 'sections', district)}) sec "
            "ON sec.clever_id = e.section_clever_id "
            f"JOIN ({_roster_ids(tables, 'users', district)}) u "
            "ON u.clever_id = e.user_clever_id "
            f"WHERE EXISTS (SELECT 1 FROM {t('valid_sections')} v "
            "WHERE v.clever_id = e.section_clever_id) "
            f"AND EXISTS (SELECT 1 FROM {t('users')} u WHERE u.clever_id = e.user_clever_id)",
            keys=("section_clever_id", "user_clever_id", "role"),
            roster_keys=("section_id", "user_id", "role"),
            carried=("is_primary", "section_id", "user_id"),
            # Not sorted: the rows come in the staged order, section by section, and a
            # first sync's sections got their ids in that order too (diff_sections), so
            # the enrollments arrive nearly in the roster key's order anyway. Sorting 6.3M
            # rows cost the diff about 4.6 s, on the apply's critical path.
        ),
    ]


def _roster_ids(tables: StagingTables, table: str, district: int) -> str:
    """clever_id -> roster id of the district's users or sections, those created here included.

    New records' ids come from the diff (`new_id`): the apply that inserts them is still
    running, beside the enrollment diff.
    """
    return (
        f"SELECT clever_id, id FROM {table} WHERE district_id = {district} "
        f"UNION ALL SELECT clever_id, new_id FROM {tables.table('diff_' + table)} "
        "WHERE action = 'created'"
    )


def _changed_fields(columns: tuple[str, ...]) -> str:
    pairs = ", ".join(
        f"'{c}', CASE WHEN r.{c} IS DISTINCT FROM s.{c} "
        f"THEN jsonb_build_array(to_jsonb(r.{c}), to_jsonb(s.{c})) END"
        for c in columns
    )
    return f"jsonb_build_object({pairs})"


def _changes(spec: EntitySpec, found: str, key: str) -> str:
    """`{"field": [old, new]}` of an update and the notes of a created or updated record;
    NULL when there is nothing to say. Created and deactivated rows (every one of a first
    sync's 6.3M enrollments) build no JSON at all unless the entity has notes."""
    updated = f"{_changed_fields(spec.columns)} || {spec.extra_changes}"
    created = (
        "NULL"
        if spec.extra_changes == NO_NOTES
        else f"nullif(jsonb_strip_nulls({spec.extra_changes}), '{{}}'::jsonb)"
    )
    return f"""CASE WHEN {found} IS NOT NULL AND s.{key} IS NOT NULL
                    THEN nullif(jsonb_strip_nulls({updated}), '{{}}'::jsonb)
                    WHEN s.{key} IS NOT NULL THEN {created} END"""


def diff_statement(spec: EntitySpec, tables: StagingTables, id_sequence: str | None = None) -> str:
    """The diff of one entity; `id_sequence` names the roster sequence of `assigns_ids`."""
    return (
        f"{create_scratch(tables.table('diff_' + spec.kind))} AS {_diff_query(spec, id_sequence)}"
    )


def _diff_query(
    spec: EntitySpec,
    id_sequence: str | None,
    *,
    join: str | None = None,
    stage: str | None = None,
    where: str | None = None,
) -> str:
    """The diff rows of one entity: every change; or those of the staged rows `stage` (SQL)
    and the roster rows `join` joins to them (as `s` and `r`); `where` narrows the rows."""
    found = f"r.{spec.roster_keys[0]}"  # not null exactly when the roster has the record
    new_id = ""
    if spec.assigns_ids:
        if id_sequence is None:
            raise ValueError(f"the {spec.entity} diff assigns ids: name the id sequence")
        literal = id_sequence.replace("'", "''")
        new_id = f"CASE WHEN {found} IS NULL THEN nextval('{literal}'::regclass) END AS new_id,"
    roster_keys = ", ".join(f"r.{k} AS roster_{k}" for k in spec.roster_keys)
    r_cols = ", ".join(f"r.{c}" for c in spec.columns)
    s_cols = ", ".join(f"s.{c}" for c in spec.columns)
    key = spec.keys[0]
    keys = ", ".join(f"coalesce(s.{k}, r.{k}) AS {k}" for k in spec.keys)
    on = " AND ".join(f"r.{k} = s.{k}" for k in spec.keys)
    join = join or f"FULL JOIN ({spec.roster_sql}) r ON {on}"
    stage = stage or spec.stage_sql
    changed = f"""{found} IS NULL
           OR (s.{key} IS NULL AND r.active)
           OR (s.{key} IS NOT NULL AND {found} IS NOT NULL
               AND (NOT r.active OR ({r_cols}) IS DISTINCT FROM ({s_cols})))"""
    return f"""
        SELECT {keys},{"".join(f" s.{c} AS staged_{c}," for c in spec.carried)}
               {roster_keys}, {new_id}
               CASE WHEN {found} IS NULL THEN 'created'
                    WHEN s.{key} IS NULL THEN 'deactivated'
                    WHEN NOT r.active THEN 'reactivated'
                    ELSE 'updated' END AS action,
               {_changes(spec, found, key)} AS changes
        FROM ({stage}) s
        {join}
        WHERE {where or changed}
    """


def _valid_sections(tables: StagingTables) -> list[str]:
    """Sections of schools that are not shared cannot be kept."""
    t = tables.table
    return [
        f"""INSERT INTO {t("rejects")} (entity, clever_id, reason)
            SELECT 'section', sec.clever_id,
                   'school ' || sec.school_clever_id || ' is not shared with the app'
            FROM {t("sections")} sec
            WHERE NOT EXISTS (SELECT 1 FROM {t("schools")} sch
                              WHERE sch.clever_id = sec.school_clever_id)""",
        f"""{create_scratch(t("valid_sections"))} AS
            SELECT clever_id FROM {t("sections")} sec
            WHERE EXISTS (SELECT 1 FROM {t("schools")} sch
                          WHERE sch.clever_id = sec.school_clever_id)""",
        f"ALTER TABLE {t('valid_sections')} ADD PRIMARY KEY (clever_id)",
    ]


def _dirty_sections(tables: StagingTables, district_id: int) -> list[str]:
    """Sections whose enrollments must be diffed; the others' members are unchanged.

    New, returning, leaving and re-fingerprinted sections, plus the sections of people who
    arrive or leave in this run (they may have been listed before without being shared).
    """
    t, district = tables.table, int(district_id)
    return [
        f"""{create_scratch(t("dirty_sections"))} AS
            SELECT clever_id FROM {t(REGROUPED)} JOIN {t("valid_sections")} USING (clever_id)
            UNION
            SELECT r.clever_id FROM sections r
            WHERE r.district_id = {district} AND r.active AND NOT EXISTS
                  (SELECT 1 FROM {t("valid_sections")} v WHERE v.clever_id = r.clever_id)
            UNION
            SELECT s.clever_id FROM {t("sections")} s
            CROSS JOIN unnest(string_to_array(
                s.student_clever_ids || {MEMBER_SEPARATOR_SQL} || s.teacher_clever_ids,
                {MEMBER_SEPARATOR_SQL})) AS m(user_id)
            JOIN {t("diff_users")} du ON du.clever_id = m.user_id
            WHERE du.action IN ('created', 'reactivated')
              -- Checked once: with nobody arriving, no member list is even split.
              AND EXISTS (SELECT 1 FROM {t("diff_users")}
                          WHERE action IN ('created', 'reactivated'))
              -- Nor are the lists of sections the first branch already holds (every
              -- section, on a first sync: 6.3M members split for nothing, 4.3 s).
              AND NOT EXISTS (SELECT 1 FROM {t(REGROUPED)} g
                              JOIN {t("valid_sections")} v USING (clever_id)
                              WHERE g.clever_id = s.clever_id)
            UNION
            SELECT sec.clever_id FROM {t("diff_users")} du
            JOIN enrollments e ON e.user_id = du.roster_id AND e.active
            JOIN sections sec ON sec.id = e.section_id
            WHERE du.action = 'deactivated'""",
        f"ALTER TABLE {t('dirty_sections')} ADD PRIMARY KEY (clever_id)",
        # The staging expanded sections whose members changed; the others here are dirty
        # because people arrive or leave, and are expanded now.
        expand_members(
            tables,
            district,
            f"EXISTS (SELECT 1 FROM {t('dirty_sections')} d WHERE d.clever_id = s.clever_id) "
            f"AND NOT EXISTS (SELECT 1 FROM {t(REGROUPED)} g WHERE g.clever_id = s.clever_id)",
        ),
    ]


def _reject_orphan_enrollments(tables: StagingTables) -> str:
    """Members who are not shared (or of sections not synced) cannot be enrolled."""
    t = tables.table
    return f"""INSERT INTO {t("rejects")} (entity, clever_id, reason)
            SELECT 'enrollment', e.section_clever_id || ':' || e.user_clever_id || ':' || e.role,
                   CASE WHEN NOT EXISTS (SELECT 1 FROM {t("valid_sections")} v
                                         WHERE v.clever_id = e.section_clever_id)
                        THEN 'section ' || e.section_clever_id || ' is not synced'
                        ELSE 'user ' || e.user_clever_id || ' is not shared with the app' END
            FROM {t("enrollments")} e
            JOIN {t("dirty_sections")} dirty ON dirty.clever_id = e.section_clever_id
            WHERE NOT EXISTS (SELECT 1 FROM {t("valid_sections")} v
                              WHERE v.clever_id = e.section_clever_id)
               OR NOT EXISTS (SELECT 1 FROM {t("users")} u WHERE u.clever_id = e.user_clever_id)"""


async def id_sequences(conn: asyncpg.Connection) -> dict[str, str]:
    """The sequences behind `users.id` and `sections.id`, by table."""
    row = await conn.fetchrow(
        "SELECT pg_get_serial_sequence('users', 'id'), pg_get_serial_sequence('sections', 'id')"
    )
    assert row is not None
    return {"users": row[0], "sections": row[1]}


class UserDiff:
    """The users' diff, built while the source is still being read.

    Each page of users is compared with the district's roster as soon as it is staged (its
    arrivals, changes and returns, found through the roster's key), on the connection that
    staged it: the comparison a whole-table join made after the last page (3 s for 1.07M
    users, every run) is spread over the reading. What is left for the end is the roster's
    users the stage lacks, and only when there are any (`diff_people_and_places`).
    """

    def __init__(self, tables: StagingTables, district_id: int, id_sequence: str) -> None:
        spec = entity_specs(tables, district_id)[1]
        table = tables.table("diff_" + spec.kind)
        self.create = f"{create_scratch(table)} AS {_diff_query(spec, id_sequence)} WITH NO DATA"
        # Each of a page's users, and its roster row, is looked up by its table's key (OFFSET
        # 0 keeps each lookup a subquery of its own). Left to choose, the planner read both
        # tables whole for a page of 10,000: 0.55 to 1.5 s a page at 1M users, against 40 ms.
        staged = (
            "SELECT x.* FROM {ids} AS page(clever_id), LATERAL "
            f"(SELECT * FROM {tables.table('users')} WHERE clever_id = page.clever_id OFFSET 0) x"
        )
        lookup = (
            f"LEFT JOIN LATERAL ({spec.roster_sql} AND clever_id = s.clever_id OFFSET 0) r ON true"
        )
        self._page = {
            form: f"INSERT INTO {table} "
            + _diff_query(spec, id_sequence, join=lookup, stage=staged.format(ids=f"unnest({ids})"))
            for form, ids in IDS_SQL.items()
        }
        self._forget = {
            form: f"DELETE FROM {table} WHERE clever_id = ANY({ids})"
            for form, ids in IDS_SQL.items()
        }

    async def add_page(
        self, conn: asyncpg.Connection, clever_ids: Sequence[str], *, repeated: bool
    ) -> None:
        """Diff the users just staged; `repeated` when the page restaged some (the source
        sent them twice): their earlier diff rows give way to the last copy's."""
        if repeated:
            clever_ids = list(dict.fromkeys(clever_ids))  # each once: a page may repeat one
        form, argument = ids_argument(clever_ids)
        if repeated:
            await conn.execute(self._forget[form], argument)
        await conn.execute(self._page[form], argument)


def _users_leaving(tables: StagingTables, district_id: int, id_sequence: str) -> str:
    """The district's active users the stage lacks, as the diff's deactivations."""
    spec = entity_specs(tables, district_id)[1]
    leaving = _diff_query(
        spec,
        id_sequence,
        join=f"RIGHT JOIN ({spec.roster_sql}) r ON r.clever_id = s.clever_id",
        where="s.clever_id IS NULL AND r.active",
    )
    return f"INSERT INTO {tables.table('diff_users')} {leaving}"


async def _users_may_leave(
    conn: asyncpg.Connection, tables: StagingTables, active_users: int, staged_users: int
) -> bool:
    """Whether some of the `active_users` the roster held before the run are not staged.

    Every staged user is one of: created (no roster row), reactivated (an inactive one), or
    matched to an active one. When the matched are as many as the active, none is left to
    deactivate, and the roster is not scanned again (an unchanged resync)."""
    arrived = await conn.fetchval(
        f"""SELECT count(*) FROM {tables.table("diff_users")}
            WHERE action IN ('created', 'reactivated')"""
    )
    return bool(staged_users - arrived != active_users)


async def diff_people_and_places(
    conn: asyncpg.Connection, tables: StagingTables, district_id: int, active_users: int
) -> dict[str, int]:
    """Schools, users and sections: what applying them needs, before enrollments are diffed.
    Returns what the run keeps active (`staged_records`), counted once for the guards and
    the counts.

    The users were diffed while staging (`UserDiff`), all but those the district's
    `active_users` (before the run) include and the stage lacks, found here.
    """
    schools, _, sections, _ = entity_specs(tables, district_id)
    sequences = await id_sequences(conn)
    statements = [
        *_valid_sections(tables),
        diff_statement(schools, tables),
        diff_statement(sections, tables, sequences["sections"]),
    ]
    async with conn.transaction():
        for statement in statements:
            await conn.execute(statement)
        kept = await staged_records(conn, tables)
        if await _users_may_leave(conn, tables, active_users, kept["users"]):
            await conn.execute(_users_leaving(tables, district_id, sequences["users"]))
        for kind in ("schools", "users", "sections"):
            await conn.execute(f"ANALYZE {tables.table('diff_' + kind)}")
    return kept


async def diff_enrollments(
    conn: asyncpg.Connection, tables: StagingTables, district_id: int
) -> None:
    """Enrollments, after `diff_people_and_places`: only sections whose members changed."""
    enrollments = entity_specs(tables, district_id)[3]
    statements = [
        *_dirty_sections(tables, district_id),
        _reject_orphan_enrollments(tables),
        diff_statement(enrollments, tables),
    ]
    async with conn.transaction():
        # Serial plans: this diff runs beside the apply, which keeps the other core busy. A
        # parallel plan's workers would only compete with it, and pass every row to the
        # leader through shared memory (1.9M enrollments joined and sorted: 5.2 s on one
        # process, 4.1 s on three).
        await conn.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        for statement in statements:
            await conn.execute(statement)
        await conn.execute(f"ANALYZE {tables.table('diff_enrollments')}")
