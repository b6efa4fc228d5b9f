"""OneRoster rows -> roster records: orgs -> schools, users -> people, classes -> sections.

A row that cannot be used becomes a RejectedRecord whose reason names its file, line and
column (it goes into the change report); it never fails the run. A row that is not rostered
on purpose (a district org, a parent, a disabled user) is Skipped, with the reason counted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from rostersync.roster.records import (
    RejectedRecord,
    SchoolRecord,
    SectionRecord,
    UserRecord,
    normalize_email,
)

from ._fields import Fields, Reject, Skipped
from ._index import MemberRow, Row
from ._spec import (
    EMAIL_SIZE,
    ENROLLMENT_ROLES,
    GRADE_SIZE,
    ID_SIZE,
    LONG_NAME_SIZE,
    NAME_SIZE,
    ORG_TYPES,
    ROSTER_ROLES,
    SUBJECT_SIZE,
    USER_ROLES,
)

OrgTypes = Mapping[str, str]  # sourcedId -> type, lower-cased
Titles = Mapping[str, str]  # sourcedId -> title (academic sessions, courses)
HeldRoles = dict[str, list[str]]  # roster role -> school sourcedIds
_USER_ROLE_HINT = "use student, teacher or administrator"
_ENROLLMENT_ROLE_HINT = "use student or teacher"


class Member(NamedTuple):
    user: str
    role: str  # "student" or "teacher"
    primary: bool


def map_school(row: Row) -> SchoolRecord | RejectedRecord | Skipped:
    fields = Fields("orgs.csv", row)
    try:
        fields.check_stored()
        fields.require("sourcedId", "name", "type")
        org_type = fields.lower("type")
        if org_type not in ORG_TYPES:
            fields.reject("type", f"unknown org type '{row['type']}'; use {', '.join(ORG_TYPES)}")
        if org_type != "school":
            return Skipped(f"orgs.csv: type {org_type}")
        return SchoolRecord(
            clever_id=fields.required("sourcedId"),
            name=fields.required("name", LONG_NAME_SIZE),
            school_number=fields.text("identifier", ID_SIZE),
        )
    except Reject as exc:
        return RejectedRecord("school", fields.key, str(exc.problem))


def map_user(
    row: Row, role_rows: Sequence[Row] | None, orgs: OrgTypes
) -> UserRecord | RejectedRecord | Skipped:
    """A person with their roster roles; `role_rows` are theirs in roles.csv (OneRoster 1.2).

    A disabled user is skipped, so the engine deactivates them like anyone the upload leaves
    out; their enrollments are skipped with them.
    """
    fields = Fields("users.csv", row)
    try:
        fields.check_stored()
        fields.require("sourcedId")
        if fields.lower("enabledUser") == "false":
            return Skipped("users.csv: enabledUser false")
        held = v11_roles(fields, orgs) if role_rows is None else v12_roles(fields, role_rows, orgs)
        if isinstance(held, Skipped):
            return held
        return _person(fields, held)
    except Reject as exc:
        claimed = _claimed_roles(fields, role_rows)
        return RejectedRecord("user", fields.key, str(exc.problem), claimed)


def v11_roles(fields: Fields, orgs: OrgTypes) -> HeldRoles | Skipped:
    """OneRoster 1.1: one role per user, and their orgs, in users.csv."""
    role = _user_role(fields)
    if role is None:
        return Skipped(f"users.csv: role {fields.lower('role')}")
    return {role: _school_ids(fields, "orgSourcedIds", fields.ids("orgSourcedIds"), orgs)}


def v12_roles(user: Fields, role_rows: Sequence[Row], orgs: OrgTypes) -> HeldRoles | Skipped:
    """OneRoster 1.2: a row of roles.csv per role and org (primary and secondary alike)."""
    if not role_rows:
        user.reject("sourcedId", "no row of roles.csv names this user; add their role there")
    held: HeldRoles = {}
    unrostered: set[str] = set()
    for role_row in role_rows:
        fields = Fields("roles.csv", role_row)
        fields.check_stored()
        fields.require("role", "orgSourcedId")
        role = _user_role(fields)
        schools = _school_ids(fields, "orgSourcedId", [fields.required("orgSourcedId")], orgs)
        if role is None:
            unrostered.add(fields.lower("role"))
        else:
            held[role] = sorted({*held.get(role, []), *schools})
    return held or Skipped("roles.csv: role " + ", ".join(sorted(unrostered)))


def _user_role(fields: Fields) -> str | None:
    """The roster role of the row's `role`; None when it is known but not rostered."""
    fields.require("role")
    role = fields.lower("role")
    if role not in USER_ROLES:
        fields.reject("role", f"unknown role '{fields.row['role']}'; {_USER_ROLE_HINT}")
    return USER_ROLES[role]


def _claimed_roles(fields: Fields, role_rows: Sequence[Row] | None) -> list[str]:
    """The roster roles a rejected user's rows claim, so counts say who was rejected."""
    if role_rows is None:
        values = [fields.lower("role")]
    else:
        values = [Fields("roles.csv", role_row).lower("role") for role_row in role_rows]
    claimed = {USER_ROLES.get(value) for value in values}
    return [role for role in ROSTER_ROLES if role in claimed]


def _school_ids(fields: Fields, column: str, org_ids: list[str], orgs: OrgTypes) -> list[str]:
    """The schools among the orgs; an org that is not in orgs.csv rejects the row."""
    for org in org_ids:
        if org not in orgs:
            fields.reject(column, f"unknown org '{org}'; it is not in orgs.csv")
    return [org for org in org_ids if orgs[org] == "school"]


def _person(fields: Fields, held: HeldRoles) -> UserRecord:
    fields.require("givenName", "familyName")
    email, email_raw = normalize_email(fields.row["email"])
    if email is not None and len(email) > EMAIL_SIZE:
        email, email_raw = None, fields.row["email"]
    number = fields.text("identifier", ID_SIZE)
    student = "student" in held
    grades = fields.ids("grades") if student else []
    return UserRecord(
        clever_id=fields.required("sourcedId"),
        roles=[role for role in ROSTER_ROLES if role in held],
        name_first=fields.required("givenName", NAME_SIZE),
        name_middle=fields.text("middleName", NAME_SIZE),
        name_last=fields.required("familyName", NAME_SIZE),
        email=email,
        student_number=number if student else None,
        teacher_number=number if "teacher" in held else None,
        staff_id=number if held.keys() & {"staff", "district_admin"} else None,
        grade=_checked(fields, "grades", grades[0] if grades else None, GRADE_SIZE),
        school_clever_ids=sorted({school for schools in held.values() for school in schools}),
        email_raw=email_raw,
    )


def map_section(
    row: Row, orgs: OrgTypes, terms: Titles, courses: Titles
) -> SectionRecord | RejectedRecord:
    """A class without its members (the source adds them from enrollments.csv)."""
    fields = Fields("classes.csv", row)
    try:
        fields.check_stored()
        fields.require("sourcedId", "title", "schoolSourcedId")
        school = fields.required("schoolSourcedId")
        if orgs.get(school) != "school":
            what = f"is a {orgs[school]}, not a school" if school in orgs else "is not in orgs.csv"
            fields.reject("schoolSourcedId", f"org '{school}' {what}; name the class's school")
        return SectionRecord(
            clever_id=fields.required("sourcedId"),
            school_clever_id=school,
            name=fields.required("title", LONG_NAME_SIZE),
            section_number=fields.text("classCode", ID_SIZE),
            subject=fields.text("subjects", SUBJECT_SIZE),
            grade=fields.text("grades", GRADE_SIZE),
            period=fields.text("periods", SUBJECT_SIZE),
            term_name=_titles(fields, "termSourcedIds", terms, NAME_SIZE),
            course_name=_titles(fields, "courseSourcedId", courses, LONG_NAME_SIZE),
        )
    except Reject as exc:
        return RejectedRecord("section", fields.key, str(exc.problem))


def _titles(fields: Fields, column: str, titles: Titles, limit: int) -> str | None:
    """The titles of the listed ids, joined; ids without a title are left out."""
    found = [titles[i] for i in fields.ids(column) if i in titles]
    return _checked(fields, column, ", ".join(found) or None, limit)


def _checked(fields: Fields, column: str, value: str | None, limit: int) -> str | None:
    if value is not None and len(value) > limit:
        fields.reject(column, f"{len(value)} characters, at most {limit}; shorten it")
    return value


def clean_member(row: MemberRow) -> Member | None:
    """The member a proper enrollment row is, quickly; None for any other row (map_member).

    The same rules as map_member's, for the millions of rows that need no explaining.
    """
    _, _, problem, dup_of, key, _, user, role, primary, user_known, user_disabled = row
    if problem or dup_of or not key or not user or not user_known or user_disabled:
        return None
    member_role = ENROLLMENT_ROLES.get(role.lower())
    if member_role is None:
        return None
    return Member(user, member_role, member_role == "teacher" and (primary or "").lower() == "true")


def map_member(row: Row) -> Member | RejectedRecord | Skipped:
    """An enrollment of a class in classes.csv (the row says whether its user is known)."""
    fields = Fields("enrollments.csv", row)
    try:
        fields.check_stored()
        fields.require("sourcedId", "userSourcedId", "role")
        role = _enrollment_role(fields)
        if role is None:
            return Skipped(f"enrollments.csv: role {fields.lower('role')}")
        user = fields.required("userSourcedId")
        if not row["user_known"]:
            fields.reject("userSourcedId", f"unknown user '{user}'; it is not in users.csv")
        if row["user_disabled"]:
            return Skipped("enrollments.csv: user with enabledUser false")
        return Member(user, role, role == "teacher" and fields.lower("primary") == "true")
    except Reject as exc:
        return RejectedRecord("enrollment", fields.key, str(exc.problem))


def _enrollment_role(fields: Fields) -> str | None:
    role = fields.lower("role")
    if role not in ENROLLMENT_ROLES:
        fields.reject("role", f"unknown role '{fields.row['role']}'; {_ENROLLMENT_ROLE_HINT}")
    return ENROLLMENT_ROLES[role]


def map_orphan_enrollment(row: Row) -> RejectedRecord:
    """An enrollment whose class is not in classes.csv."""
    fields = Fields("enrollments.csv", row)
    try:
        fields.check_stored()
        fields.require("classSourcedId")
        fields.reject(
            "classSourcedId", f"unknown class '{row['classSourcedId']}'; it is not in classes.csv"
        )
    except Reject as exc:
        return RejectedRecord("enrollment", fields.key, str(exc.problem))


def map_orphan_role(row: Row) -> RejectedRecord:
    """A row of roles.csv whose user is not in users.csv."""
    fields = Fields("roles.csv", row)
    user = str(row["userSourcedId"] or "(missing userSourcedId)")
    try:
        fields.require("userSourcedId")
        fields.reject("userSourcedId", f"unknown user '{user}'; it is not in users.csv")
    except Reject as exc:
        return RejectedRecord("user", user, str(exc.problem), _claimed_roles(fields, [row]))
