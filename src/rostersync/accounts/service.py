from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from rostersync.accounts import repository
from rostersync.accounts.exceptions import AccountOwnerExistsError, WeakPasswordError
from rostersync.accounts.models import Account
from rostersync.accounts.passwords import hash_password, password_problem
from rostersync.districts.models import District


def normalize_username(username: str) -> str:
    return username.strip().lower()


async def create_account_owner(
    session: AsyncSession, district: District, username: str, password: str
) -> Account:
    problem = password_problem(password)
    if problem is not None:
        raise WeakPasswordError(problem)
    existing = await repository.get_for_district(session, district.id)
    if existing is not None:
        raise AccountOwnerExistsError(district.code, existing.username)
    return await repository.insert(
        session,
        district_id=district.id,
        username=normalize_username(username),
        password_hash=hash_password(password),
    )
