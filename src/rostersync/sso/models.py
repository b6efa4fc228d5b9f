"""What sign-in remembers: authorization codes already used, and Google accounts linked."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKeyConstraint,
    Index,
    LargeBinary,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from rostersync.db.base import Base

SSO_PROVIDERS = ("clever", "google")


class OAuthCodeUse(Base):
    """An authorization code we exchanged: a second use is refused even if the provider
    would honour it. Only a SHA-256 of the code is kept."""

    __tablename__ = "oauth_code_uses"
    __table_args__ = (
        CheckConstraint(
            "provider IN (" + ", ".join(f"'{p}'" for p in SSO_PROVIDERS) + ")", name="provider"
        ),
        Index("ix_oauth_code_uses_used_at", "used_at"),
    )

    provider: Mapped[str] = mapped_column(String(20), primary_key=True)
    code_hash: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    used_at: Mapped[datetime] = mapped_column(server_default=text("now()"))


class GoogleLink(Base):
    """A Google account (its stable `sub`) linked to a rostered person on first sign-in."""

    __tablename__ = "google_links"
    __table_args__ = (
        UniqueConstraint("district_id", "google_sub"),
        UniqueConstraint("district_id", "user_id"),
        # The person belongs to the link's district.
        ForeignKeyConstraint(
            ["district_id", "user_id"], ["users.district_id", "users.id"], ondelete="CASCADE"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int]
    user_id: Mapped[int] = mapped_column(BigInteger)
    google_sub: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    last_used_at: Mapped[datetime | None]
