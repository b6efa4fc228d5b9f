"""Clever's token endpoint, OIDC discovery, JWKS, id_tokens and ``/userinfo``."""

from __future__ import annotations

import json
import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from joserfc import jwt

from ._data_api import error, json_response, state_of
from ._oauth import client_ok, form_fields, parse_basic
from ._state import AuthCode, SandboxState, Session

ID_TOKEN_TTL = 3_600
CLAIMS = (
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "nonce",
    "user_id",
    "multi_role_user_id",
    "user_type",
    "district",
    "district_id",
    "email",
    "email_verified",
    "given_name",
    "family_name",
)


def issuer(state: SandboxState, request: Request) -> str:
    return state.config.issuer or str(request.base_url).rstrip("/")


def _oauth_error(status: int, code: str) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Basic realm="Clever"'} if status == 401 else None
    return JSONResponse({"error": code}, status_code=status, headers=headers)


async def _token_fields(request: Request) -> dict[str, str]:
    """The token request body, as a form (standard) or JSON (Clever accepts both)."""
    if "json" in request.headers.get("content-type", ""):
        try:
            doc = json.loads(await request.body())
        except ValueError:
            return {}
        return {k: str(v) for k, v in doc.items()} if isinstance(doc, dict) else {}
    return await form_fields(request)


def user_claims(session: Session | AuthCode) -> dict[str, Any]:
    """Identity claims Clever puts in id_tokens and /userinfo."""
    store = session.store
    rec = store.current(session.user_id)
    name = rec.get("name") or {}
    role = (rec.get("roles") or {}).get(session.role) or {}
    claims: dict[str, Any] = {
        "sub": session.user_id,
        # user_id is the pre-v3 (per-role) id; multi_role_user_id/sub are the v3 user id.
        "user_id": role.get("legacy_id", session.user_id),
        "multi_role_user_id": session.user_id,
        "user_type": session.role,
        "district": store.district_id,
        "district_id": store.district_id,
        "email_verified": False,
        "given_name": name.get("first"),
        "family_name": name.get("last"),
    }
    if rec.get("email"):
        claims["email"] = rec["email"]
    return claims


def id_token(state: SandboxState, code: AuthCode, iss: str) -> str:
    now = int(state.now())
    claims = {"iss": iss, "aud": code.client_id, "iat": now, "exp": now + ID_TOKEN_TTL}
    claims.update(user_claims(code))
    if code.nonce:
        claims["nonce"] = code.nonce
    key = state.signing_key
    return jwt.encode({"alg": "RS256", "kid": key.kid, "typ": "JWT"}, claims, key)


async def exchange(request: Request) -> Response:
    """``POST /oauth/tokens``: trade a single-use code for a user token (+ id_token)."""
    state = state_of(request)
    fields = await _token_fields(request)
    creds = parse_basic(request.headers.get("authorization"))
    client_id, secret = creds or (fields.get("client_id"), fields.get("client_secret"))
    if not client_ok(state, client_id, secret):
        return _oauth_error(401, "invalid_client")
    if fields.get("grant_type") != "authorization_code":
        return _oauth_error(400, "unsupported_grant_type")
    # pop() makes the code single-use even when the exchange then fails.
    code = state.codes.pop(fields.get("code", ""), None)
    if (
        code is None
        or code.expires_at <= state.now()
        or fields.get("redirect_uri") != code.redirect_uri
        or code.store.district_id in state.revoked
    ):
        return _oauth_error(400, "invalid_grant")
    token = secrets.token_hex(20)
    state.sessions[token] = Session(code.store, code.user_id, code.role, code.scope)
    body = {"access_token": token, "token_type": "bearer"}
    if "openid" in code.scope.split():
        body["id_token"] = id_token(state, code, issuer(state, request))
    return JSONResponse(body)


async def list_tokens(request: Request) -> Response:
    """``GET /oauth/tokens?owner_type=district``: each connected district's bearer token."""
    state = state_of(request)
    creds = parse_basic(request.headers.get("authorization"))
    if creds is None or not client_ok(state, *creds):
        return _oauth_error(401, "invalid_client")
    owner_type = request.query_params.get("owner_type", "district")
    only = request.query_params.get("district")
    data = [
        state.token_record(store)
        for _, store in state.active_tokens()
        if owner_type == "district" and only in (None, store.district_id)
    ]
    query = request.url.query
    self_uri = "/oauth/tokens" + (f"?{query}" if query else "")
    return json_response({"data": data, "links": [{"rel": "self", "uri": self_uri}]})


async def userinfo(request: Request) -> Response:
    state = state_of(request)
    auth = state.authenticate(request.headers.get("authorization"))
    if auth is None or auth.session is None:
        return error(401, "Unauthorized: /userinfo needs a user (SSO) access token")
    session = auth.session
    claims = user_claims(session)
    rec = session.store.current(session.user_id)
    role = rec["roles"].get(session.role) or {}
    claims.update(
        {
            "name": rec.get("name") or {},
            "schools": list(role.get("schools") or []),
            "authorized_by": "district",
        }
    )
    return json_response(claims)


async def discovery(request: Request) -> Response:
    state = state_of(request)
    base = issuer(state, request)
    return json_response(
        {
            "issuer": base,
            "authorization_endpoint": f"{base}/oauth/authorize",
            "token_endpoint": f"{base}/oauth/tokens",
            "userinfo_endpoint": f"{base}/userinfo",
            "jwks_uri": f"{base}/oauth/certs",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "profile", "email", "read:user_id", "read:sis"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "claims_supported": list(CLAIMS),
        }
    )


async def jwks(request: Request) -> Response:
    key = state_of(request).signing_key
    return json_response({"keys": [key.as_dict(private=False)]})


def oidc_router() -> APIRouter:
    router = APIRouter()
    router.add_api_route("/oauth/tokens", exchange, methods=["POST"])
    router.add_api_route("/oauth/tokens", list_tokens, methods=["GET"])
    router.add_api_route("/.well-known/openid-configuration", discovery, methods=["GET"])
    router.add_api_route("/oauth/certs", jwks, methods=["GET"])
    router.add_api_route("/oauth/jwks", jwks, methods=["GET"])
    router.add_api_route("/userinfo", userinfo, methods=["GET"])
    return router
