"""Counts per entity from a computed diff: what a run did, or would do."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg

from rostersync.syncs.staging import StagingTables

ACTIONS = ("created", "updated", "unchanged", "deactivated", "reactivated", "rejected")
ROLE_ENTITIES = {
    "student": "students",
    "teacher": "teachers",
    "staff": "staff",
    "district_admin": "district_admins",
}
ENTITIES = (
    "schools",
    "students",
    "teachers",
    "staff",
    "district_admins",
    "sections",
    "enrollments",
)

Counts = dict[str, dict[str, int]]


def people_by_role(users: str) -> str:
    """SQL: (entity, count) rows for the users `users` selects (a FROM item and its WHERE):
    `users` in all and each role's, in one pass."""
    per_role = ", ".join(
        f"count(*) FILTER (WHERE '{role}' = ANY(roles)) AS {role}" for role in ROLE_ENTITIES
    )
    rows = ", ".join(f"('{role}', c.{role})" for role in ROLE_ENTITIES)
    return f"""SELECT entity, n FROM (SELECT count(*) AS users, {per_role} FROM {users}) c,
               LATERAL (VALUES ('users', c.users), {rows}) AS v(entity, n)"""


def empty_counts() -> Counts:
    return {entity: dict.fromkeys(ACTIONS, 0) for entity in ENTITIES}


async def _rows(conn: asyncpg.Connection, sql: str) -> list[Any]:
    return list(await conn.fetch(sql))


async def compute_counts(
    conn: asyncpg.Connection, tables: StagingTables, kept: Mapping[str, int]
) -> Counts:
    """The run's counts; `kept`: what the run keeps active (`staged_records`)."""
    t = tables.table
    counts = empty_counts()
    for kind in ("schools", "sections", "enrollments"):
        for row in await _rows(
            conn, f"SELECT action, count(*) FROM {t('diff_' + kind)} GROUP BY 1"
        ):
            counts[kind][row[0]] = row[1]
    staged = {entity: n for entity, n in kept.items() if entity in counts}
    staged["enrollments"] = await _count_enrollments(conn, tables)
    await _count_people(conn, tables, counts)
    await _count_rejects(conn, tables, counts)
    for entity, total in staged.items():
        changed = sum(counts[entity][a] for a in ("created", "updated", "reactivated"))
        counts[entity]["unchanged"] = max(total - changed, 0)
    return counts


async def _count_enrollments(conn: asyncpg.Connection, tables: StagingTables) -> int:
    """Members of synced sections, from their lists (only changed sections were expanded),
    less the members who are not shared with the app."""
    t = tables.table
    members: int = await conn.fetchval(
        f"""SELECT coalesce(sum(s.member_count), 0)
            FROM {t("sections")} s JOIN {t("valid_sections")} USING (clever_id)"""
    )
    orphans: int = await conn.fetchval(
        f"""SELECT count(*) FROM {t("rejects")} r
            JOIN {t("valid_sections")} v ON v.clever_id = split_part(r.clever_id, ':', 1)
            WHERE r.entity = 'enrollment'"""
    )
    return members - orphans


async def staged_records(conn: asyncpg.Connection, tables: StagingTables) -> dict[str, int]:
    """What the run keeps active: its staged schools, synced sections, people per role and
    `users` in all."""
    t = tables.table
    rows = await _rows(
        conn,
        f"""SELECT 'schools', count(*) FROM {t("schools")}
            UNION ALL SELECT 'sections', count(*) FROM {t("valid_sections")}
            UNION ALL {people_by_role(t("users"))}""",
    )
    return {ROLE_ENTITIES.get(row[0], row[0]): int(row[1]) for row in rows}


async def _count_people(conn: asyncpg.Connection, tables: StagingTables, counts: Counts) -> None:
    t = tables.table
    by_action = f"""
        SELECT role, d.action, count(*) FROM {t("diff_users")} d
        LEFT JOIN {t("users")} s ON s.clever_id = d.clever_id
        LEFT JOIN users u ON u.id = d.roster_id
        CROSS JOIN LATERAL unnest(coalesce(s.roles, u.roles::text[])) AS role
        GROUP BY 1, 2"""
    for role, action, n in await _rows(conn, by_action):
        counts[ROLE_ENTITIES[role]][action] = n


async def _count_rejects(conn: asyncpg.Connection, tables: StagingTables, counts: Counts) -> None:
    sql = f"""
        SELECT CASE WHEN entity = 'user' THEN coalesce(role, 'student') ELSE entity END, count(*)
        FROM {tables.table("rejects")}
        LEFT JOIN LATERAL unnest(roles) AS role ON entity = 'user'
        GROUP BY 1"""
    names = {"school": "schools", "section": "sections", "enrollment": "enrollments"}
    for name, n in await _rows(conn, sql):
        counts[ROLE_ENTITIES.get(name) or names[name]]["rejected"] = n
