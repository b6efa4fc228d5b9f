"""What Clever and Google sign-in share: districts that may sign in, codes used once, and
the session a rostered person gets."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from authlib.common.security import generate_token
from sqlalchemy.ext.asyncio import AsyncSession

from rostersync.accounts import service as accounts
from rostersync.districts.models import District
from rostersync.districts.service import find_district
from rostersync.roster.models import User
from rostersync.sso import repository
from rostersync.sso.exceptions import SignInRefusedError
from rostersync.sso.flow import Flow

# Codes live a minute (Clever) to ten (Google); a day of memory outlasts every one of them.
CODE_MEMORY = timedelta(days=1)


@dataclass(frozen=True)
class Callback:
    """What the provider sent the browser back with, and what the browser carried."""

    code: str | None
    state: str | None
    error: str | None
    flow_cookie: str | None
    session_cookie: str | None  # the session this browser held until now, if any


def new_secret() -> str:
    """A random state, nonce or PKCE verifier (43 url-safe characters, 256 bits)."""
    return str(generate_token(43))


async def district_for_login(session: AsyncSession, code: str, *, clever: bool) -> District:
    district = await find_district(session, code)
    if district is None or (clever and district.clever_district_id is None):
        raise SignInRefusedError("unknown_district")
    require_open(district)
    return district


def require_open(district: District) -> None:
    if district.status == "paused":
        raise SignInRefusedError("district_paused")
    if district.status != "active":
        raise SignInRefusedError("district_not_connected")


def refuse_provider_error(callback: Callback) -> None:
    if callback.error == "access_denied":
        raise SignInRefusedError("access_denied")
    if callback.error:
        raise SignInRefusedError("provider_unavailable", reason="provider sent an OAuth error")


def check_state(flow: Flow, provider: str, state: str | None) -> None:
    """The callback's state must be the one this browser's sign-in sent."""
    matches = state is not None and hmac.compare_digest(flow.state.encode(), state.encode())
    if flow.provider != provider or not matches:
        raise SignInRefusedError("invalid_state", reason="state does not match the flow cookie")


async def spend_code(session: AsyncSession, provider: str, code: str | None, now: datetime) -> str:
    """The code, recorded as used; a code seen before is refused before it reaches the
    provider, whatever the provider would say."""
    if not code:
        raise SignInRefusedError("missing_code")
    digest = hashlib.sha256(code.encode()).digest()
    if not await repository.record_code_use(session, provider, digest, now):
        raise SignInRefusedError("code_replayed")
    return code


def require_active(user: User | None) -> User:
    if user is None:
        raise SignInRefusedError("not_rostered")
    if not user.active:
        raise SignInRefusedError("deactivated")
    return user


async def sign_in(
    session: AsyncSession, district: District, user: User, callback: Callback, now: datetime
) -> accounts.SignedIn:
    return await accounts.sign_in_person(
        session,
        district=district,
        user_id=user.id,
        name=f"{user.name_first} {user.name_last}",
        roles=list(user.roles),
        now=now,
        replacing_token=callback.session_cookie,
    )


async def forget_used_codes(session: AsyncSession, now: datetime) -> int:
    """Drop the record of codes too old to be honoured by any provider."""
    return await repository.delete_code_uses_before(session, now - CODE_MEMORY)
