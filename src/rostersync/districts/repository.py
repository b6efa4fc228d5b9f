from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from rostersync.db.errors import violated_constraint
from rostersync.districts.exceptions import DistrictCodeTakenError
from rostersync.districts.models import District


async def get_by_code(session: AsyncSession, code: str) -> District | None:
    result = await session.execute(select(District).where(District.code == code))
    return result.scalar_one_or_none()


async def get_by_id(session: AsyncSession, district_id: int) -> District | None:
    return await session.get(District, district_id)


async def disconnect_clever_districts_except(
    session: AsyncSession, clever_district_ids: set[str]
) -> list[str]:
    """Mark connected Clever districts whose token is gone disconnected; their codes.

    Their roster is kept; the dead token is forgotten.
    """
    result = await session.execute(
        update(District)
        .where(
            District.source == "clever",
            District.status != "disconnected",
            District.clever_district_id.is_not(None),
            District.clever_district_id.not_in(clever_district_ids),
        )
        .values(status="disconnected", clever_token_encrypted=None, updated_at=func.now())
        .returning(District.code)
    )
    return list(result.scalars())


async def get_by_clever_id(session: AsyncSession, clever_district_id: str) -> District | None:
    result = await session.execute(
        select(District).where(District.clever_district_id == clever_district_id)
    )
    return result.scalar_one_or_none()


async def list_all(session: AsyncSession) -> Sequence[District]:
    result = await session.execute(select(District).order_by(District.code))
    return result.scalars().all()


async def insert(session: AsyncSession, values: dict[str, Any]) -> District:
    district = District(**values)
    try:
        async with session.begin_nested():
            session.add(district)
    except IntegrityError as exc:
        if violated_constraint(exc) == "uq_districts_code":
            raise DistrictCodeTakenError(values["code"]) from exc
        raise
    await session.refresh(district)
    return district


async def update_fields(session: AsyncSession, district: District, values: dict[str, Any]) -> None:
    if not values:
        return
    await session.execute(
        update(District)
        .where(District.id == district.id)
        .values(**values, updated_at=func.now())
        .execution_options(synchronize_session=False)
    )
    await session.refresh(district)
