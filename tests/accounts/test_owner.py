from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rostersync.accounts.exceptions import AccountOwnerExistsError, WeakPasswordError
from rostersync.accounts.models import Account
from rostersync.accounts.passwords import hash_password, verify_password
from rostersync.accounts.service import create_account_owner
from rostersync.districts.models import District
from rostersync.districts.schemas import DistrictCreate
from rostersync.districts.service import create_district


@pytest.fixture
async def district(session: AsyncSession) -> District:
    return await create_district(session, DistrictCreate(code="DEMO", name="Demo"))


def test_passwords_are_hashed_with_argon2id() -> None:
    hashed = hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "correct horse battery")
    assert not verify_password(hashed, "Correct horse battery")


def test_an_unknown_user_never_verifies() -> None:
    assert not verify_password(None, "not-a-real-password-but-costs-the-same")
    assert not verify_password("garbage-hash", "anything")


async def test_owner_is_stored_with_a_hash_and_a_lower_case_username(
    session: AsyncSession, district: District
) -> None:
    await create_account_owner(session, district, "  Principal.Skinner ", "a-long-enough-password")
    stored = (await session.execute(select(Account))).scalar_one()
    assert stored.username == "principal.skinner"
    assert "a-long-enough-password" not in stored.password_hash
    assert verify_password(stored.password_hash, "a-long-enough-password")


async def test_a_district_has_exactly_one_owner(session: AsyncSession, district: District) -> None:
    await create_account_owner(session, district, "first", "a-long-enough-password")
    with pytest.raises(AccountOwnerExistsError, match="exactly one"):
        await create_account_owner(session, district, "second", "a-long-enough-password")


@pytest.mark.parametrize("password", ["short", " leading-space-password", "trailing-space-pw "])
async def test_weak_passwords_are_refused(
    session: AsyncSession, district: District, password: str
) -> None:
    with pytest.raises(WeakPasswordError):
        await create_account_owner(session, district, "owner", password)
