from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from rostersync.districts import repository
from rostersync.districts.exceptions import DistrictNotFoundError
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


async def list_districts(session: AsyncSession) -> Sequence[District]:
    return await repository.list_all(session)


async def update_district(session: AsyncSession, code: str, data: DistrictUpdate) -> District:
    district = await get_district(session, code)
    changes = data.model_dump(exclude_unset=True)
    for field in ("name", "source", "status"):
        if changes.get(field, "") is None:  # explicit null only clears nullable fields
            changes.pop(field)
    if changes.get("source") == "oneroster_csv" and district.clever_district_id is not None:
        raise ConflictError(
            f"District {district.code} is connected to Clever; disconnect it before "
            "switching it to OneRoster CSV uploads."
        )
    await repository.update_fields(session, district, changes)
    return district
