from __future__ import annotations

from rostersync.errors import ConflictError


class SyncAlreadyActiveError(ConflictError):
    def __init__(self, district_code: str, active_sync_id: str) -> None:
        super().__init__(
            f"District {district_code} already has a sync queued, running or on hold; "
            "wait for it to finish (or decide the held one) before starting another.",
            active_sync_id=active_sync_id,
        )


class DistrictNotSyncableError(ConflictError):
    pass
