"""The sign-in flow cookie and the memory of used codes."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rostersync.accounts.dependencies import get_clock
from rostersync.districts.models import District
from rostersync.sso import repository
from rostersync.sso.flow import Flow, FlowSealer, cookie_name
from rostersync.sso.models import OAuthCodeUse
from rostersync.sso.service import forget_used_codes
from tests.sso.conftest import (
    APP,
    CleverServer,
    add_district,
    clever_people,
    location,
    login_error,
    query_of,
)
from tests.sso.test_clever import approve

START = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def frozen_at(moment: list[datetime]) -> Callable[[], Callable[[], datetime]]:
    return lambda: lambda: moment[0]


async def test_sign_in_finished_after_ten_minutes_is_expired(
    app: FastAPI, browser: httpx.AsyncClient, clever_server: CleverServer, session: AsyncSession
) -> None:
    await add_district(session, "DEMO", clever_server.district_id(0))
    moment = [START]
    app.dependency_overrides[get_clock] = frozen_at(moment)
    authorize = location(await browser.get(f"{APP}/sso/clever/login?district=DEMO"))
    student = (await clever_people(clever_server))["student"]
    callback = await approve(browser, clever_server, authorize, student)
    moment[0] = START + timedelta(minutes=10, seconds=1)

    assert login_error(await browser.get(callback)) == "login_expired"


async def test_forged_flow_cookie_is_refused(
    browser: httpx.AsyncClient, clever_server: CleverServer, session: AsyncSession
) -> None:
    await add_district(session, "DEMO", clever_server.district_id(0))
    # Sealed with another key: what someone without SECRET_KEY could make.
    forged = FlowSealer("not-the-secret-key").seal(
        Flow(provider="clever", district="DEMO", state="s" * 43), datetime.now(UTC)
    )
    browser.cookies.set(cookie_name("clever"), forged, domain="test.local", path="/sso")
    response = await browser.get(
        f"{APP}/sso/clever/callback", params={"code": "c", "state": "s" * 43}
    )

    assert login_error(response) == "invalid_state"


async def test_flow_cookie_is_encrypted_and_scoped_to_sign_in(
    browser: httpx.AsyncClient, clever_server: CleverServer, session: AsyncSession
) -> None:
    await add_district(session, "DEMO", clever_server.district_id(0))
    response = await browser.get(f"{APP}/sso/clever/login?district=DEMO")
    sent = query_of(location(response))
    cookie = response.headers["set-cookie"]

    assert cookie.startswith(f"{cookie_name('clever')}=")
    assert "HttpOnly" in cookie
    assert "Path=/sso" in cookie
    assert "samesite=lax" in cookie.lower()
    assert sent["state"] not in cookie
    assert sent["nonce"] not in cookie


async def test_used_codes_are_forgotten_after_a_day(session: AsyncSession) -> None:
    for age, code in ((timedelta(hours=25), b"old"), (timedelta(hours=1), b"recent")):
        digest = hashlib.sha256(code).digest()
        assert await repository.record_code_use(session, "clever", digest, START - age)

    assert await forget_used_codes(session, START) == 1
    assert await session.scalar(select(func.count()).select_from(OAuthCodeUse)) == 1


async def test_same_code_at_two_providers_is_two_codes(
    session: AsyncSession, clever_server: CleverServer
) -> None:
    digest = hashlib.sha256(b"shared").digest()
    assert await repository.record_code_use(session, "clever", digest, START)
    assert await repository.record_code_use(session, "google", digest, START)
    assert not await repository.record_code_use(session, "google", digest, START)


async def test_district_without_clever_cannot_start_clever_login(
    browser: httpx.AsyncClient, session: AsyncSession
) -> None:
    district: District = await add_district(session, "CSVD", None)
    assert district.source == "oneroster_csv"
    response = await browser.get(f"{APP}/sso/clever/login?district=CSVD")
    assert login_error(response) == "unknown_district"
