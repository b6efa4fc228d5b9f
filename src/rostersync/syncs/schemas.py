from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SyncTrigger = Literal["scheduled", "on_demand", "initial", "upload"]
SyncStatus = Literal["queued", "processing", "successful", "failed", "on_hold", "discarded"]


class SyncRunOut(BaseModel):
    """One sync run: who started it, where it is, what it did."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    district: str = Field(description="The District ID", examples=["SELFSERV"])
    trigger: SyncTrigger
    started_by: str = Field(description="The Account Owner's username, or `system`")
    status: SyncStatus
    preview: bool
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    counts: dict[str, dict[str, int]] = Field(
        description="Per entity (schools, students, teachers, staff, district_admins, sections, "
        "enrollments): created, updated, unchanged, deactivated, reactivated, rejected."
    )
    progress: dict[str, Any] = Field(description="Per collection: pages and records read")
    hold_reason: str | None
    error: str | None
