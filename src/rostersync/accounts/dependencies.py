"""Who is calling: the operator token, or an Account Owner's (or a person's) session."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from rostersync.accounts import service
from rostersync.accounts.caller import ACCOUNT_OWNER, OPERATOR, Caller
from rostersync.accounts.cookies import CSRF_HEADER, SESSION_COOKIE
from rostersync.accounts.exceptions import (
    CsrfTokenError,
    NotSignedInError,
    NotSyncManagerError,
    OperatorApiDisabledError,
    OperatorTokenRequiredError,
)
from rostersync.accounts.tokens import csrf_token_matches
from rostersync.config import Settings
from rostersync.deps import SessionDep, SettingsDep

__all__ = [
    "Caller",
    "CallerDep",
    "ClockDep",
    "OperatorDep",
    "SyncManagerDep",
    "current_caller",
    "get_clock",
    "require_operator",
    "require_sync_manager",
]

Clock = Callable[[], datetime]
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

_bearer = HTTPBearer(
    auto_error=False,
    description="The operator token (OPERATOR_TOKEN), or a session token from POST /auth/login.",
)
_session_cookie = APIKeyCookie(
    name=SESSION_COOKIE,
    scheme_name="SessionCookie",
    auto_error=False,
    description="Set by POST /auth/login. Requests that change something also send X-CSRF-Token.",
)
BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
SessionCookie = Annotated[str | None, Depends(_session_cookie)]
CsrfHeader = Annotated[
    str | None,
    Header(
        alias=CSRF_HEADER,
        description="The csrf_token from sign-in; needed on POST/PUT/PATCH/DELETE by cookie.",
    ),
]


def utc_now() -> datetime:
    return datetime.now(UTC)


def get_clock() -> Clock:
    """The time sign-in and sessions go by; tests override this dependency."""
    return utc_now


ClockDep = Annotated[Clock, Depends(get_clock)]


async def require_operator(settings: SettingsDep, credentials: BearerCredentials) -> None:
    if settings.operator_token is None:
        raise OperatorApiDisabledError
    expected = settings.operator_token.get_secret_value().encode()
    presented = credentials.credentials.encode() if credentials else b""
    if not hmac.compare_digest(presented, expected):
        raise OperatorTokenRequiredError


OperatorDep = Annotated[None, Depends(require_operator)]


def _is_operator_token(settings: Settings, token: str) -> bool:
    if settings.operator_token is None:
        return False
    expected = settings.operator_token.get_secret_value().encode()
    return hmac.compare_digest(token.encode(), expected)


async def current_caller(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    bearer: BearerCredentials,
    cookie: SessionCookie,
    csrf_token: CsrfHeader = None,
) -> Caller:
    """The signed-in caller (401 if none); cookie callers need X-CSRF-Token to change things."""
    if bearer is not None:  # explicit credentials win over a cookie, and need no CSRF token
        if _is_operator_token(settings, bearer.credentials):
            return OPERATOR
        return await service.caller_for_token(session, bearer.credentials, now=clock())
    if not cookie:
        raise NotSignedInError
    caller = await service.caller_for_token(session, cookie, now=clock())
    if request.method not in SAFE_METHODS and not csrf_token_matches(
        settings.secret_key_value, cookie, csrf_token
    ):
        raise CsrfTokenError
    return caller


CallerDep = Annotated[Caller, Depends(current_caller)]


async def require_sync_manager(caller: CallerDep) -> Caller:
    if caller.is_operator or ACCOUNT_OWNER in caller.roles:
        return caller
    raise NotSyncManagerError


SyncManagerDep = Annotated[Caller, Depends(require_sync_manager)]
