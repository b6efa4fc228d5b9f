from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SyncTrigger = Literal["scheduled", "on_demand", "initial", "upload"]
SyncStatus = Literal[
    "queued", "processing", "successful", "failed", "on_hold", "discarded", "skipped"
]


class SyncRunOut(BaseModel):
    """One sync run: who started it, where it is, what it did."""

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
    skipped: dict[str, int] = Field(
        default_factory=dict,
        description="Rows the source left out on purpose, by file and reason (OneRoster "
        "uploads: parents, guardians, aides, disabled users, orgs that are not schools).",
        examples=[{"users.csv: role parent": 120}],
    )
    hold_reason: Literal["license_exceeded", "deactivation_threshold"] | None
    hold_details: dict[str, Any] | None = Field(
        description="Why the run is held, in numbers: `message` (what to do), `license` "
        "(students and limit, when exceeded), `deactivations` per entity that tripped the "
        "threshold (active, deactivating, remaining, threshold), `students_after`."
    )
    decided_by: str | None = Field(description="Who approved or discarded the held run")
    approved_at: datetime | None
    error: str | None = Field(
        description="Why the run failed or was skipped, in words an admin can act on"
    )

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "0b9f3c1e-4a43-4d2b-9a51-6f2e0c7d9a10",
                    "district": "DEMO",
                    "trigger": "on_demand",
                    "started_by": "admin",
                    "status": "successful",
                    "preview": False,
                    "created_at": "2026-11-24T08:00:00Z",
                    "started_at": "2026-11-24T08:00:01Z",
                    "finished_at": "2026-11-24T08:00:09Z",
                    "counts": {
                        "students": {
                            "created": 3,
                            "updated": 12,
                            "unchanged": 985,
                            "deactivated": 1,
                            "reactivated": 0,
                            "rejected": 0,
                        }
                    },
                    "progress": {
                        "users": {"pages": 2, "records": 1100, "done": True},
                    },
                    "skipped": {},
                    "hold_reason": None,
                    "hold_details": None,
                    "decided_by": None,
                    "approved_at": None,
                    "error": None,
                }
            ]
        },
    )


class SyncCreate(BaseModel):
    """Start a sync now (Sync Now)."""

    preview: bool = Field(
        default=False, description="Stop after the diff: counts and changes, nothing applied."
    )
    district: str | None = Field(
        default=None,
        description="The District ID; operators must name it, an Account Owner may omit it.",
        examples=["SELFSERV"],
    )


class SyncRunPage(BaseModel):
    """A page of a district's sync history, newest first."""

    items: list[SyncRunOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next (older) page; null on the last page."
    )
