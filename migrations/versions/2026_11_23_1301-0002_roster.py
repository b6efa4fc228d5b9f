"""roster: schools, users of every role, sections and enrollments

Revision ID: 0002_roster
Revises: 0001_districts
Create Date: 2026-11-23 13:00:01+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002_roster"
down_revision: str | None = "0001_districts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "schools",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("clever_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("sis_id", sa.String(length=255), nullable=True),
        sa.Column("state_id", sa.String(length=255), nullable=True),
        sa.Column("school_number", sa.String(length=255), nullable=True),
        sa.Column("low_grade", sa.String(length=32), nullable=True),
        sa.Column("high_grade", sa.String(length=32), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("deactivated_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "active = (deactivated_at IS NULL)", name=op.f("ck_schools_active_matches_deactivated")
        ),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["districts.id"],
            name=op.f("fk_schools_district_id_districts"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schools")),
        sa.UniqueConstraint(
            "district_id", "clever_id", name=op.f("uq_schools_district_id_clever_id")
        ),
        sa.UniqueConstraint("district_id", "id", name=op.f("uq_schools_district_id_id")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("clever_id", sa.String(length=255), nullable=False),
        sa.Column("roles", postgresql.ARRAY(sa.String(length=20)), nullable=False),
        sa.Column("name_first", sa.String(length=255), nullable=False),
        sa.Column("name_middle", sa.String(length=255), nullable=True),
        sa.Column("name_last", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("sis_id", sa.String(length=255), nullable=True),
        sa.Column("state_id", sa.String(length=255), nullable=True),
        sa.Column("student_number", sa.String(length=255), nullable=True),
        sa.Column("teacher_number", sa.String(length=255), nullable=True),
        sa.Column("staff_id", sa.String(length=255), nullable=True),
        sa.Column("grade", sa.String(length=32), nullable=True),
        sa.Column(
            "school_clever_ids",
            postgresql.ARRAY(sa.String(length=255)),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("deactivated_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "cardinality(roles) > 0 AND roles <@ ARRAY['student', 'teacher', 'staff', 'district_admin']::varchar[]",
            name=op.f("ck_users_roles"),
        ),
        sa.CheckConstraint(
            "active = (deactivated_at IS NULL)", name=op.f("ck_users_active_matches_deactivated")
        ),
        sa.CheckConstraint(
            "email IS NULL OR email = lower(email)", name=op.f("ck_users_email_lower")
        ),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["districts.id"],
            name=op.f("fk_users_district_id_districts"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint(
            "district_id", "clever_id", name=op.f("uq_users_district_id_clever_id")
        ),
        sa.UniqueConstraint("district_id", "id", name=op.f("uq_users_district_id_id")),
    )
    op.create_index("ix_users_district_id_email", "users", ["district_id", "email"], unique=False)
    op.create_table(
        "sections",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("clever_id", sa.String(length=255), nullable=False),
        sa.Column("school_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("sis_id", sa.String(length=255), nullable=True),
        sa.Column("section_number", sa.String(length=255), nullable=True),
        sa.Column("subject", sa.String(length=100), nullable=True),
        sa.Column("grade", sa.String(length=32), nullable=True),
        sa.Column("period", sa.String(length=100), nullable=True),
        sa.Column("term_name", sa.String(length=255), nullable=True),
        sa.Column("course_name", sa.String(length=500), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("deactivated_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "active = (deactivated_at IS NULL)", name=op.f("ck_sections_active_matches_deactivated")
        ),
        sa.ForeignKeyConstraint(
            ["district_id", "school_id"],
            ["schools.district_id", "schools.id"],
            name=op.f("fk_sections_district_id_schools"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["districts.id"],
            name=op.f("fk_sections_district_id_districts"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sections")),
        sa.UniqueConstraint(
            "district_id", "clever_id", name=op.f("uq_sections_district_id_clever_id")
        ),
        sa.UniqueConstraint("district_id", "id", name=op.f("uq_sections_district_id_id")),
    )
    op.create_table(
        "enrollments",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("section_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("is_primary", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("deactivated_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "NOT is_primary OR role = 'teacher'", name=op.f("ck_enrollments_primary_is_teacher")
        ),
        sa.CheckConstraint("role IN ('student', 'teacher')", name=op.f("ck_enrollments_role")),
        sa.CheckConstraint(
            "active = (deactivated_at IS NULL)",
            name=op.f("ck_enrollments_active_matches_deactivated"),
        ),
        sa.ForeignKeyConstraint(
            ["district_id", "section_id"],
            ["sections.district_id", "sections.id"],
            name=op.f("fk_enrollments_district_id_sections"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["district_id", "user_id"],
            ["users.district_id", "users.id"],
            name=op.f("fk_enrollments_district_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["districts.id"],
            name=op.f("fk_enrollments_district_id_districts"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrollments")),
        sa.UniqueConstraint(
            "section_id", "user_id", "role", name=op.f("uq_enrollments_section_id_user_id_role")
        ),
    )
    op.create_index("ix_enrollments_district_id", "enrollments", ["district_id"], unique=False)
    op.create_index("ix_enrollments_user_id", "enrollments", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_table("enrollments")
    op.drop_table("sections")
    op.drop_table("users")
    op.drop_table("schools")
