"""Browser endpoints: every answer is a redirect, never a JSON error or a stack trace."""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Cookie, Depends, Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from rostersync.accounts.cookies import SESSION_COOKIE, cookies_are_secure, set_session_cookies
from rostersync.accounts.dependencies import Clock, ClockDep
from rostersync.accounts.service import SESSION_LIFETIME, SignedIn
from rostersync.accounts.tokens import csrf_token_for
from rostersync.config import Settings
from rostersync.deps import SessionDep, SettingsDep
from rostersync.sso.exceptions import SignInRefusedError
from rostersync.sso.flow import Flow, clear_flow_cookie, cookie_name, set_flow_cookie
from rostersync.sso.providers import SignIns
from rostersync.sso.service import Callback

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/sso", tags=["sign-in"])

Provider = Literal["clever", "google"]


def get_sign_ins(request: Request) -> SignIns:
    sign_ins: SignIns = request.app.state.sign_ins
    return sign_ins


SignInsDep = Annotated[SignIns, Depends(get_sign_ins)]
DistrictQuery = Annotated[
    str,
    Query(
        min_length=1,
        max_length=32,
        description="The District ID (e.g. DEMO) whose people sign in.",
        examples=["DEMO"],
    ),
]
PreviousSession = Annotated[str | None, Cookie(alias=SESSION_COOKIE, include_in_schema=False)]
CleverFlowCookie = Annotated[
    str | None, Cookie(alias=cookie_name("clever"), include_in_schema=False)
]
GoogleFlowCookie = Annotated[
    str | None, Cookie(alias=cookie_name("google"), include_in_schema=False)
]
CodeQuery = Annotated[str | None, Query(description="The provider's authorization code.")]
StateQuery = Annotated[str | None, Query(description="The state sent at the start, if any.")]
ErrorQuery = Annotated[str | None, Query(description="The provider's OAuth error, if any.")]


def _redirect_responses(success: str) -> dict[int | str, dict[str, Any]]:
    return {
        302: {"description": success},
        303: {"description": "Signed in: to PLATFORM_URL (or PLATFORM_URL/login?error=<code>)."},
    }


@router.get(
    "/clever/login",
    status_code=302,
    response_class=RedirectResponse,
    summary="Log in with Clever",
    responses=_redirect_responses("To Clever's sign-in page, or PLATFORM_URL/login?error=..."),
)
async def clever_login(
    session: SessionDep,
    settings: SettingsDep,
    sign_ins: SignInsDep,
    clock: ClockDep,
    district: DistrictQuery,
) -> RedirectResponse:
    """Start Clever Instant Login for a district's people (the platform's login page)."""
    return await _start(session, settings, sign_ins, clock, "clever", district)


@router.get(
    "/clever/callback",
    status_code=303,
    response_class=RedirectResponse,
    summary="Clever's redirect back",
    responses=_redirect_responses("Not used."),
)
async def clever_callback(
    session: SessionDep,
    settings: SettingsDep,
    sign_ins: SignInsDep,
    clock: ClockDep,
    code: CodeQuery = None,
    state: StateQuery = None,
    error: ErrorQuery = None,
    flow_cookie: CleverFlowCookie = None,
    previous_session: PreviousSession = None,
) -> RedirectResponse:
    """Where Clever sends the browser: from our login page (with `state`) or from the
    Clever dashboard (without one)."""
    # A dashboard login carries no state: any sign-in this browser started is not its own.
    callback = Callback(code, state, error, flow_cookie if state else None, previous_session)
    return await _finish(session, settings, sign_ins, clock, "clever", callback)


@router.get(
    "/google/login",
    status_code=302,
    response_class=RedirectResponse,
    summary="Log in with Google",
    responses=_redirect_responses("To Google's account chooser, or PLATFORM_URL/login?error=..."),
)
async def google_login(
    session: SessionDep,
    settings: SettingsDep,
    sign_ins: SignInsDep,
    clock: ClockDep,
    district: DistrictQuery,
) -> RedirectResponse:
    """Start Google sign-in for a district's people; matched by the email it rostered."""
    return await _start(session, settings, sign_ins, clock, "google", district)


@router.get(
    "/google/callback",
    status_code=303,
    response_class=RedirectResponse,
    summary="Google's redirect back",
    responses=_redirect_responses("Not used."),
)
async def google_callback(
    session: SessionDep,
    settings: SettingsDep,
    sign_ins: SignInsDep,
    clock: ClockDep,
    code: CodeQuery = None,
    state: StateQuery = None,
    error: ErrorQuery = None,
    flow_cookie: GoogleFlowCookie = None,
    previous_session: PreviousSession = None,
) -> RedirectResponse:
    """Where Google sends the browser back; only sign-ins started here are accepted."""
    callback = Callback(code, state, error, flow_cookie, previous_session)
    return await _finish(session, settings, sign_ins, clock, "google", callback)


async def _start(
    session: AsyncSession,
    settings: Settings,
    sign_ins: SignIns,
    clock: Clock,
    provider: Provider,
    district: str,
) -> RedirectResponse:
    method = sign_ins.clever if provider == "clever" else sign_ins.google
    try:
        url, flow = await method.start(session, district)
    except SignInRefusedError as refused:
        return _refused(settings, provider, refused)
    return _to_provider(settings, sign_ins, url, flow, clock)


async def _finish(
    session: AsyncSession,
    settings: Settings,
    sign_ins: SignIns,
    clock: Clock,
    provider: Provider,
    callback: Callback,
) -> RedirectResponse:
    now = clock()
    method = sign_ins.clever if provider == "clever" else sign_ins.google
    try:
        cookie = callback.flow_cookie
        flow = sign_ins.sealer.unseal(cookie, now) if cookie else None
        signed_in = await method.finish(session, callback, flow, now)
    except SignInRefusedError as refused:
        return _refused(settings, provider, refused)
    return _signed_in(settings, provider, signed_in)


def _to_provider(
    settings: Settings, sign_ins: SignIns, url: str, flow: Flow, clock: Clock
) -> RedirectResponse:
    response = RedirectResponse(url, status_code=302)
    sealed = sign_ins.sealer.seal(flow, clock())
    set_flow_cookie(
        response, flow.provider, sealed, secure=cookies_are_secure(settings.environment)
    )
    return response


def _signed_in(settings: Settings, provider: Provider, signed_in: SignedIn) -> RedirectResponse:
    secure = cookies_are_secure(settings.environment)
    response = RedirectResponse(str(settings.platform_url), status_code=303)
    set_session_cookies(
        response,
        token=signed_in.token,
        csrf_token=csrf_token_for(settings.secret_key_value, signed_in.token),
        max_age=int(SESSION_LIFETIME.total_seconds()),
        secure=secure,
    )
    clear_flow_cookie(response, provider, secure=secure)
    logger.info("signed in", extra={"provider": provider, "district": signed_in.subject.district})
    return response


def _refused(
    settings: Settings, provider: Provider, refused: SignInRefusedError
) -> RedirectResponse:
    # One line per refusal, with the code and why; never the person, the code or a token.
    logger.info(
        "sign-in refused",
        extra={"provider": provider, "error": refused.code, "reason": refused.reason},
    )
    base = str(settings.platform_url).rstrip("/")
    response = RedirectResponse(f"{base}/login?error={refused.code}", status_code=303)
    clear_flow_cookie(response, provider, secure=cookies_are_secure(settings.environment))
    return response
