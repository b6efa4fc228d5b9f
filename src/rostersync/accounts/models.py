"""District Account Owners and sign-in sessions."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    LargeBinary,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from rostersync.db.base import Base, TimestampMixin

SESSION_SUBJECTS = ("account", "user")


class Account(TimestampMixin, Base):
    """The one District Account Owner of a district (not a Clever user)."""

    __tablename__ = "accounts"
    __table_args__ = (
        UniqueConstraint("district_id"),
        CheckConstraint("username = lower(username)", name="username_lower"),
        CheckConstraint("failed_login_count >= 0", name="failed_login_count"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"))
    username: Mapped[str] = mapped_column(String(150))
    password_hash: Mapped[str] = mapped_column(String(255))
    failed_login_count: Mapped[int] = mapped_column(server_default=text("0"))
    first_failed_login_at: Mapped[datetime | None]
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]


class Session(Base):
    """A signed-in browser or API client; only a hash of its token is stored."""

    __tablename__ = "sessions"
    __table_args__ = (
        CheckConstraint("subject_type IN ('account', 'user')", name="subject_type"),
        CheckConstraint(
            "(subject_type = 'account') = (account_id IS NOT NULL) "
            "AND (subject_type = 'user') = (user_id IS NOT NULL)",
            name="one_subject",
        ),
        CheckConstraint("expires_at > created_at", name="expires_after_created"),
        # A person's session belongs to the person's own district.
        ForeignKeyConstraint(
            ["district_id", "user_id"], ["users.district_id", "users.id"], ondelete="CASCADE"
        ),
        Index("ix_sessions_expires_at", "expires_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")
    )
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    subject_type: Mapped[str] = mapped_column(String(20))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(20)), server_default=text("'{}'"))
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    expires_at: Mapped[datetime]
    last_seen_at: Mapped[datetime | None]
