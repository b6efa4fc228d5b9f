"""Apply a computed diff to the roster: one transaction, the caller's."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from rostersync.syncs.diff import EntitySpec, entity_specs
from rostersync.syncs.staging import REGROUPED, StagingTables, find_regrouped


def _insert(spec: EntitySpec, tables: StagingTables, district: int) -> str:
    """Rows the diff marks created, from the staged snapshot (with the ids the diff gave)."""
    t = tables.table
    if spec.entity == "section":
        columns = [c for c in spec.columns if c != "school_clever_id"]
        return f"""
            INSERT INTO sections
                (id, district_id, clever_id, school_id, members_digest, {", ".join(columns)})
            SELECT d.new_id, {district}, s.clever_id, sch.id, s.members_digest,
                   {", ".join("s." + c for c in columns)}
            FROM {t("diff_sections")} d JOIN {t("sections")} s ON s.clever_id = d.clever_id
            JOIN schools sch ON sch.district_id = {district} AND sch.clever_id = s.school_clever_id
            WHERE d.action = 'created'
            ORDER BY d.new_id"""
    if spec.entity == "enrollment":
        # The diff carries the roster ids, in nearly the key's order (diff.py): no joins.
        return f"""
            INSERT INTO enrollments (district_id, section_id, user_id, role, is_primary)
            SELECT {district}, d.staged_section_id, d.staged_user_id, d.role, d.staged_is_primary
            FROM {t("diff_enrollments")} d
            WHERE d.action = 'created'"""
    ids = ("id, ", "d.new_id, ") if spec.assigns_ids else ("", "")
    order = "d.new_id" if spec.assigns_ids else "s.clever_id"
    return f"""
        INSERT INTO {spec.kind} ({ids[0]}district_id, clever_id, {", ".join(spec.columns)})
        SELECT {ids[1]}{district}, s.clever_id, {", ".join("s." + c for c in spec.columns)}
        FROM {t("diff_" + spec.kind)} d JOIN {t(spec.kind)} s ON s.clever_id = d.clever_id
        WHERE d.action = 'created'
        ORDER BY {order}"""


def _update(spec: EntitySpec, tables: StagingTables, district: int) -> str:
    """Changed and returning rows take the staged values, on the same roster row."""
    t = tables.table
    columns = [c for c in spec.columns if c != "school_clever_id"]
    if spec.carried:  # everything needed is in the diff table
        return f"""
        UPDATE {spec.kind} target
        SET {", ".join(f"{c} = d.staged_{c}" for c in columns)}, active = true,
            deactivated_at = NULL, updated_at = now()
        FROM {t("diff_" + spec.kind)} d
        WHERE {spec.roster_match("target", "d")} AND d.action IN ('updated', 'reactivated')"""
    assignments = [f"{c} = s.{c}" for c in columns]
    source = t(spec.kind)
    join = " AND ".join(f"s.{k} = d.{k}" for k in spec.keys)
    extra_from = ""
    if spec.entity == "section":
        assignments.append("school_id = sch.id")
        extra_from = (
            f" JOIN schools sch ON sch.district_id = {district} "
            "AND sch.clever_id = s.school_clever_id"
        )
    return f"""
        UPDATE {spec.kind} target
        SET {", ".join(assignments)}, active = true, deactivated_at = NULL, updated_at = now()
        FROM {t("diff_" + spec.kind)} d JOIN {source} s ON {join}{extra_from}
        WHERE {spec.roster_match("target", "d")} AND d.action IN ('updated', 'reactivated')"""


def _deactivate(spec: EntitySpec, tables: StagingTables) -> str:
    return f"""
        UPDATE {spec.kind} target
        SET active = false, deactivated_at = now(), updated_at = now()
        FROM {tables.table("diff_" + spec.kind)} d
        WHERE {spec.roster_match("target", "d")} AND d.action = 'deactivated'"""


def _report(spec: EntitySpec, tables: StagingTables, run_id: uuid.UUID) -> str:
    return f"""
        INSERT INTO sync_changes (sync_run_id, entity, clever_id, action, changes)
        SELECT '{run_id}', '{spec.entity}', {spec.report_id}, d.action, d.changes
        FROM {tables.table("diff_" + spec.kind)} d"""


def _report_rejects(tables: StagingTables, run_id: uuid.UUID) -> str:
    return f"""
        INSERT INTO sync_changes (sync_run_id, entity, clever_id, action, reason)
        SELECT '{run_id}', entity, clever_id, 'rejected', reason FROM {tables.table("rejects")}"""


def _record_members(tables: StagingTables, district: int) -> str:
    """Remember the member fingerprint of each section whose members changed, for the next
    run's diff."""
    t = tables.table
    return f"""
        UPDATE sections target SET members_digest = s.members_digest, updated_at = now()
        FROM {t(REGROUPED)} g JOIN {t("sections")} s USING (clever_id)
        WHERE target.district_id = {district} AND target.clever_id = g.clever_id
          AND target.members_digest IS DISTINCT FROM s.members_digest"""


def _entity_statements(spec: EntitySpec, tables: StagingTables, district: int) -> list[str]:
    statements = []
    if spec.entity == "section":
        # First, while the table holds only rows of earlier runs: new rows carry their digest.
        statements += [find_regrouped(tables, district), _record_members(tables, district)]
    return [
        *statements,
        _insert(spec, tables, district),
        _update(spec, tables, district),
        _deactivate(spec, tables),
    ]


def people_and_places_statements(tables: StagingTables, district_id: int) -> list[str]:
    """Insert, update, deactivate: schools, users, then sections."""
    district = int(district_id)
    specs = entity_specs(tables, district)[:3]
    return [sql for spec in specs for sql in _entity_statements(spec, tables, district)]


def enrollment_insert(tables: StagingTables, district_id: int) -> str:
    """Insert the created enrollments, once they are diffed."""
    district = int(district_id)
    return _insert(entity_specs(tables, district)[3], tables, district)


def enrollment_updates(
    tables: StagingTables, district_id: int, actions: Mapping[str, int] | None = None
) -> list[str]:
    """Update, reactivate and deactivate enrollments.

    With `actions` (the diff's count per action), a statement with no row to write is left
    out: each would scan the whole diff (6.3M rows on a first sync) to find none.
    """
    district = int(district_id)
    spec = entity_specs(tables, district)[3]
    wanted = (
        (_update(spec, tables, district), ("updated", "reactivated")),
        (_deactivate(spec, tables), ("deactivated",)),
    )
    return [
        sql
        for sql, done in wanted
        if actions is None or any(actions.get(action, 0) for action in done)
    ]


def report_statements(tables: StagingTables, district_id: int, run_id: uuid.UUID) -> list[str]:
    """The change report: one row per changed or rejected record, rejects last."""
    specs = entity_specs(tables, int(district_id))
    return [*(_report(spec, tables, run_id) for spec in specs), _report_rejects(tables, run_id)]
