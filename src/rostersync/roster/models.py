"""The platform's roster: one row per source record per district, never deleted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKeyConstraint,
    Identity,
    Index,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from rostersync.db.base import Base, TimestampMixin

USER_ROLES = ("student", "teacher", "staff", "district_admin")
ENROLLMENT_ROLES = ("student", "teacher")


class RosterRecordMixin(TimestampMixin):
    """Identity and lifecycle shared by every synced record."""

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True, sort_order=-10)
    # Its district must exist: a foreign key for schools; for users, a check per statement
    # (migration 0016); for sections, their school's district (fk to schools).
    district_id: Mapped[int] = mapped_column(sort_order=-10)
    # Clever's id, or OneRoster's sourcedId for CSV districts. An identifier, compared byte
    # by byte ("C"): a sync looks up, sorts and indexes millions of them.
    clever_id: Mapped[str] = mapped_column(String(255, collation="C"), sort_order=-10)
    active: Mapped[bool] = mapped_column(server_default=text("true"), sort_order=90)
    deactivated_at: Mapped[datetime | None] = mapped_column(sort_order=90)


def _lifecycle_check() -> CheckConstraint:
    return CheckConstraint("active = (deactivated_at IS NULL)", name="active_matches_deactivated")


class School(RosterRecordMixin, Base):
    __tablename__ = "schools"
    __table_args__ = (
        # Led by clever_id, so that the only index leading with district_id is the one the
        # sections' foreign key (district_id, school_id) checks. Otherwise, on a table whose
        # statistics predate its rows (a district's first sync inserts its schools and then
        # their sections, in one transaction), the check could pick this index and scan all
        # of a district's schools for every section (migration 0015).
        UniqueConstraint("clever_id", "district_id"),
        UniqueConstraint("district_id", "id"),
        _lifecycle_check(),
        ForeignKeyConstraint(["district_id"], ["districts.id"], ondelete="RESTRICT"),
    )

    name: Mapped[str] = mapped_column(String(500))
    sis_id: Mapped[str | None] = mapped_column(String(255))
    state_id: Mapped[str | None] = mapped_column(String(255))
    school_number: Mapped[str | None] = mapped_column(String(255))
    low_grade: Mapped[str | None] = mapped_column(String(32))
    high_grade: Mapped[str | None] = mapped_column(String(32))


class User(RosterRecordMixin, Base):
    """A person of every role they hold. Their district is checked once per statement by the
    users_check_district trigger, and deleting a district with users is refused (0016)."""

    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("district_id", "clever_id"),
        UniqueConstraint("district_id", "id"),
        _lifecycle_check(),
        CheckConstraint(
            "cardinality(roles) > 0 AND roles <@ ARRAY["
            + ", ".join(f"'{r}'" for r in USER_ROLES)
            + "]::varchar[]",
            name="roles",
        ),
        CheckConstraint("email IS NULL OR email = lower(email)", name="email_lower"),
        Index("ix_users_district_id_email", "district_id", "email"),
    )

    roles: Mapped[list[str]] = mapped_column(ARRAY(String(20)))
    name_first: Mapped[str] = mapped_column(String(255))
    name_middle: Mapped[str | None] = mapped_column(String(255))
    name_last: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    sis_id: Mapped[str | None] = mapped_column(String(255))
    state_id: Mapped[str | None] = mapped_column(String(255))
    student_number: Mapped[str | None] = mapped_column(String(255))
    teacher_number: Mapped[str | None] = mapped_column(String(255))
    staff_id: Mapped[str | None] = mapped_column(String(255))
    grade: Mapped[str | None] = mapped_column(String(32))
    # Source ids of the schools the person belongs to (Clever's `schools` arrays).
    school_clever_ids: Mapped[list[str]] = mapped_column(
        ARRAY(String(255)), server_default=text("'{}'")
    )


class Section(RosterRecordMixin, Base):
    __tablename__ = "sections"
    __table_args__ = (
        UniqueConstraint("district_id", "clever_id"),
        _lifecycle_check(),
        # A section can only sit in a school of its own district.
        ForeignKeyConstraint(
            ["district_id", "school_id"], ["schools.district_id", "schools.id"], ondelete="RESTRICT"
        ),
    )

    school_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(500))
    sis_id: Mapped[str | None] = mapped_column(String(255))
    section_number: Mapped[str | None] = mapped_column(String(255))
    subject: Mapped[str | None] = mapped_column(String(100))
    grade: Mapped[str | None] = mapped_column(String(32))
    period: Mapped[str | None] = mapped_column(String(100))
    term_name: Mapped[str | None] = mapped_column(String(255))
    course_name: Mapped[str | None] = mapped_column(String(500))
    # md5 of the section's members as last synced: unchanged members, no enrollment diff.
    members_digest: Mapped[str | None] = mapped_column(String(32))


class Enrollment(TimestampMixin, Base):
    """A person in a section; integrity is checked per statement (migrations 0006 and 0007)."""

    __tablename__ = "enrollments"
    __table_args__ = (
        CheckConstraint(
            "role IN (" + ", ".join(f"'{r}'" for r in ENROLLMENT_ROLES) + ")", name="role"
        ),
        CheckConstraint("NOT is_primary OR role = 'teacher'", name="primary_is_teacher"),
        CheckConstraint("active = (deactivated_at IS NULL)", name="active_matches_deactivated"),
        Index("ix_enrollments_user_id", "user_id"),
    )

    # Checked per statement by the enrollments_check_references trigger (migrations 0006, 0007):
    # section and user exist in this district. Row-level foreign keys cost too much in bulk.
    district_id: Mapped[int]
    # The key: one row per person and role in a section, and no surrogate id (migration 0009).
    section_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)
    is_primary: Mapped[bool] = mapped_column(server_default=text("false"))
    active: Mapped[bool] = mapped_column(server_default=text("true"))
    deactivated_at: Mapped[datetime | None]
