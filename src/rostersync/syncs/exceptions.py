from __future__ import annotations

import uuid

from rostersync.errors import AppError, ConflictError, NotFoundError


class SyncAlreadyActiveError(ConflictError):
    def __init__(self, district_code: str, active_sync_id: str) -> None:
        super().__init__(
            f"District {district_code} already has a sync queued, running or on hold; "
            "wait for it to finish (or decide the held one) before starting another.",
            active_sync_id=active_sync_id,
        )


class DistrictNotSyncableError(ConflictError):
    pass


class RunOwnershipLostError(Exception):
    """This worker no longer owns the run (its lease expired and another replica took it)."""

    def __init__(self, run_id: object) -> None:
        super().__init__(f"run {run_id} is no longer owned by this worker")


class SyncRunNotFoundError(NotFoundError):
    def __init__(self, run_id: uuid.UUID) -> None:
        super().__init__(f"No sync run {run_id} in your district.")


class OperatorMustNameDistrictError(AppError):
    status_code = 422

    def __init__(self) -> None:
        super().__init__(
            "Operators act on any district, so name it: `district` in the body of "
            "POST /syncs, or `?district=` on GET /syncs."
        )


class BadCursorError(AppError):
    status_code = 400

    def __init__(self) -> None:
        super().__init__(
            "The cursor is not one this API gave out; start again from the first page."
        )


class RunNotHeldError(ConflictError):
    def __init__(self, status: str) -> None:
        super().__init__(f"Only a sync on hold can be approved or discarded; this one is {status}.")


class StaleSnapshotError(ConflictError):
    def __init__(self, district_code: str) -> None:
        super().__init__(
            f"Another sync has changed {district_code}'s roster since this one was held, so "
            "its changes are out of date. Discard it and start a new sync."
        )


class StillOverLicenseError(ConflictError):
    def __init__(self, district_code: str, students: int, limit: int) -> None:
        super().__init__(
            f"This sync would keep {students:,} active students in {district_code}; the license "
            f"still covers {limit:,}. Ask us to raise the license, or discard this sync and "
            "narrow the sharing."
        )


class ReportPrunedError(AppError):
    status_code = 410

    def __init__(self, days: int) -> None:
        super().__init__(
            f"This sync's change report was removed after {days} days "
            "(CHANGE_REPORT_RETENTION_DAYS); its counts are still in GET /syncs/{id}."
        )
