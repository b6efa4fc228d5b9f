"""Reads of single people in the roster, always inside one district (sign-in needs them)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rostersync.roster.models import User


async def find_user_by_source_id(
    session: AsyncSession, district_id: int, clever_id: str
) -> User | None:
    """The person the source (Clever, OneRoster) knows by `clever_id`, active or not."""
    result = await session.execute(
        select(User).where(User.district_id == district_id, User.clever_id == clever_id)
    )
    return result.scalar_one_or_none()


async def find_user(session: AsyncSession, district_id: int, user_id: int) -> User | None:
    result = await session.execute(
        select(User).where(User.district_id == district_id, User.id == user_id)
    )
    return result.scalar_one_or_none()


async def find_users_by_email(
    session: AsyncSession, district_id: int, email: str, *, limit: int = 3
) -> Sequence[User]:
    """People of the district with this email (matched lower-case), active ones first.

    `limit` is enough to tell one active person from several.
    """
    result = await session.execute(
        select(User)
        .where(User.district_id == district_id, User.email == email.lower())
        .order_by(User.active.desc(), User.id)
        .limit(limit)
    )
    return result.scalars().all()
