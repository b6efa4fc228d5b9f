"""Clever objects -> roster records: schools, users (all their roles) and sections.

A record without a mandatory field is rejected with the reason (it goes into the change
report), never dropped silently and never allowed to fail the run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from rostersync.roster.records import (
    RejectedRecord,
    SchoolRecord,
    SectionRecord,
    UserRecord,
    normalize_email,
)

from ._fields import (
    MISSING_ID,
    JsonObject,
    first_text,
    ids,
    missing,
    sub_object,
    text,
)

# The roles we roster, in the order a user's `roles` list keeps them. Clever's `contact`
# (parents, guardians) is not one of them.
ROSTER_ROLES = ("student", "teacher", "staff", "district_admin")


def map_school(obj: JsonObject) -> SchoolRecord | RejectedRecord:
    clever_id, name = text(obj, "id"), text(obj, "name")
    if clever_id is None or name is None:
        reason = missing(("id", clever_id), ("name", name))
        return RejectedRecord("school", clever_id or MISSING_ID, reason)
    return SchoolRecord(
        clever_id=clever_id,
        name=name,
        sis_id=text(obj, "sis_id"),
        state_id=text(obj, "state_id"),
        school_number=text(obj, "school_number"),
        low_grade=text(obj, "low_grade"),
        high_grade=text(obj, "high_grade"),
    )


def map_user(obj: JsonObject) -> UserRecord | RejectedRecord | None:
    """A user with every roster role they hold; None for contacts (they are not rostered)."""
    roles = held_roles(obj)
    if not roles:
        return None
    name = sub_object(obj, "name")
    clever_id, first, last = text(obj, "id"), text(name, "first"), text(name, "last")
    if clever_id is None or first is None or last is None:
        reason = missing(("id", clever_id), ("name.first", first), ("name.last", last))
        return RejectedRecord("user", clever_id or MISSING_ID, reason, list(roles))
    student, teacher, staff = (roles.get(role) for role in ("student", "teacher", "staff"))
    email, email_raw = normalize_email(obj.get("email"))
    return UserRecord(
        clever_id=clever_id,
        roles=list(roles),
        name_first=first,
        name_middle=text(name, "middle"),
        name_last=last,
        email=email,
        # One person, several SIS records: the student record is the district's reference.
        sis_id=first_text((student, teacher, staff), "sis_id"),
        state_id=first_text((student, teacher, staff), "state_id"),
        student_number=text(student, "student_number"),
        teacher_number=text(teacher, "teacher_number"),
        staff_id=text(staff, "staff_id"),
        grade=text(student, "grade"),
        school_clever_ids=school_ids(roles.values()),
        email_raw=email_raw,
    )


def held_roles(obj: JsonObject) -> dict[str, JsonObject]:
    """The roster roles in the user's `roles` object, in ROSTER_ROLES order."""
    declared = sub_object(obj, "roles") or {}
    return {
        role: found for role in ROSTER_ROLES if (found := sub_object(declared, role)) is not None
    }


def school_ids(roles: Iterable[JsonObject]) -> list[str]:
    found: set[str] = set()
    for role in roles:
        found.update(ids(role.get("schools")))
        school = text(role, "school")
        if school is not None:
            found.add(school)
    return sorted(found)


def map_section(
    obj: JsonObject, terms: Mapping[str, str], courses: Mapping[str, str]
) -> SectionRecord | RejectedRecord:
    """The section with its members, or its rejection.

    `terms` and `courses` map Clever ids to names. `teacher` is the primary teacher, enrolled
    whether or not `teachers` lists them.
    """
    clever_id, school, name = text(obj, "id"), text(obj, "school"), text(obj, "name")
    if clever_id is None or school is None or name is None:
        reason = missing(("id", clever_id), ("school", school), ("name", name))
        return RejectedRecord("section", clever_id or MISSING_ID, reason)
    term_id, course_id = text(obj, "term_id"), text(obj, "course")
    primary = text(obj, "teacher")
    teachers = ids(obj.get("teachers"))
    if primary is not None and primary not in teachers:
        teachers.append(primary)
    return SectionRecord(
        clever_id=clever_id,
        school_clever_id=school,
        name=name,
        sis_id=text(obj, "sis_id"),
        section_number=text(obj, "section_number"),
        subject=text(obj, "subject"),
        grade=text(obj, "grade"),
        period=text(obj, "period"),
        term_name=terms.get(term_id) if term_id else None,
        course_name=courses.get(course_id) if course_id else None,
        student_clever_ids=ids(obj.get("students")),
        teacher_clever_ids=teachers,
        primary_teacher_clever_id=primary,
    )
