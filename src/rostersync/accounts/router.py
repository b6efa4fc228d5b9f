from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Cookie, Response, status
from fastapi.responses import JSONResponse

from rostersync.accounts import service
from rostersync.accounts.cookies import (
    SESSION_COOKIE,
    clear_session_cookies,
    cookies_are_secure,
    set_session_cookies,
)
from rostersync.accounts.dependencies import CallerDep, ClockDep
from rostersync.accounts.exceptions import LoginRefusedError
from rostersync.accounts.schemas import LoginIn, LoginOut, SignedInOut
from rostersync.accounts.tokens import csrf_token_for
from rostersync.deps import SessionDep, SettingsDep
from rostersync.errors import app_error_response, error_responses

router = APIRouter(prefix="/auth", tags=["auth"])

# The browser's current session cookie, if any: a new sign-in replaces that session.
PreviousSession = Annotated[str | None, Cookie(alias=SESSION_COOKIE, include_in_schema=False)]


def _login_responses() -> dict[int | str, dict[str, Any]]:
    responses = error_responses(401, 422, 429)
    responses[401]["content"]["application/json"]["example"] = {
        "detail": "The District ID, username or password is not right."
    }
    responses[429]["content"]["application/json"]["example"] = {
        "detail": "Too many failed sign-in attempts for this account; try again in 15 minutes."
    }
    responses[429]["headers"] = {
        "Retry-After": {
            "description": "Seconds until the lock ends.",
            "schema": {"type": "integer"},
        }
    }
    return responses


@router.post(
    "/login",
    response_model=LoginOut,
    summary="Sign in as the Account Owner",
    responses=_login_responses(),
)
async def login(
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    response: Response,
    data: LoginIn,
    previous_session: PreviousSession = None,
) -> LoginOut | JSONResponse:
    """Sign in as a district's Account Owner.

    The session comes back twice: as the `rostersync_session` cookie (with a readable
    `rostersync_csrf` cookie) for browsers, and as `token` for API clients. Ten wrong
    passwords within 15 minutes lock the account for 15 minutes (429 with Retry-After).
    """
    try:
        signed_in = await service.sign_in(
            session,
            district_code=data.district,
            username=data.username,
            password=data.password.get_secret_value(),
            now=clock(),
            replacing_token=previous_session,
        )
    except LoginRefusedError as refused:
        return app_error_response(refused)  # returned, not raised: the failure count commits
    csrf_token = csrf_token_for(settings.secret_key_value, signed_in.token)
    set_session_cookies(
        response,
        token=signed_in.token,
        csrf_token=csrf_token,
        max_age=int(service.SESSION_LIFETIME.total_seconds()),
        secure=cookies_are_secure(settings.environment),
    )
    assert signed_in.subject.expires_at is not None
    return LoginOut(
        token=signed_in.token,
        expires_at=signed_in.subject.expires_at,
        csrf_token=csrf_token,
        subject=signed_in.subject,
    )


@router.get(
    "/session",
    response_model=SignedInOut,
    summary="Who is signed in",
    responses=error_responses(401),
)
async def get_session(session: SessionDep, caller: CallerDep) -> SignedInOut:
    """Who is signed in: by the session cookie, a session token or the operator token."""
    return await service.describe(session, caller)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(401, 403))
async def logout(session: SessionDep, settings: SettingsDep, caller: CallerDep) -> Response:
    """End this session and clear its cookies (by cookie, X-CSRF-Token is required)."""
    await service.sign_out(session, caller)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_session_cookies(response, secure=cookies_are_secure(settings.environment))
    return response
