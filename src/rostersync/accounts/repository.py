from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rostersync.accounts.models import Account


async def get_for_district(session: AsyncSession, district_id: int) -> Account | None:
    result = await session.execute(select(Account).where(Account.district_id == district_id))
    return result.scalar_one_or_none()


async def insert(
    session: AsyncSession, *, district_id: int, username: str, password_hash: str
) -> Account:
    account = Account(district_id=district_id, username=username, password_hash=password_hash)
    session.add(account)
    await session.flush()
    return account
