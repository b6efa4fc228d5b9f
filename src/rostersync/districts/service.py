from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from rostersync.districts import repository
from rostersync.districts.exceptions import (
    CleverDistrictAlreadyConnectedError,
    DistrictNotFoundError,
)
from rostersync.districts.models import District
from rostersync.districts.schemas import DistrictCreate, DistrictUpdate
from rostersync.errors import ConflictError


async def create_district(session: AsyncSession, data: DistrictCreate) -> District:
    return await repository.insert(session, data.model_dump())


async def get_district(session: AsyncSession, code: str) -> District:
    district = await repository.get_by_code(session, code.strip().upper())
    if district is None:
        raise DistrictNotFoundError(code)
    return district


async def get_district_by_id(session: AsyncSession, district_id: int) -> District:
    district = await repository.get_by_id(session, district_id)
    if district is None:
        raise DistrictNotFoundError(f"#{district_id}")
    return district


async def disconnect_missing(session: AsyncSession, clever_district_ids: set[str]) -> list[str]:
    """Districts whose Clever token vanished are disconnected (data kept); their codes."""
    return await repository.disconnect_clever_districts_except(session, clever_district_ids)


async def list_districts(session: AsyncSession) -> Sequence[District]:
    return await repository.list_all(session)


_NOT_NULLABLE = (
    "name",
    "source",
    "status",
    "deactivation_guard_enabled",
    "deactivation_threshold_percent",
    "deactivation_threshold_min",
    "deactivation_thresholds",
    "allowed_google_domains",
)


async def update_district(session: AsyncSession, code: str, data: DistrictUpdate) -> District:
    district = await get_district(session, code)
    changes = data.model_dump(exclude_unset=True)
    for field in _NOT_NULLABLE:
        if changes.get(field, "") is None:  # explicit null only clears nullable fields
            changes.pop(field)
    if changes.get("source") == "oneroster_csv" and district.clever_district_id is not None:
        raise ConflictError(
            f"District {district.code} is connected to Clever; disconnect it before "
            "switching it to OneRoster CSV uploads."
        )
    if changes.get("deactivation_thresholds") is not None:  # stored as JSON numbers
        changes["deactivation_thresholds"] = data.model_dump(mode="json")["deactivation_thresholds"]
    await repository.update_fields(session, district, changes)
    return district


async def find_district(session: AsyncSession, code: str) -> District | None:
    return await repository.get_by_code(session, code.strip().upper())


async def get_by_clever_id(session: AsyncSession, clever_district_id: str) -> District | None:
    return await repository.get_by_clever_id(session, clever_district_id)


async def connect_clever_district(
    session: AsyncSession,
    *,
    code: str,
    name: str,
    clever_district_id: str,
    encrypted_token: bytes,
) -> District:
    """Create the district, or give an existing one (same code) its new Clever token."""
    other = await repository.get_by_clever_id(session, clever_district_id)
    if other is not None and other.code != code:
        raise CleverDistrictAlreadyConnectedError(clever_district_id, other.code)
    district = await repository.get_by_code(session, code)
    if district is None:
        data = DistrictCreate(code=code, name=name, source="clever")
        district = await repository.insert(session, data.model_dump())
    elif district.source != "clever":
        raise ConflictError(f"District {code} takes OneRoster CSV uploads, not Clever.")
    values = {"clever_district_id": clever_district_id, "clever_token_encrypted": encrypted_token}
    if district.status == "disconnected":
        values["status"] = "active"
    await repository.update_fields(session, district, values)
    return district
