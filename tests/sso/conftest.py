"""Browser-style sign-in: the app on an ASGI transport, the offline Clever and an independent
OpenID Connect provider (oidc-provider-mock, standing in for Google) over real HTTP.

The test browser is one httpx client that keeps cookies for every host and follows each
redirect by hand, so a test can stop at any step and tamper with it.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from pydantic import AnyHttpUrl, SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from rostersync.config import CleverSettings, GoogleSettings, Settings
from rostersync.districts.models import District
from rostersync.roster.models import User
from rostersync.sandbox import SandboxConfig, create_sandbox_app, sandbox_state
from rostersync.sso.providers import build_sign_ins
from tests.conftest import make_settings, served_in_a_thread

APP = "http://test"
PLATFORM = "http://platform.test"
CLEVER_CALLBACK = f"{APP}/sso/clever/callback"
GOOGLE_CALLBACK = f"{APP}/sso/google/callback"
GOOGLE_CLIENT_ID = "rostersync-google-test"


class SandboxClock:
    """Real time that a test can move forward (to expire Clever's one-minute codes)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@dataclass
class CleverServer:
    url: str
    app: FastAPI
    clock: SandboxClock

    def district_id(self, index: int = 0) -> str:
        return sandbox_state(self.app).district_ids[index]

    def token(self, index: int = 0) -> str:
        return sandbox_state(self.app).district_token(self.district_id(index))


@pytest.fixture(scope="module")
def clever_server() -> Iterator[CleverServer]:
    clock = SandboxClock()
    config = SandboxConfig(
        students=40, districts=2, control=True, redirect_uris=(CLEVER_CALLBACK,), clock=clock
    )
    app = create_sandbox_app(config)
    with served_in_a_thread(app) as url:
        yield CleverServer(url, app, clock)


@pytest.fixture(scope="module")
def google_server() -> Iterator[str]:
    # Imported here: it imports Authlib modules that warn, and pytest's filters apply only
    # once tests run.
    from oidc_provider_mock import run_server_in_thread

    with run_server_in_thread(require_nonce=True) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
def settings(database_url: str, clever_server: CleverServer, google_server: str) -> Settings:
    return make_settings(
        database_url,
        platform_url=AnyHttpUrl(PLATFORM),
        clever=CleverSettings(
            api_base_url=AnyHttpUrl(clever_server.url),
            oauth_base_url=AnyHttpUrl(clever_server.url),
            client_id="sandbox-client",
            client_secret=SecretStr("sandbox-secret"),
            redirect_uri=AnyHttpUrl(CLEVER_CALLBACK),
        ),
        google=GoogleSettings(
            client_id=GOOGLE_CLIENT_ID,
            client_secret=SecretStr("google-test-secret"),
            discovery_url=AnyHttpUrl(f"{google_server}/.well-known/openid-configuration"),
            redirect_uri=AnyHttpUrl(GOOGLE_CALLBACK),
        ),
    )


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Cookies for every host; the app answers `http://test`, the rest is real HTTP."""
    async with httpx.AsyncClient(
        mounts={APP: httpx.ASGITransport(app=app)}, follow_redirects=False, timeout=30
    ) as client:
        yield client


async def clever_people(server: CleverServer, index: int = 0) -> dict[str, str]:
    """One Clever user id per role in the sandbox district (`student`, `teacher`, ...)."""
    found: dict[str, str] = {}
    async with httpx.AsyncClient() as http:
        response = await http.get(
            f"{server.url}/v3.0/users",
            params={"limit": "500"},
            headers={"Authorization": f"Bearer {server.token(index)}"},
        )
    for item in response.json()["data"]:
        for role in item["data"]["roles"]:
            found.setdefault(role, item["data"]["id"])
    return found


async def add_district(
    session: AsyncSession, code: str, clever_district_id: str | None, **values: Any
) -> District:
    district = District(
        code=code,
        name=f"{code} Unified",
        source="clever" if clever_district_id else "oneroster_csv",
        clever_district_id=clever_district_id,
        **values,
    )
    session.add(district)
    await session.flush()
    return district


async def add_person(
    session: AsyncSession,
    district: District,
    clever_id: str,
    roles: list[str],
    *,
    email: str | None = None,
    active: bool = True,
) -> User:
    user = User(
        district_id=district.id,
        clever_id=clever_id,
        roles=roles,
        name_first="Ada",
        name_middle=None,
        name_last="Lovelace",
        email=email,
        active=active,
        deactivated_at=None if active else datetime.now(UTC),
    )
    session.add(user)
    await session.flush()
    return user


async def who(browser: httpx.AsyncClient) -> httpx.Response:
    """What the app says about the browser's session (GET /auth/session)."""
    return await browser.get(f"{APP}/auth/session")


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def location(response: httpx.Response) -> str:
    assert response.status_code in (302, 303, 307), (response.status_code, response.text)
    return response.headers["location"]


def login_error(response: httpx.Response) -> str | None:
    """The error code of a redirect to the platform's login page; None for a sign-in."""
    target = location(response)
    assert target.startswith(PLATFORM), target
    return query_of(target).get("error")


class IdTokenTampering(httpx.AsyncBaseTransport):
    """Real HTTP, except that token responses get an id_token with a rewritten claim and
    the original signature."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        if request.method != "POST" or not request.url.path.endswith(("/token", "/tokens")):
            return response
        body = json.loads(await response.aread())
        if "id_token" in body:
            header, payload, signature = body["id_token"].split(".")
            body["id_token"] = ".".join((header, _rewritten(payload), signature))
        return httpx.Response(response.status_code, json=body)

    async def aclose(self) -> None:
        await self._inner.aclose()


def _rewritten(payload: str) -> str:
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "000000000000000000000000"
    return base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()


@pytest.fixture
async def tampering_app(app: FastAPI) -> AsyncIterator[FastAPI]:
    """The app, its sign-in talking to the providers through IdTokenTampering."""
    async with httpx.AsyncClient(transport=IdTokenTampering()) as http:
        original = app.state.sign_ins
        app.state.sign_ins = build_sign_ins(http, app.state.settings)
        yield app
        app.state.sign_ins = original
