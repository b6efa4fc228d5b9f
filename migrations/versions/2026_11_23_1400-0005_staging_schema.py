"""staging schema for per-run sync snapshots

Each sync run stages its snapshot in UNLOGGED tables named after the run, in their own
schema so they never mix with the roster and can be listed and dropped by run.

Revision ID: 0005_staging_schema
Revises: 0004_accounts_sessions
Create Date: 2026-11-23 14:00:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005_staging_schema"
down_revision: str | None = "0004_accounts_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE SCHEMA IF NOT EXISTS staging")


def downgrade() -> None:
    op.execute("DROP SCHEMA IF EXISTS staging CASCADE")
