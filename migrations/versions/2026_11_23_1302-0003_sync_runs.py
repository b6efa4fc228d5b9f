"""sync runs and their change reports

Revision ID: 0003_sync_runs
Revises: 0002_roster
Create Date: 2026-11-23 13:00:02+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003_sync_runs"
down_revision: str | None = "0002_roster"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sync_runs",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("started_by", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="queued", nullable=False),
        sa.Column("preview", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=True),
        sa.Column(
            "created_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("started_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("finished_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("worker_id", sa.String(length=255), nullable=True),
        sa.Column("heartbeat_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("lease_expires_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "progress",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column(
            "counts",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("hold_reason", sa.String(length=40), nullable=True),
        sa.Column("hold_details", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "(finished_at IS NOT NULL) = (status IN ('successful', 'failed', 'discarded'))",
            name=op.f("ck_sync_runs_finished_iff_terminal"),
        ),
        sa.CheckConstraint(
            "hold_reason IS NULL OR hold_reason IN ('license_exceeded', 'deactivation_threshold')",
            name=op.f("ck_sync_runs_hold"),
        ),
        sa.CheckConstraint(
            "status <> 'on_hold' OR hold_reason IS NOT NULL",
            name=op.f("ck_sync_runs_held_has_reason"),
        ),
        sa.CheckConstraint(
            "status = 'queued' OR started_at IS NOT NULL", name=op.f("ck_sync_runs_started")
        ),
        sa.CheckConstraint(
            "status IN ('queued', 'processing', 'successful', 'failed', 'on_hold', 'discarded')",
            name=op.f("ck_sync_runs_status"),
        ),
        sa.CheckConstraint(
            "trigger IN ('scheduled', 'on_demand', 'initial', 'upload')",
            name=op.f("ck_sync_runs_trigger"),
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_sync_runs_attempts")),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["districts.id"],
            name=op.f("fk_sync_runs_district_id_districts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_runs")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_sync_runs_idempotency_key")),
    )
    op.create_index(
        "ix_sync_runs_district_id_created_at",
        "sync_runs",
        ["district_id", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_sync_runs_queued",
        "sync_runs",
        ["created_at"],
        unique=False,
        postgresql_where=sa.text("status = 'queued'"),
    )
    op.create_index(
        "uq_sync_runs_one_active_per_district",
        "sync_runs",
        ["district_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('queued', 'processing', 'on_hold')"),
    )
    op.create_table(
        "sync_changes",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("sync_run_id", sa.UUID(), nullable=False),
        sa.Column("entity", sa.String(length=20), nullable=False),
        sa.Column("clever_id", sa.String(length=255), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("changes", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "action <> 'rejected' OR reason IS NOT NULL",
            name=op.f("ck_sync_changes_rejected_has_reason"),
        ),
        sa.CheckConstraint(
            "action IN ('created', 'updated', 'deactivated', 'reactivated', 'rejected')",
            name=op.f("ck_sync_changes_action"),
        ),
        sa.CheckConstraint(
            "entity IN ('school', 'user', 'section', 'enrollment')",
            name=op.f("ck_sync_changes_entity"),
        ),
        sa.ForeignKeyConstraint(
            ["sync_run_id"],
            ["sync_runs.id"],
            name=op.f("fk_sync_changes_sync_run_id_sync_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_changes")),
    )
    op.create_index(
        "ix_sync_changes_sync_run_id_id", "sync_changes", ["sync_run_id", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_table("sync_changes")
    op.drop_table("sync_runs")
