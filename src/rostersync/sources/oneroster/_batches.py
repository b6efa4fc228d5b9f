"""Batches of records built from the index; blocking, so each runs in a worker thread."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterable
from typing import NamedTuple

from rostersync.roster.records import Batch, Record, RejectedRecord, SectionRecord

from ._fields import Skipped
from ._index import MEMBER_COLUMNS, Index, MemberRow, Row
from ._mapping import (
    Member,
    OrgTypes,
    Titles,
    clean_member,
    map_member,
    map_orphan_enrollment,
    map_orphan_role,
    map_school,
    map_section,
    map_user,
)
from ._spec import CLASSES, COURSES, ORGS, SESSIONS, USERS, FileSpec

REJECTS_BATCH = 5_000
_CLASS = MEMBER_COLUMNS.index("classSourcedId")


class Lookups(NamedTuple):
    """The small files a class refers to, read whole."""

    orgs: OrgTypes
    terms: Titles
    courses: Titles


class Batches:
    """One batch of a collection per call; `skipped` counts what is deliberately left out."""

    def __init__(self, index: Index, *, has_roles: bool, skipped: Counter[str]) -> None:
        self._index = index
        self._has_roles = has_roles
        self._skipped = skipped

    def count(self, spec: FileSpec) -> int:
        return self._index.count(spec)

    def org_types(self) -> OrgTypes:
        return self._index.org_types()

    def lookups(self) -> Lookups:
        terms, courses = self._index.titles(SESSIONS), self._index.titles(COURSES)
        return Lookups(self._index.org_types(), terms, courses)

    def schools(self, start: int, stop: int) -> Batch:
        return self._kept(map_school(row) for row in self._index.rows(ORGS, start, stop))

    def users(self, orgs: OrgTypes, start: int, stop: int) -> Batch:
        rows = self._index.rows(USERS, start, stop)
        if not self._has_roles:
            return self._kept(map_user(row, None, orgs) for row in rows)
        roles = _grouped(self._index.roles_of(start, stop), "userSourcedId")
        return self._kept(map_user(row, roles.get(row["sourcedId"], []), orgs) for row in rows)

    def sections(self, lookups: Lookups, start: int, stop: int) -> Batch:
        """Sections with their member lists, each followed by its enrollments' rejections."""
        members: dict[str, list[MemberRow]] = {}
        for member in self._index.members_of(start, stop):
            members.setdefault(member[_CLASS], []).append(member)
        batch: Batch = []
        for row in self._index.rows(CLASSES, start, stop):
            section = map_section(row, *lookups)
            rows = members.pop(row["sourcedId"], []) if row["dup_of"] is None else []
            if isinstance(section, RejectedRecord):
                batch.append(section)
                self._skip(Skipped("enrollments.csv: class rejected"), len(rows))
            else:
                batch += self._with_members(section, rows)
        return batch

    def orphan_enrollments(self, after: int) -> tuple[Batch, int]:
        """Rejections of enrollments of unknown classes after n `after`, and the last n."""
        rows = self._index.orphan_enrollments(after, REJECTS_BATCH)
        return [map_orphan_enrollment(row) for row in rows], rows[-1]["n"] if rows else after

    def orphan_roles(self, after: int) -> tuple[Batch, int]:
        """Rejections of roles.csv rows of unknown users after n `after`, and the last n."""
        rows = self._index.orphan_roles(after, REJECTS_BATCH) if self._has_roles else []
        return [map_orphan_role(row) for row in rows], rows[-1]["n"] if rows else after

    def _with_members(self, section: SectionRecord, rows: list[MemberRow]) -> list[Record]:
        students: list[str] = []
        teachers: list[str] = []
        primary: str | None = None
        rejected: list[Record] = []
        for row in rows:
            member = clean_member(row) or map_member(dict(zip(MEMBER_COLUMNS, row, strict=True)))
            if isinstance(member, Member):
                (students if member.role == "student" else teachers).append(member.user)
                primary = primary or (member.user if member.primary else None)
            elif isinstance(member, RejectedRecord):
                rejected.append(member)
            else:
                self._skip(member)
        section = section._replace(
            student_clever_ids=list(dict.fromkeys(students)),
            teacher_clever_ids=list(dict.fromkeys(teachers)),
            primary_teacher_clever_id=primary,
        )
        return [section, *rejected]

    def _kept(self, records: Iterable[Record | Skipped]) -> Batch:
        batch: Batch = []
        for record in records:
            if isinstance(record, Skipped):
                self._skip(record)
            else:
                batch.append(record)
        return batch

    def _skip(self, skipped: Skipped, n: int = 1) -> None:
        if n:
            self._skipped[skipped.reason] += n


def _grouped(rows: list[sqlite3.Row], column: str) -> dict[str, list[Row]]:
    grouped: dict[str, list[Row]] = {}
    for row in rows:
        grouped.setdefault(row[column], []).append(row)
    return grouped
