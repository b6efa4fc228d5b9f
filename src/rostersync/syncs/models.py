"""Sync runs and their change reports."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Identity,
    Index,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from rostersync.db.base import Base

SYNC_TRIGGERS = ("scheduled", "on_demand", "initial", "upload")
# `skipped`: the nightly job found the district busy (a run queued, running or on hold) and
# records that it did not sync it, and why.
SYNC_STATUSES = (
    "queued",
    "processing",
    "successful",
    "failed",
    "on_hold",
    "discarded",
    "skipped",
)
ACTIVE_SYNC_STATUSES = ("queued", "processing", "on_hold")
TERMINAL_SYNC_STATUSES = ("successful", "failed", "discarded", "skipped")
HOLD_REASONS = ("license_exceeded", "deactivation_threshold")
CHANGE_ENTITIES = ("school", "user", "section", "enrollment")
CHANGE_ACTIONS = ("created", "updated", "deactivated", "reactivated", "rejected")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class SyncRun(Base):
    __tablename__ = "sync_runs"
    __table_args__ = (
        CheckConstraint(_in("trigger", SYNC_TRIGGERS), name="trigger"),
        CheckConstraint(_in("status", SYNC_STATUSES), name="status"),
        CheckConstraint(f"hold_reason IS NULL OR {_in('hold_reason', HOLD_REASONS)}", name="hold"),
        CheckConstraint("status <> 'on_hold' OR hold_reason IS NOT NULL", name="held_has_reason"),
        CheckConstraint(
            f"(finished_at IS NOT NULL) = ({_in('status', TERMINAL_SYNC_STATUSES)})",
            name="finished_iff_terminal",
        ),
        CheckConstraint("status = 'queued' OR started_at IS NOT NULL", name="started"),
        CheckConstraint("attempts >= 0", name="attempts"),
        CheckConstraint("approved_at IS NULL OR decided_by IS NOT NULL", name="approved_by"),
        # One active run per district, whichever replica enqueues it.
        Index(
            "uq_sync_runs_one_active_per_district",
            "district_id",
            unique=True,
            postgresql_where=text(_in("status", ACTIVE_SYNC_STATUSES)),
        ),
        Index("ix_sync_runs_district_id_created_at", "district_id", "created_at"),
        Index(
            "ix_sync_runs_queued",
            "created_at",
            postgresql_where=text("status = 'queued'"),
        ),
        # What the lease reaper scans (migration 0010).
        Index(
            "ix_sync_runs_processing_lease",
            "lease_expires_at",
            postgresql_where=text("status = 'processing'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")
    )
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"))
    trigger: Mapped[str] = mapped_column(String(20))
    started_by: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20), server_default="queued")
    preview: Mapped[bool] = mapped_column(server_default=text("false"))
    # Makes N schedulers firing for the same night produce one run.
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    worker_id: Mapped[str | None] = mapped_column(String(255))
    heartbeat_at: Mapped[datetime | None]
    lease_expires_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(server_default=text("0"))
    # Names this attempt's staging tables; a new one per claim (migration 0010).
    staging_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    progress: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    counts: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'"))
    # Rows the source left out on purpose, by reason: {"users.csv: role parent": 120}.
    skipped: Mapped[dict[str, int]] = mapped_column(JSONB, server_default=text("'{}'"))
    hold_reason: Mapped[str | None] = mapped_column(String(40))
    hold_details: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    error_message: Mapped[str | None] = mapped_column(Text)
    # A held run's decision (migration 0012): approved runs are queued again and apply the
    # snapshot staged under `staging_id`, without fetching or guarding again.
    approved_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(255))
    # Set when the change report was deleted after CHANGE_REPORT_RETENTION_DAYS.
    report_pruned_at: Mapped[datetime | None]


class SyncChange(Base):
    __tablename__ = "sync_changes"
    __table_args__ = (
        CheckConstraint(_in("entity", CHANGE_ENTITIES), name="entity"),
        CheckConstraint(_in("action", CHANGE_ACTIONS), name="action"),
        CheckConstraint("action <> 'rejected' OR reason IS NOT NULL", name="rejected_has_reason"),
    )

    # One index, the key: a run's report is read in order and deleted with its run (0008).
    # Checked per statement, and deleted with its run, by triggers (migration 0006).
    sync_run_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    entity: Mapped[str] = mapped_column(String(20))
    clever_id: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(20))
    # For updates: {"field": [old, new], ...}
    changes: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))


class SyncWorker(Base):
    """A process that executes runs; alive while `seen_at` is recent.

    `rostersync sync` asks whether any worker is alive before queueing a run for one.
    """

    __tablename__ = "sync_workers"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    seen_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
