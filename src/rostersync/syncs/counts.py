"""Counts per entity from a computed diff: what a run did, or would do."""

from __future__ import annotations

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


def empty_counts() -> Counts:
    return {entity: dict.fromkeys(ACTIONS, 0) for entity in ENTITIES}


async def _rows(conn: asyncpg.Connection, sql: str) -> list[Any]:
    return list(await conn.fetch(sql))


async def compute_counts(conn: asyncpg.Connection, tables: StagingTables) -> Counts:
    t = tables.table
    counts = empty_counts()
    staged: dict[str, int] = {}
    for kind in ("schools", "sections", "enrollments"):
        for row in await _rows(
            conn, f"SELECT action, count(*) FROM {t('diff_' + kind)} GROUP BY 1"
        ):
            counts[kind][row[0]] = row[1]
    staged["schools"] = await conn.fetchval(f"SELECT count(*) FROM {t('schools')}")
    staged["sections"] = await conn.fetchval(f"SELECT count(*) FROM {t('valid_sections')}")
    staged["enrollments"] = await _count_enrollments(conn, tables)
    await _count_people(conn, tables, counts, staged)
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


async def _count_people(
    conn: asyncpg.Connection, tables: StagingTables, counts: Counts, staged: dict[str, int]
) -> None:
    t = tables.table
    by_action = f"""
        SELECT role, d.action, count(*) FROM {t("diff_users")} d
        LEFT JOIN {t("users")} s ON s.clever_id = d.clever_id
        LEFT JOIN users u ON u.id = d.roster_id
        CROSS JOIN LATERAL unnest(coalesce(s.roles, u.roles::text[])) AS role
        GROUP BY 1, 2"""
    for role, action, n in await _rows(conn, by_action):
        counts[ROLE_ENTITIES[role]][action] = n
    by_role = f"SELECT role, count(*) FROM {t('users')}, unnest(roles) AS role GROUP BY 1"
    for role, n in await _rows(conn, by_role):
        staged[ROLE_ENTITIES[role]] = n
    for entity in ROLE_ENTITIES.values():
        staged.setdefault(entity, 0)


async def _count_rejects(conn: asyncpg.Connection, tables: StagingTables, counts: Counts) -> None:
    sql = f"""
        SELECT CASE WHEN entity = 'user' THEN coalesce(role, 'student') ELSE entity END, count(*)
        FROM {tables.table("rejects")}
        LEFT JOIN LATERAL unnest(roles) AS role ON entity = 'user'
        GROUP BY 1"""
    names = {"school": "schools", "section": "sections", "enrollment": "enrollments"}
    for name, n in await _rows(conn, sql):
        counts[ROLE_ENTITIES.get(name) or names[name]]["rejected"] = n
