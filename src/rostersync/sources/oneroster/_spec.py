"""What rostersync reads of a OneRoster CSV upload: files, columns and enumerations.

Only the columns the mapping uses are required in a header; the spec's other columns
(`status`, `dateLastModified`, `username`, ...) may be there or not and are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FileSpec:
    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    # The column whose repeats are rejected (the first row with a value wins).
    key: str | None = "sourcedId"
    # Columns the index looks rows up by (besides the key).
    lookups: tuple[str, ...] = ()

    @property
    def table(self) -> str:
        return self.name.removesuffix(".csv")

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional


ORGS = FileSpec("orgs.csv", ("sourcedId", "name", "type"), ("identifier",))
# OneRoster 1.1 names a user's role and orgs in users.csv; 1.2 moved both to roles.csv.
USERS_V11_COLUMNS = ("role", "orgSourcedIds")
USERS = FileSpec(
    "users.csv",
    ("sourcedId", "givenName", "familyName"),
    (*USERS_V11_COLUMNS, "enabledUser", "middleName", "identifier", "email", "grades"),
)
CLASSES = FileSpec(
    "classes.csv",
    ("sourcedId", "title", "schoolSourcedId"),
    ("classCode", "courseSourcedId", "termSourcedIds", "periods", "subjects", "grades"),
)
ENROLLMENTS = FileSpec(
    "enrollments.csv",
    ("sourcedId", "classSourcedId", "userSourcedId", "role"),
    ("primary",),
    lookups=("classSourcedId",),
)
MANIFEST = FileSpec("manifest.csv", ("propertyName", "value"), key=None)
SESSIONS = FileSpec("academicSessions.csv", ("sourcedId", "title"))
COURSES = FileSpec("courses.csv", ("sourcedId", "title"))
# A repeated role row changes nothing (roles are a set), so roles.csv has no key.
ROLES = FileSpec(
    "roles.csv", ("userSourcedId", "role", "orgSourcedId"), key=None, lookups=("userSourcedId",)
)

REQUIRED = (ORGS, USERS, CLASSES, ENROLLMENTS)
OPTIONAL = (MANIFEST, SESSIONS, COURSES, ROLES)
SPECS = {spec.name: spec for spec in (*REQUIRED, *OPTIONAL)}

# Enumerations are compared lower-cased: SIS exports are not always careful with case.
ORG_TYPES = ("school", "district", "department", "local", "state", "national")
# A user's role (1.1 users.csv, 1.2 roles.csv) -> the roster role; None: known, not rostered.
# 1.2 split 1.1's `administrator`: district administrators are the district's admins, the
# others work in schools. Parents, guardians and relatives are contacts (Clever does not
# roster them either); aides and proctors have no roster role.
USER_ROLES: dict[str, str | None] = {
    "student": "student",
    "teacher": "teacher",
    "administrator": "staff",
    "siteadministrator": "staff",
    "principal": "staff",
    "counselor": "staff",
    "systemadministrator": "staff",
    "districtadministrator": "district_admin",
    "aide": None,
    "proctor": None,
    "parent": None,
    "guardian": None,
    "relative": None,
}
# An enrollment's role -> the section member role; None: known, not a member we keep.
ENROLLMENT_ROLES: dict[str, str | None] = {
    "student": "student",
    "teacher": "teacher",
    "administrator": None,
    "proctor": None,
    "aide": None,
    "guardian": None,
    "parent": None,
    "relative": None,
}
# The order a user's roster roles are listed in (the roster's order).
ROSTER_ROLES = ("student", "teacher", "staff", "district_admin")

# The roster's column sizes (rostersync.roster.models): a longer value is rejected with its
# file, line and column instead of failing the whole run when it is applied.
ID_SIZE = 255
NAME_SIZE = 255
LONG_NAME_SIZE = 500
EMAIL_SIZE = 320
GRADE_SIZE = 32
SUBJECT_SIZE = 100
