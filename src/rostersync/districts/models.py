from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, Index, LargeBinary, Numeric, String, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from rostersync.db.base import Base, TimestampMixin

DISTRICT_SOURCES = ("clever", "oneroster_csv")
DISTRICT_STATUSES = ("active", "paused", "disconnected")
# District IDs are what an Account Owner types at login: short, upper-case, unambiguous.
DISTRICT_CODE_PATTERN = "^[A-Z0-9][A-Z0-9_-]{1,31}$"


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class District(TimestampMixin, Base):
    __tablename__ = "districts"
    __table_args__ = (
        CheckConstraint(_in("source", DISTRICT_SOURCES), name="source"),
        CheckConstraint(_in("status", DISTRICT_STATUSES), name="status"),
        CheckConstraint(f"code ~ '{DISTRICT_CODE_PATTERN}'", name="code_format"),
        CheckConstraint(
            "student_license_limit IS NULL OR student_license_limit >= 0", name="license_limit"
        ),
        CheckConstraint(
            "deactivation_threshold_percent >= 0 AND deactivation_threshold_percent <= 100",
            name="threshold_percent",
        ),
        CheckConstraint("deactivation_threshold_min >= 0", name="threshold_min"),
        CheckConstraint(
            "source = 'clever' OR clever_district_id IS NULL", name="clever_id_only_for_clever"
        ),
        Index(
            "uq_districts_clever_district_id",
            "clever_district_id",
            unique=True,
            postgresql_where=text("clever_district_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(20), server_default="clever")
    status: Mapped[str] = mapped_column(String(20), server_default="active")
    clever_district_id: Mapped[str | None] = mapped_column(String(64))
    clever_token_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    student_license_limit: Mapped[int | None]
    deactivation_guard_enabled: Mapped[bool] = mapped_column(server_default=text("true"))
    deactivation_threshold_percent: Mapped[Decimal] = mapped_column(
        Numeric(5, 2), server_default=text("10")
    )
    deactivation_threshold_min: Mapped[int] = mapped_column(server_default=text("20"))
    # Per entity type ("students", "sections", ...): {"percent": 5, "minimum": 50}; a type not
    # listed uses the two columns above (migration 0012).
    deactivation_thresholds: Mapped[dict[str, Any]] = mapped_column(
        JSONB, server_default=text("'{}'")
    )
    allowed_google_domains: Mapped[list[str]] = mapped_column(
        ARRAY(String(253)), server_default=text("'{}'")
    )
