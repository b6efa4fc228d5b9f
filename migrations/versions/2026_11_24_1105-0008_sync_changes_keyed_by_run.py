"""key sync_changes by (sync_run_id, id), its only index

A first sync writes a change-report row per created record (7.5 million for a district of a
million students), and every index on the table is written for each. The report is only
ever read and deleted by run, in insertion order, so (sync_run_id, id) is the one index it
needs: as the primary key it replaces both the old key (id) and the (sync_run_id, id) index.

Revision ID: 0008_sync_changes_keyed_by_run
Revises: 0007_enrollment_check_distinct
Create Date: 2026-11-24 11:05:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008_sync_changes_keyed_by_run"
down_revision: str | None = "0007_enrollment_check_distinct"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_sync_changes_sync_run_id_id", table_name="sync_changes")
    op.drop_constraint("pk_sync_changes", "sync_changes", type_="primary")
    op.create_primary_key("pk_sync_changes", "sync_changes", ["sync_run_id", "id"])


def downgrade() -> None:
    op.drop_constraint("pk_sync_changes", "sync_changes", type_="primary")
    op.create_primary_key("pk_sync_changes", "sync_changes", ["id"])
    op.create_index(
        "ix_sync_changes_sync_run_id_id", "sync_changes", ["sync_run_id", "id"], unique=False
    )
