"""uploads: OneRoster CSV files kept for their run; rows a source skipped on purpose

`sync_uploads` holds an upload's files in compressed chunks, written with its `upload` run,
so that a worker on any replica can read them; they are deleted once the run ends or is
held. `sync_runs.skipped` counts the rows a source left out on purpose (parents, ...).

Revision ID: 0013_uploads
Revises: 0012_safeguards
Create Date: 2026-11-24 17:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013_uploads"
down_revision: str | None = "0012_safeguards"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sync_uploads",
        sa.Column("sync_run_id", sa.UUID(), nullable=False),
        sa.Column("file", sa.String(length=40), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sync_run_id"],
            ["sync_runs.id"],
            name=op.f("fk_sync_uploads_sync_run_id_sync_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("sync_run_id", "file", "part", name=op.f("pk_sync_uploads")),
    )
    # The chunks are zlib-compressed already: TOAST should not try again.
    op.execute("ALTER TABLE sync_uploads ALTER COLUMN data SET STORAGE EXTERNAL")
    op.add_column(
        "sync_runs",
        sa.Column(
            "skipped",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
    )


def downgrade() -> None:
    op.drop_column("sync_runs", "skipped")
    op.drop_table("sync_uploads")
