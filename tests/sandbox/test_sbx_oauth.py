"""OAuth sign-in, code exchange, id_tokens, user tokens and OIDC discovery."""

from __future__ import annotations

from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from .conftest import SandboxFactory
from .helpers import CLIENT, REDIRECT, Sandbox, Schemas, redirect_params

AUTHORIZE = {"response_type": "code", "client_id": CLIENT[0], "redirect_uri": REDIRECT}


async def _first(sbx: Sandbox, role: str) -> dict[str, Any]:
    body = await sbx.get_json("/v3.0/users", role=role, limit=1)
    user: dict[str, Any] = body["data"][0]["data"]
    return user


async def test_authorize_shows_a_sign_in_form(sbx: Sandbox) -> None:
    response = await sbx.client.get("/oauth/authorize", params={**AUTHORIZE, "state": "s1"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<form" in response.text
    assert "name='username'" in response.text
    assert "value='s1'" in response.text


@pytest.mark.parametrize(
    "override",
    [
        {"client_id": "unknown"},
        {"response_type": "token"},
        {"redirect_uri": "ftp://example.org/cb"},
        {"district_id": "0" * 24},
    ],
)
async def test_authorize_rejects_bad_requests_with_a_readable_page(
    sbx: Sandbox, override: dict[str, str]
) -> None:
    response = await sbx.client.get("/oauth/authorize", params={**AUTHORIZE, **override})

    assert response.status_code == 400
    assert "Bad request" in response.text


async def test_only_registered_redirect_uris_are_accepted(sbx_factory: SandboxFactory) -> None:
    sbx = await sbx_factory(redirect_uris=[REDIRECT])
    bad = await sbx.client.get(
        "/oauth/authorize", params={**AUTHORIZE, "redirect_uri": "https://evil.example/cb"}
    )
    good = await sbx.client.get("/oauth/authorize", params=AUTHORIZE)

    assert bad.status_code == 400
    assert good.status_code == 200


async def test_signing_in_redirects_with_a_code_and_the_same_state(sbx: Sandbox) -> None:
    student = await _first(sbx, "student")
    number = student["roles"]["student"]["student_number"]
    form = {**AUTHORIZE, "state": "xyz 1", "username": number, "password": number}

    response = await sbx.client.post("/oauth/authorize", data=form)

    assert response.status_code == 302
    assert response.headers["location"].startswith(REDIRECT + "?")
    params = redirect_params(response)
    assert params["state"] == "xyz 1"
    assert params["code"]


async def test_state_is_omitted_when_none_was_given(sbx: Sandbox) -> None:
    response = await sbx.client.get(
        "/oauth/authorize", params={**AUTHORIZE, "login_hint": "100000001"}
    )

    assert response.status_code == 302
    assert set(redirect_params(response)) == {"code"}


async def test_wrong_credentials_show_the_form_again_with_an_error(sbx: Sandbox) -> None:
    form = {**AUTHORIZE, "username": "100000001", "password": "guess"}
    response = await sbx.client.post("/oauth/authorize", data=form)

    assert response.status_code == 200
    assert "Incorrect username or password" in response.text


async def test_denying_redirects_with_access_denied(sbx: Sandbox) -> None:
    by_link = await sbx.client.get(
        "/oauth/authorize", params={**AUTHORIZE, "state": "s", "deny": "1"}
    )
    by_button = await sbx.client.post("/oauth/authorize", data={**AUTHORIZE, "action": "deny"})

    assert redirect_params(by_link) == {"error": "access_denied", "state": "s"}
    assert redirect_params(by_button) == {"error": "access_denied"}


@pytest.mark.parametrize(
    ("role", "username_field", "prefix"),
    [
        ("student", "student_number", ""),
        ("teacher", "teacher_number", ""),
        ("staff", "staff_id", ""),
    ],
)
async def test_each_kind_of_user_can_sign_in_with_their_number(
    sbx: Sandbox, role: str, username_field: str, prefix: str
) -> None:
    user = await _first(sbx, role)
    username = prefix + user["roles"][role][username_field]

    token = await sbx.user_token(username)

    me = await sbx.get_json("/v3.0/me", token=token)
    assert me["data"] == {
        "id": user["id"],
        "district": user["district"],
        "type": role,
        "authorized_by": "district",
    }


async def test_login_hint_accepts_a_user_id(sbx: Sandbox) -> None:
    admin = await _first(sbx, "district_admin")
    token = await sbx.user_token(admin["id"])

    me = await sbx.get_json("/v3.0/me", token=token)
    assert me["data"]["id"] == admin["id"]
    assert me["data"]["type"] == "district_admin"


async def test_a_code_works_only_once(sbx: Sandbox) -> None:
    code = await sbx.login_code("100000001")

    first = await sbx.exchange(code)
    second = await sbx.exchange(code)

    assert first.status_code == 200
    assert second.status_code == 400
    assert second.json() == {"error": "invalid_grant"}


async def test_a_code_expires_after_60_seconds(sbx: Sandbox) -> None:
    code = await sbx.login_code("100000001")
    sbx.clock.advance(61)

    response = await sbx.exchange(code)

    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant"}


async def test_a_code_bound_to_another_redirect_uri_is_invalid(sbx: Sandbox) -> None:
    code = await sbx.login_code("100000001")
    response = await sbx.exchange(code, redirect_uri="https://other.example.org/cb")

    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant"}


async def test_bad_client_credentials_are_invalid_client(sbx: Sandbox) -> None:
    code = await sbx.login_code("100000001")
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}

    response = await sbx.client.post("/oauth/tokens", data=form, auth=("sandbox-client", "nope"))

    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}


async def test_the_token_endpoint_accepts_a_json_body(sbx: Sandbox, schemas: Schemas) -> None:
    code = await sbx.login_code("100000001")
    body = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}

    response = await sbx.client.post("/oauth/tokens", json=body, auth=CLIENT)

    assert response.status_code == 200
    schemas.check("token_response", response.json())
    assert "id_token" not in response.json()


async def test_the_id_token_verifies_against_the_jwks(sbx: Sandbox, schemas: Schemas) -> None:
    teacher = await _first(sbx, "teacher")
    code = await sbx.login_code(teacher["id"], scope="openid email", nonce="n-42")
    tokens = (await sbx.exchange(code)).json()
    discovery = (await sbx.client.get("/.well-known/openid-configuration")).json()
    jwks = (await sbx.client.get(discovery["jwks_uri"])).json()

    token = jwt.decode(tokens["id_token"], KeySet.import_key_set(jwks), algorithms=["RS256"])
    claims = token.claims
    schemas.check("id_token_claims", claims)
    assert token.header["kid"] == jwks["keys"][0]["kid"]
    assert claims["iss"] == discovery["issuer"] == "http://sandbox"
    assert claims["aud"] == CLIENT[0]
    assert claims["nonce"] == "n-42"
    assert claims["sub"] == claims["multi_role_user_id"] == teacher["id"]
    assert claims["user_id"] == teacher["roles"]["teacher"]["legacy_id"]
    assert claims["district"] == teacher["district"]
    assert claims["given_name"] == teacher["name"]["first"]
    assert claims["exp"] > claims["iat"] == int(sbx.clock.now)


async def test_a_configured_issuer_is_used_in_discovery_and_tokens(
    sbx_factory: SandboxFactory,
) -> None:
    sbx = await sbx_factory(issuer="https://clever.sandbox.test/")
    discovery = (await sbx.client.get("/.well-known/openid-configuration")).json()

    assert discovery["issuer"] == "https://clever.sandbox.test"
    assert discovery["token_endpoint"] == "https://clever.sandbox.test/oauth/tokens"


async def test_discovery_document_matches_the_schema(shared_sbx: Sandbox, schemas: Schemas) -> None:
    response = await shared_sbx.client.get("/.well-known/openid-configuration")
    schemas.check("discovery", response.json())


async def test_a_user_token_reads_only_me_its_user_and_its_district(
    sbx: Sandbox, schemas: Schemas
) -> None:
    student, other = (await sbx.get_json("/v3.0/users", role="student", limit=2))["data"]
    token = await sbx.user_token(student["data"]["id"])
    district = sbx.state.district_ids[0]

    schemas.check("me", await sbx.get_json("/v3.0/me", token=token))
    for version in ("v3.0", "v3.1"):
        own = await sbx.get_json(f"/{version}/users/{student['data']['id']}", token=token)
        schemas.check("user", own["data"])
        assert (await sbx.get(f"/{version}/districts/{district}", token=token)).status_code == 200
    for path in (
        "/v3.0/users",
        f"/v3.0/users/{other['data']['id']}",
        "/v3.0/sections",
        "/v3.0/districts",
        "/v3.0/events",
    ):
        assert (await sbx.get(path, token=token)).status_code == 403, path


async def test_userinfo_returns_the_signed_in_user(sbx: Sandbox, schemas: Schemas) -> None:
    student = await _first(sbx, "student")
    token = await sbx.user_token(student["id"])

    response = await sbx.client.get("/userinfo", headers=sbx.auth(token))
    district_token = await sbx.client.get("/userinfo", headers=sbx.auth())

    assert response.status_code == 200
    schemas.check("userinfo", response.json())
    assert response.json()["sub"] == student["id"]
    assert district_token.status_code == 401


async def test_portal_login_redirects_with_a_code_and_no_state(sbx_factory: SandboxFactory) -> None:
    sbx = await sbx_factory(redirect_uris=[REDIRECT, "https://app.example.org/other"])
    student = await _first(sbx, "student")

    response = await sbx.client.get("/_sandbox/portal-login", params={"user": student["id"]})

    assert response.status_code == 302
    assert response.headers["location"].startswith(REDIRECT + "?")
    params = redirect_params(response)
    assert set(params) == {"code"}
    tokens = (await sbx.exchange(params["code"])).json()
    assert "id_token" in tokens
    me = await sbx.get_json("/v3.0/me", token=tokens["access_token"])
    assert me["data"]["id"] == student["id"]


async def test_portal_login_is_available_without_control(sbx_factory: SandboxFactory) -> None:
    sbx = await sbx_factory(control=False, redirect_uris=[REDIRECT])
    response = await sbx.client.get("/_sandbox/portal-login", params={"user": "100000001"})

    assert response.status_code == 302
    assert (await sbx.client.get("/_sandbox/state")).status_code == 404
