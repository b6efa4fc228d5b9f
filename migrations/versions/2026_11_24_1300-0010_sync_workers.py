"""sync workers, per-claim staging ids and the lease reaper's index

Workers register in `sync_workers` and refresh `seen_at` while they live, so that
`rostersync sync` can tell whether a server will pick up a queued run. The reaper looks
for processing runs whose lease expired; a partial index keeps that scan small. Each claim of a run stages under a fresh `staging_id`, so a worker that lost
its run cannot touch the tables of the worker that took it over.

Revision ID: 0010_sync_workers
Revises: 0009_enrollment_membership_key
Create Date: 2026-11-24 13:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010_sync_workers"
down_revision: str | None = "0009_enrollment_membership_key"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sync_workers",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column(
            "started_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "seen_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_workers")),
    )
    op.add_column("sync_runs", sa.Column("staging_id", sa.UUID(), nullable=True))
    op.create_index(
        "ix_sync_runs_processing_lease",
        "sync_runs",
        ["lease_expires_at"],
        unique=False,
        postgresql_where=sa.text("status = 'processing'"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_sync_runs_processing_lease",
        table_name="sync_runs",
        postgresql_where=sa.text("status = 'processing'"),
    )
    op.drop_column("sync_runs", "staging_id")
    op.drop_table("sync_workers")
