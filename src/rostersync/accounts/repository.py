from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from rostersync.accounts.models import Account, Session
from rostersync.districts.models import District
from rostersync.roster.models import User


@dataclass(frozen=True)
class SessionSubject:
    """A session row with what is needed to say who it signs in."""

    row: Session
    district_code: str
    account_username: str | None
    user_name: str | None
    user_active: bool | None


async def get_for_district(session: AsyncSession, district_id: int) -> Account | None:
    result = await session.execute(select(Account).where(Account.district_id == district_id))
    return result.scalar_one_or_none()


async def get_owner_for_update(
    session: AsyncSession, district_id: int, username: str
) -> Account | None:
    """The owner, row-locked: concurrent sign-ins of one account count their failures in turn."""
    result = await session.execute(
        select(Account)
        .where(Account.district_id == district_id, Account.username == username)
        .with_for_update()
    )
    return result.scalar_one_or_none()


async def insert(
    session: AsyncSession, *, district_id: int, username: str, password_hash: str
) -> Account:
    account = Account(district_id=district_id, username=username, password_hash=password_hash)
    session.add(account)
    await session.flush()
    return account


async def update_account(session: AsyncSession, account: Account, **values: Any) -> None:
    for name, value in values.items():
        setattr(account, name, value)
    await session.flush()


async def insert_session(session: AsyncSession, **values: Any) -> Session:
    row = Session(**values)
    session.add(row)
    await session.flush()
    return row


async def _find_subject(
    session: AsyncSession, condition: ColumnElement[bool]
) -> SessionSubject | None:
    query = (
        select(
            Session, District.code, Account.username, User.name_first, User.name_last, User.active
        )
        .join(District, District.id == Session.district_id)
        .outerjoin(Account, Account.id == Session.account_id)
        .outerjoin(User, and_(User.district_id == Session.district_id, User.id == Session.user_id))
        .where(condition)
    )
    found = (await session.execute(query)).one_or_none()
    if found is None:
        return None
    row, code, username, first, last, active = found
    user_name = f"{first} {last}" if first is not None else None
    return SessionSubject(row, code, username, user_name, active)


async def find_session_by_hash(session: AsyncSession, token_hash: bytes) -> SessionSubject | None:
    return await _find_subject(session, Session.token_hash == token_hash)


async def find_session_by_id(session: AsyncSession, session_id: uuid.UUID) -> SessionSubject | None:
    return await _find_subject(session, Session.id == session_id)


async def touch_session(session: AsyncSession, row: Session, now: datetime) -> None:
    row.last_seen_at = now
    await session.flush()


async def delete_session(session: AsyncSession, session_id: uuid.UUID) -> None:
    await session.execute(delete(Session).where(Session.id == session_id))


async def delete_session_by_hash(session: AsyncSession, token_hash: bytes) -> None:
    await session.execute(delete(Session).where(Session.token_hash == token_hash))


async def delete_expired_sessions(session: AsyncSession, now: datetime) -> int:
    """Delete the sessions that expired by `now`; how many there were."""
    result = await session.execute(
        delete(Session).where(Session.expires_at <= now).returning(Session.id)
    )
    return len(result.all())
