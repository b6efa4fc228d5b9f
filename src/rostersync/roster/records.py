"""The typed records a source produces and the sync engine stages.

Each record is a NamedTuple whose field order is the column order of its staging table, so
batches go straight into PostgreSQL's COPY without another copy in Python.
"""

from __future__ import annotations

import re
from typing import Any, Literal, NamedTuple

Entity = Literal["school", "user", "section", "enrollment"]


class SchoolRecord(NamedTuple):
    clever_id: str
    name: str
    sis_id: str | None = None
    state_id: str | None = None
    school_number: str | None = None
    low_grade: str | None = None
    high_grade: str | None = None


class UserRecord(NamedTuple):
    clever_id: str
    roles: list[str]
    name_first: str
    name_middle: str | None
    name_last: str
    email: str | None = None
    sis_id: str | None = None
    state_id: str | None = None
    student_number: str | None = None
    teacher_number: str | None = None
    staff_id: str | None = None
    grade: str | None = None
    school_clever_ids: list[str] = []  # noqa: RUF012 - NamedTuple defaults are never mutated
    # An email the source sent that did not look like one (kept for the change report only).
    email_raw: str | None = None


class SectionRecord(NamedTuple):
    clever_id: str
    school_clever_id: str
    name: str
    sis_id: str | None = None
    section_number: str | None = None
    subject: str | None = None
    grade: str | None = None
    period: str | None = None
    term_name: str | None = None
    course_name: str | None = None
    # Who is in the section. The engine turns these lists into enrollments in PostgreSQL, so
    # a district's millions of enrollments never become millions of Python objects.
    student_clever_ids: list[str] = []  # noqa: RUF012 - NamedTuple defaults are never mutated
    # Every teacher, the primary one included.
    teacher_clever_ids: list[str] = []  # noqa: RUF012
    primary_teacher_clever_id: str | None = None
    # Filled by the sync engine from the member lists, not by sources.
    members_digest: str | None = None
    member_count: int = 0


class EnrollmentRecord(NamedTuple):
    """A staged enrollment: one row the engine expands from a section's member lists."""

    section_clever_id: str
    user_clever_id: str
    role: Literal["student", "teacher"]
    is_primary: bool = False


class RejectedRecord(NamedTuple):
    """A source record that cannot be used, and why (it goes into the change report)."""

    entity: Entity
    clever_id: str
    reason: str
    # For people: the roles the record claimed, so counts can say who was rejected.
    roles: list[str] = []  # noqa: RUF012 - NamedTuple defaults are never mutated


Record = SchoolRecord | UserRecord | SectionRecord | RejectedRecord

Batch = list[Record]


# One @, a non-empty local part, a dotted domain with no empty labels, no whitespace anywhere.
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")


def normalize_email(raw: Any) -> tuple[str | None, str | None]:
    """(email, email_raw): a usable address lower-cased, or the raw value when it is not one."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, None
    cleaned = str(raw).strip().lower()
    if _EMAIL.fullmatch(cleaned):
        return cleaned, None
    return None, str(raw)
