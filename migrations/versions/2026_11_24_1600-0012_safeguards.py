"""safeguards: decisions on held runs, skipped nightly runs, per-type thresholds, pruned reports

A held run is approved (queued again, `approved_at`, `decided_by`) or discarded. The nightly
job records a district it skipped as a run with status `skipped`. `report_pruned_at` marks a
run whose change report was deleted after the retention period. Districts may set their
deactivation threshold per entity type in `deactivation_thresholds`.

Revision ID: 0012_safeguards
Revises: 0011_sso
Create Date: 2026-11-24 16:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012_safeguards"
down_revision: str | None = "0011_sso"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_STATUSES = "'queued', 'processing', 'successful', 'failed', 'on_hold', 'discarded'"
_OLD_TERMINAL = "'successful', 'failed', 'discarded'"


def _status_checks(statuses: str, terminal: str) -> None:
    op.drop_constraint(op.f("ck_sync_runs_status"), "sync_runs", type_="check")
    op.drop_constraint(op.f("ck_sync_runs_finished_iff_terminal"), "sync_runs", type_="check")
    op.create_check_constraint(op.f("ck_sync_runs_status"), "sync_runs", f"status IN ({statuses})")
    op.create_check_constraint(
        op.f("ck_sync_runs_finished_iff_terminal"),
        "sync_runs",
        f"(finished_at IS NOT NULL) = (status IN ({terminal}))",
    )


def upgrade() -> None:
    op.add_column(
        "districts",
        sa.Column(
            "deactivation_thresholds",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
    )
    op.add_column(
        "sync_runs", sa.Column("approved_at", postgresql.TIMESTAMP(timezone=True), nullable=True)
    )
    op.add_column("sync_runs", sa.Column("decided_by", sa.String(length=255), nullable=True))
    op.add_column(
        "sync_runs",
        sa.Column("report_pruned_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
    )
    op.create_check_constraint(
        op.f("ck_sync_runs_approved_by"),
        "sync_runs",
        "approved_at IS NULL OR decided_by IS NOT NULL",
    )
    _status_checks(f"{_OLD_STATUSES}, 'skipped'", f"{_OLD_TERMINAL}, 'skipped'")


def downgrade() -> None:
    op.execute("DELETE FROM sync_runs WHERE status = 'skipped'")
    _status_checks(_OLD_STATUSES, _OLD_TERMINAL)
    op.drop_constraint(op.f("ck_sync_runs_approved_by"), "sync_runs", type_="check")
    op.drop_column("sync_runs", "report_pruned_at")
    op.drop_column("sync_runs", "decided_by")
    op.drop_column("sync_runs", "approved_at")
    op.drop_column("districts", "deactivation_thresholds")
