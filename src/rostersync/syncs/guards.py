"""Guards between the diff and the apply: the student license and the deactivation threshold.

A run that trips a guard is held (`on_hold`) with its change report, and the roster stays as
it was until the Account Owner approves or discards it. The impact is measured on the diff
of schools, people and sections, before anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import asyncpg

from rostersync.districts.models import District
from rostersync.syncs.counts import ROLE_ENTITIES, people_by_role
from rostersync.syncs.staging import StagingTables

GUARDED = ("schools", "students", "teachers", "staff", "district_admins", "sections")


@dataclass(frozen=True)
class Threshold:
    percent: Decimal
    minimum: int


@dataclass(frozen=True)
class GuardSettings:
    """A district's guards, as the districts table holds them."""

    source: str
    license_limit: int | None
    deactivation_enabled: bool
    default: Threshold
    per_entity: dict[str, Threshold]

    def threshold(self, entity: str) -> Threshold:
        return self.per_entity.get(entity, self.default)


@dataclass(frozen=True)
class EntityImpact:
    active: int  # active in the roster now
    deactivating: int  # would be deactivated by this run
    kept: int  # active after this run (what the source shares and the run keeps)


@dataclass(frozen=True)
class Impact:
    entities: dict[str, EntityImpact]

    @property
    def students_after(self) -> int:
        return self.entities["students"].kept


@dataclass(frozen=True)
class Hold:
    reason: str  # license_exceeded or deactivation_threshold
    details: dict[str, Any]


async def active_now(conn: asyncpg.Connection, district_id: int) -> dict[str, int]:
    """Per guarded entity, and `users` in all, the district's active records before the run:
    independent of what the source shares, so they are counted while it is read."""
    return await _by_entity(
        conn,
        f"""SELECT 'schools', count(*) FROM schools WHERE district_id = $1 AND active
            UNION ALL SELECT 'sections', count(*) FROM sections WHERE district_id = $1 AND active
            UNION ALL {people_by_role("users WHERE district_id = $1 AND active")}""",
        district_id,
    )


async def measure(
    conn: asyncpg.Connection,
    tables: StagingTables,
    active: Mapping[str, int],
    kept: Mapping[str, int],
) -> Impact:
    """Per guarded entity: `active` now, deactivated by the run, and `kept` active after it
    (`active_now`, `staged_records`)."""
    t = tables.table
    leaving = await _by_entity(
        conn,
        f"""SELECT 'schools', count(*) FROM {t("diff_schools")} WHERE action = 'deactivated'
            UNION ALL
            SELECT 'sections', count(*) FROM {t("diff_sections")} WHERE action = 'deactivated'
            UNION ALL
            SELECT role, count(*) FROM {t("diff_users")} d
            JOIN users u ON u.id = d.roster_id, unnest(u.roles) AS role
            WHERE d.action = 'deactivated' GROUP BY role""",
    )
    return Impact(
        {
            entity: EntityImpact(active.get(entity, 0), leaving.get(entity, 0), kept.get(entity, 0))
            for entity in GUARDED
        }
    )


async def _by_entity(conn: asyncpg.Connection, sql: str, *args: Any) -> dict[str, int]:
    rows = await conn.fetch(sql, *args)
    return {ROLE_ENTITIES.get(row[0], row[0]): int(row[1]) for row in rows}


def guard_settings(district: District) -> GuardSettings:
    per_entity = {
        entity: Threshold(Decimal(str(value["percent"])), int(value["minimum"]))
        for entity, value in (district.deactivation_thresholds or {}).items()
    }
    return GuardSettings(
        source=district.source,
        license_limit=district.student_license_limit,
        deactivation_enabled=district.deactivation_guard_enabled,
        default=Threshold(
            Decimal(district.deactivation_threshold_percent), district.deactivation_threshold_min
        ),
        per_entity=per_entity,
    )


def evaluate(impact: Impact, settings: GuardSettings) -> Hold | None:
    """The hold this impact calls for under the district's settings, if any."""
    license_problem = _license(impact, settings)
    tripped = {
        entity: details
        for entity, found in impact.entities.items()
        if (details := _deactivation(entity, found, settings)) is not None
    }
    if license_problem is None and not tripped:
        return None
    messages = [license_problem["message"]] if license_problem else []
    messages += [found["message"] for found in tripped.values()]
    held: dict[str, Any] = {
        "message": " ".join(messages),
        "license": license_problem,
        "deactivations": tripped,
    }
    reason = "license_exceeded" if license_problem else "deactivation_threshold"
    return Hold(reason, held)


def license_exceeded(students: int, limit: int | None) -> bool:
    return limit is not None and students > limit


def _license(impact: Impact, settings: GuardSettings) -> dict[str, Any] | None:
    students, limit = impact.students_after, settings.license_limit
    if not license_exceeded(students, limit):
        return None
    if settings.source == "clever":
        shared, fix = "Clever shares", "Narrow the sharing rules in Clever"
    else:
        shared, fix = "The upload lists", "Remove students from users.csv"
    message = (
        f"{shared} {students:,} students; the license covers {limit:,}. "
        f"{fix} or ask us to raise the license."
    )
    return {"students": students, "limit": limit, "message": message}


def _deactivation(
    entity: str, found: EntityImpact, settings: GuardSettings
) -> dict[str, Any] | None:
    label = entity.replace("_", " ")
    if found.active and not found.kept:
        # A whole collection gone is a mistake far more often than a decision: always held.
        message = (
            f"No {label} would remain active: all {found.active:,} would be deactivated. "
            "If the sharing changed by mistake, fix it and discard this sync; otherwise approve it."
        )
        return _tripped(found, settings.threshold(entity), message, empty=True)
    threshold = settings.threshold(entity)
    share = Decimal(found.deactivating) * 100 / found.active if found.active else Decimal(0)
    if not settings.deactivation_enabled or found.deactivating < threshold.minimum:
        return None
    if share <= threshold.percent:
        return None
    message = (
        f"This sync would deactivate {found.deactivating:,} of {found.active:,} active {label} "
        f"({share:.0f}%), more than the threshold of {threshold.percent:g}% and at least "
        f"{threshold.minimum:,}. If a sharing rule changed by mistake, fix it and discard this "
        "sync; otherwise approve it."
    )
    return _tripped(found, threshold, message, empty=False)


def _tripped(
    found: EntityImpact, threshold: Threshold, message: str, *, empty: bool
) -> dict[str, Any]:
    return {
        "active": found.active,
        "deactivating": found.deactivating,
        "remaining": found.kept,
        "threshold_percent": float(threshold.percent),
        "threshold_minimum": threshold.minimum,
        "collection_empty": empty,
        "message": message,
    }
