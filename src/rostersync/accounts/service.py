from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from rostersync.accounts import repository
from rostersync.accounts.caller import ACCOUNT_OWNER, OPERATOR, Caller, CallerKind
from rostersync.accounts.exceptions import (
    AccountLockedError,
    AccountOwnerExistsError,
    InvalidCredentialsError,
    InvalidSessionError,
    SessionExpiredError,
    WeakPasswordError,
)
from rostersync.accounts.models import Account, Session
from rostersync.accounts.passwords import hash_password, password_problem, verify_password
from rostersync.accounts.repository import SessionSubject
from rostersync.accounts.schemas import SignedInOut
from rostersync.accounts.tokens import hash_session_token, new_session_token
from rostersync.districts.models import District
from rostersync.districts.service import find_district

SESSION_LIFETIME = timedelta(hours=12)
MAX_FAILED_LOGINS = 10
FAILED_LOGIN_WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)
# last_seen_at is a hint for people, not an audit log: at most one write per this interval.
LAST_SEEN_RESOLUTION = timedelta(minutes=5)


@dataclass(frozen=True)
class SignedIn:
    token: str  # shown once; only its hash is stored
    subject: SignedInOut


def normalize_username(username: str) -> str:
    return username.strip().lower()


def _require_strong(password: str) -> None:
    problem = password_problem(password)
    if problem is not None:
        raise WeakPasswordError(problem)


async def create_account_owner(
    session: AsyncSession, district: District, username: str, password: str
) -> Account:
    _require_strong(password)
    existing = await repository.get_for_district(session, district.id)
    if existing is not None:
        raise AccountOwnerExistsError(district.code, existing.username)
    return await repository.insert(
        session,
        district_id=district.id,
        username=normalize_username(username),
        password_hash=hash_password(password),
    )


async def ensure_account_owner(
    session: AsyncSession, district: District, username: str, password: str
) -> Account:
    """Make `username` with `password` the district's Account Owner, whoever it was before."""
    _require_strong(password)
    existing = await repository.get_for_district(session, district.id)
    if existing is None:
        return await create_account_owner(session, district, username, password)
    if existing.username != normalize_username(username) or not await _verify(existing, password):
        await repository.update_account(
            session,
            existing,
            username=normalize_username(username),
            password_hash=hash_password(password),
        )
    return existing


async def sign_in(
    session: AsyncSession,
    *,
    district_code: str,
    username: str,
    password: str,
    now: datetime,
    replacing_token: str | None = None,
) -> SignedIn:
    """Check an Account Owner's password and open a session.

    Raises InvalidCredentialsError (the same for every wrong part) or AccountLockedError
    after recording the failure: the caller must commit it even though sign-in failed.
    """
    district = await find_district(session, district_code)
    account = None
    if district is not None:
        account = await repository.get_owner_for_update(
            session, district.id, normalize_username(username)
        )
    if account is not None:
        _refuse_while_locked(account, now)
    password_ok = await _verify(account, password)
    if district is None or account is None or not password_ok:
        if account is not None:
            await _count_failure(session, account, now)
        raise InvalidCredentialsError
    return await _open_owner_session(session, district, account, now, replacing_token)


async def _verify(account: Account | None, password: str) -> bool:
    # argon2 takes tens of milliseconds of CPU: off the event loop. An unknown account
    # verifies against a dummy hash, so it costs the same time as a wrong password.
    password_hash = account.password_hash if account is not None else None
    return await asyncio.to_thread(verify_password, password_hash, password)


def _refuse_while_locked(account: Account, now: datetime) -> None:
    if account.locked_until is not None and account.locked_until > now:
        raise AccountLockedError((account.locked_until - now).total_seconds())


async def _count_failure(session: AsyncSession, account: Account, now: datetime) -> None:
    """Count a wrong password; the MAX_FAILED_LOGINS-th within the window locks the account."""
    first_failed_at: datetime | None = now
    count = 1
    if not _failure_window_over(account, now):
        count, first_failed_at = account.failed_login_count + 1, account.first_failed_login_at
    locked_until = now + LOCKOUT if count >= MAX_FAILED_LOGINS else None
    await repository.update_account(
        session,
        account,
        failed_login_count=count,
        first_failed_login_at=first_failed_at,
        locked_until=locked_until,
    )
    if locked_until is not None:
        raise AccountLockedError(LOCKOUT.total_seconds())


def _failure_window_over(account: Account, now: datetime) -> bool:
    first = account.first_failed_login_at
    lock_ended = account.locked_until is not None and account.locked_until <= now
    return first is None or first <= now - FAILED_LOGIN_WINDOW or lock_ended


async def _open_owner_session(
    session: AsyncSession,
    district: District,
    account: Account,
    now: datetime,
    replacing_token: str | None,
) -> SignedIn:
    await repository.update_account(
        session,
        account,
        failed_login_count=0,
        first_failed_login_at=None,
        locked_until=None,
        last_login_at=now,
    )
    await end_replaced_session(session, replacing_token)
    token, row = await open_session(
        session,
        subject_type="account",
        district_id=district.id,
        account_id=account.id,
        roles=[ACCOUNT_OWNER],
        now=now,
    )
    subject = _subject_out("account", district.code, account.username, row)
    return SignedIn(token=token, subject=subject)


async def end_replaced_session(session: AsyncSession, replacing_token: str | None) -> None:
    """End the session a browser held until a new sign-in (shared classroom devices)."""
    if replacing_token:
        await repository.delete_session_by_hash(session, hash_session_token(replacing_token))


async def sign_in_person(
    session: AsyncSession,
    *,
    district: District,
    user_id: int,
    name: str,
    roles: list[str],
    now: datetime,
    replacing_token: str | None = None,
) -> SignedIn:
    """Open a session for a rostered person whom Clever or Google has vouched for."""
    await end_replaced_session(session, replacing_token)
    token, row = await open_session(
        session,
        subject_type="user",
        district_id=district.id,
        user_id=user_id,
        roles=roles,
        now=now,
    )
    return SignedIn(token=token, subject=_subject_out("user", district.code, name, row))


async def open_session(
    session: AsyncSession,
    *,
    subject_type: str,
    district_id: int,
    roles: list[str],
    now: datetime,
    account_id: int | None = None,
    user_id: int | None = None,
) -> tuple[str, Session]:
    """A new session for an account or a person; the token and the stored row."""
    token = new_session_token()
    row = await repository.insert_session(
        session,
        token_hash=hash_session_token(token),
        subject_type=subject_type,
        district_id=district_id,
        account_id=account_id,
        user_id=user_id,
        roles=roles,
        created_at=now,
        expires_at=now + SESSION_LIFETIME,
        last_seen_at=now,
    )
    return token, row


async def caller_for_token(session: AsyncSession, token: str, *, now: datetime) -> Caller:
    """The caller a session token signs in; 401 when it is unknown or expired."""
    found = await repository.find_session_by_hash(session, hash_session_token(token))
    if found is None or found.user_active is False:
        raise InvalidSessionError
    if found.row.expires_at <= now:
        raise SessionExpiredError
    last_seen = found.row.last_seen_at
    if last_seen is None or last_seen <= now - LAST_SEEN_RESOLUTION:
        await repository.touch_session(session, found.row, now)
    return _caller(found)


def _caller(found: SessionSubject) -> Caller:
    row = found.row
    kind: CallerKind = "account" if row.subject_type == "account" else "user"
    return Caller(
        kind=kind,
        district_id=row.district_id,
        name=_subject_name(found),
        roles=tuple(row.roles),
        session_id=row.id,
    )


def _subject_name(found: SessionSubject) -> str:
    return found.account_username or found.user_name or ""


async def describe(session: AsyncSession, caller: Caller) -> SignedInOut:
    """What GET /auth/session says about a caller."""
    if caller.session_id is None:
        return _subject_out(OPERATOR.kind, None, OPERATOR.name, None)
    found = await repository.find_session_by_id(session, caller.session_id)
    if found is None:
        raise InvalidSessionError
    return _subject_out(caller.kind, found.district_code, _subject_name(found), found.row)


def _subject_out(
    kind: CallerKind, district_code: str | None, name: str, row: Session | None
) -> SignedInOut:
    return SignedInOut(
        kind=kind,
        district=district_code,
        name=name,
        roles=list(row.roles) if row is not None else [],
        expires_at=row.expires_at if row is not None else None,
    )


async def sign_out(session: AsyncSession, caller: Caller) -> None:
    if caller.session_id is not None:
        await repository.delete_session(session, caller.session_id)
