"""sign-in memory: authorization codes already exchanged, Google accounts linked

`oauth_code_uses` keeps a SHA-256 of every Clever and Google authorization code the
callbacks exchanged, so a replayed code is refused even if the provider would honour it;
rows older than a day are pruned by the scheduler. `google_links` ties Google's stable
`sub` to the rostered person it first signed in, inside that person's district.

Revision ID: 0011_sso
Revises: 0010_sync_workers
Create Date: 2026-11-24 15:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011_sso"
down_revision: str | None = "0010_sync_workers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "oauth_code_uses",
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("code_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column(
            "used_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "provider IN ('clever', 'google')", name=op.f("ck_oauth_code_uses_provider")
        ),
        sa.PrimaryKeyConstraint("provider", "code_hash", name=op.f("pk_oauth_code_uses")),
    )
    op.create_index("ix_oauth_code_uses_used_at", "oauth_code_uses", ["used_at"], unique=False)
    op.create_table(
        "google_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("google_sub", sa.String(length=255), nullable=False),
        sa.Column(
            "created_at",
            postgresql.TIMESTAMP(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("last_used_at", postgresql.TIMESTAMP(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["district_id", "user_id"],
            ["users.district_id", "users.id"],
            name=op.f("fk_google_links_district_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_google_links")),
        sa.UniqueConstraint(
            "district_id", "google_sub", name=op.f("uq_google_links_district_id_google_sub")
        ),
        sa.UniqueConstraint(
            "district_id", "user_id", name=op.f("uq_google_links_district_id_user_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("google_links")
    op.drop_index("ix_oauth_code_uses_used_at", table_name="oauth_code_uses")
    op.drop_table("oauth_code_uses")
