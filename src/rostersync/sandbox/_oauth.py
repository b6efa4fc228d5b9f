"""Clever's OAuth authorize step: the sign-in page, approvals, denials, portal logins."""

from __future__ import annotations

import base64
import re
import secrets
from urllib.parse import parse_qs, unquote_plus, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ._data_api import state_of
from ._layout import USER_KINDS
from ._login_page import CARRIED, error_page, login_page
from ._state import AuthCode, SandboxState
from ._store import DistrictStore, Record

_OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")


def parse_basic(header: str | None) -> tuple[str, str] | None:
    """(client_id, client_secret) from an HTTP Basic header."""
    scheme, _, value = (header or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except ValueError:
        return None
    client_id, sep, secret = decoded.partition(":")
    return (unquote_plus(client_id), unquote_plus(secret)) if sep else None


def client_ok(state: SandboxState, client_id: str | None, secret: str | None) -> bool:
    config = state.config
    return secrets.compare_digest(client_id or "", config.client_id) and secrets.compare_digest(
        secret or "", config.client_secret
    )


async def form_fields(request: Request) -> dict[str, str]:
    """Fields of a urlencoded body (parsed here to avoid a multipart dependency)."""
    raw = (await request.body()).decode("utf-8", "replace")
    return {key: values[0] for key, values in parse_qs(raw, keep_blank_values=True).items()}


def primary_role(rec: Record) -> str:
    roles = rec.get("roles") or {}
    return next((role for role in USER_KINDS if roles.get(role)), "student")


def find_user(
    state: SandboxState, username: str, district_id: str | None
) -> tuple[DistrictStore, str, str] | None:
    """(district, user id, login role) for a username (number/staff id) or a user id."""
    if district_id and district_id not in state.district_ids:
        return None
    stores = [state.store(district_id)] if district_id else state.stores
    for store in stores:
        if _OBJECT_ID.match(username):
            if store.is_live(username) and store.kind_of(username) in USER_KINDS:
                return store, username, primary_role(store.current(username))
            continue
        found = store.user_by_username(username)
        if found is not None:
            return store, found[0], found[1]
    return None


def redirect_problem(state: SandboxState, redirect_uri: str | None) -> str | None:
    allowed = state.config.redirect_uris
    if not redirect_uri:
        return None if allowed else "redirect_uri is required"
    if allowed and redirect_uri not in allowed:
        return f"redirect_uri {redirect_uri} is not registered for this application"
    if not redirect_uri.startswith(("http://", "https://")):
        return "redirect_uri must be an http(s) URI"
    return None


def _problem(state: SandboxState, params: dict[str, str]) -> str | None:
    if params.get("response_type") != "code":
        return "response_type must be 'code'"
    if params.get("client_id") != state.config.client_id:
        return "Unknown client_id"
    district = params.get("district_id")
    if district and district not in state.district_ids:
        return f"Unknown district_id {district}"
    return redirect_problem(state, params.get("redirect_uri"))


def redirect_with(uri: str, params: dict[str, str]) -> RedirectResponse:
    sep = "&" if "?" in uri else "?"
    return RedirectResponse(uri + sep + urlencode(params), status_code=302)


def issue_code(
    state: SandboxState, params: dict[str, str], found: tuple[DistrictStore, str, str]
) -> RedirectResponse:
    """Approve: mint a single-use code and send the browser back to the app."""
    store, user_id, role = found
    redirect_uri = params.get("redirect_uri") or state.config.redirect_uris[0]
    now = state.now()
    # Forget codes nobody exchanged, so abandoned sign-ins cannot pile up.
    for stale in [c for c, grant in state.codes.items() if grant.expires_at <= now]:
        del state.codes[stale]
    code = secrets.token_urlsafe(24)
    state.codes[code] = AuthCode(
        client_id=state.config.client_id,
        redirect_uri=redirect_uri,
        store=store,
        user_id=user_id,
        role=role,
        nonce=params.get("nonce") or None,
        scope=params.get("scope", ""),
        expires_at=now + state.config.code_ttl_seconds,
    )
    back = {"code": code}
    if params.get("state"):
        back["state"] = params["state"]
    return redirect_with(redirect_uri, back)


def _deny(state: SandboxState, params: dict[str, str]) -> RedirectResponse:
    back = {"error": "access_denied"}
    if params.get("state"):
        back["state"] = params["state"]
    return redirect_with(params.get("redirect_uri") or state.config.redirect_uris[0], back)


def _examples(state: SandboxState, district_id: str | None) -> list[tuple[str, str]]:
    known = district_id if district_id in state.district_ids else None
    layout = state.store(known).layout
    return [
        ("Student", str(layout.number(0))),
        ("Teacher", f"T{layout.number(0)}"),
        ("Staff", f"A{layout.number(0)}"),
    ]


def _form(state: SandboxState, params: dict[str, str], error: str | None) -> HTMLResponse:
    page = login_page(params, error, _examples(state, params.get("district_id")))
    return HTMLResponse(page)


async def authorize(request: Request) -> Response:
    state = state_of(request)
    params = dict(request.query_params)
    problem = _problem(state, params)
    if problem:
        return HTMLResponse(error_page(problem), status_code=400)
    if params.get("deny"):
        return _deny(state, params)
    hint = params.get("login_hint")
    if hint:
        found = find_user(state, hint, params.get("district_id"))
        if found is not None:
            return issue_code(state, params, found)
        return _form(state, params, f"No user matches login_hint {hint}")
    return _form(state, params, None)


async def authorize_submit(request: Request) -> Response:
    state = state_of(request)
    form = await form_fields(request)
    params = {name: form[name] for name in CARRIED if name in form}
    problem = _problem(state, params)
    if problem:
        return HTMLResponse(error_page(problem), status_code=400)
    if form.get("action") == "deny":
        return _deny(state, params)
    username = form.get("username", "").strip()
    found = find_user(state, username, params.get("district_id")) if username else None
    if found is None or form.get("password") != username:
        return _form(state, params, "Incorrect username or password")
    return issue_code(state, params, found)


async def portal_login(request: Request) -> Response:
    """A login started from the Clever portal: a code and no state, like Instant Login."""
    state = state_of(request)
    params = dict(request.query_params)
    user = params.get("user", "")
    found = find_user(state, user, params.get("district_id")) if user else None
    if found is None:
        return HTMLResponse(error_page(f"Unknown user {user!r}"), status_code=400)
    problem = redirect_problem(state, params.get("redirect_uri"))
    if problem:
        return HTMLResponse(error_page(problem), status_code=400)
    code_params = {
        "redirect_uri": params.get("redirect_uri", ""),
        "scope": params.get("scope", "openid"),
    }
    return issue_code(state, code_params, found)


def authorize_router() -> APIRouter:
    router = APIRouter()
    router.add_api_route("/oauth/authorize", authorize, methods=["GET"])
    router.add_api_route("/oauth/authorize", authorize_submit, methods=["POST"])
    router.add_api_route("/_sandbox/portal-login", portal_login, methods=["GET"])
    return router
