"""districts: the tenants, with connection, license and guard settings

Revision ID: 0001_districts
Revises:
Create Date: 2026-11-23 13:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001_districts"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "districts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=20), server_default="clever", nullable=False),
        sa.Column("status", sa.String(length=20), server_default="active", nullable=False),
        sa.Column("clever_district_id", sa.String(length=64), nullable=True),
        sa.Column("clever_token_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("student_license_limit", sa.Integer(), nullable=True),
        sa.Column(
            "deactivation_guard_enabled",
            sa.Boolean(),
            server_default=sa.text("true"),
            nullable=False,
        ),
        sa.Column(
            "deactivation_threshold_percent",
            sa.Numeric(precision=5, scale=2),
            server_default=sa.text("10"),
            nullable=False,
        ),
        sa.Column(
            "deactivation_threshold_min", sa.Integer(), server_default=sa.text("20"), nullable=False
        ),
        sa.Column(
            "allowed_google_domains",
            postgresql.ARRAY(sa.String(length=253)),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
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
            "code ~ '^[A-Z0-9][A-Z0-9_-]{1,31}$'", name=op.f("ck_districts_code_format")
        ),
        sa.CheckConstraint(
            "source = 'clever' OR clever_district_id IS NULL",
            name=op.f("ck_districts_clever_id_only_for_clever"),
        ),
        sa.CheckConstraint(
            "source IN ('clever', 'oneroster_csv')", name=op.f("ck_districts_source")
        ),
        sa.CheckConstraint(
            "status IN ('active', 'paused', 'disconnected')", name=op.f("ck_districts_status")
        ),
        sa.CheckConstraint(
            "deactivation_threshold_min >= 0", name=op.f("ck_districts_threshold_min")
        ),
        sa.CheckConstraint(
            "deactivation_threshold_percent >= 0 AND deactivation_threshold_percent <= 100",
            name=op.f("ck_districts_threshold_percent"),
        ),
        sa.CheckConstraint(
            "student_license_limit IS NULL OR student_license_limit >= 0",
            name=op.f("ck_districts_license_limit"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_districts")),
        sa.UniqueConstraint("code", name=op.f("uq_districts_code")),
    )
    op.create_index(
        "uq_districts_clever_district_id",
        "districts",
        ["clever_district_id"],
        unique=True,
        postgresql_where=sa.text("clever_district_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_table("districts")
