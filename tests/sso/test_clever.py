"""Clever Instant Login, whole browser flows against the offline Clever."""

from __future__ import annotations

import json
import logging

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rostersync.accounts.cookies import CSRF_COOKIE, CSRF_HEADER
from rostersync.accounts.models import Session
from rostersync.districts.models import District
from tests.sso.conftest import (
    APP,
    CLEVER_CALLBACK,
    PLATFORM,
    CleverServer,
    add_district,
    add_person,
    clever_people,
    location,
    login_error,
    query_of,
    who,
)

CARRIED = ("response_type", "client_id", "redirect_uri", "state", "nonce", "scope", "district_id")


@pytest.fixture
async def people(clever_server: CleverServer) -> dict[str, str]:
    return await clever_people(clever_server)


@pytest.fixture
async def demo(session: AsyncSession, clever_server: CleverServer) -> District:
    return await add_district(session, "DEMO", clever_server.district_id(0))


async def start(browser: httpx.AsyncClient, district: str = "DEMO") -> str:
    """The Clever authorize URL our login page sends the browser to."""
    return location(await browser.get(f"{APP}/sso/clever/login", params={"district": district}))


async def approve(
    browser: httpx.AsyncClient,
    server: CleverServer,
    authorize_url: str,
    username: str,
    **tamper: str | None,
) -> str:
    """Sign in on Clever's page (password = username in the sandbox); the callback URL."""
    params = query_of(authorize_url)
    form = {name: params[name] for name in CARRIED if name in params}
    for name, value in tamper.items():
        if value is None:
            form.pop(name, None)
        else:
            form[name] = value
    form |= {"username": username, "password": username}
    return location(await browser.post(f"{server.url}/oauth/authorize", data=form))


async def sign_in(
    browser: httpx.AsyncClient, server: CleverServer, clever_id: str, district: str = "DEMO"
) -> httpx.Response:
    callback = await approve(browser, server, await start(browser, district), clever_id)
    return await browser.get(callback)


async def dashboard_callback(browser: httpx.AsyncClient, server: CleverServer, user: str) -> str:
    """A login from the Clever dashboard: Clever sends a code and no state."""
    response = await browser.get(
        f"{server.url}/_sandbox/portal-login",
        params={"user": user, "redirect_uri": CLEVER_CALLBACK},
    )
    return location(response)


async def test_login_page_sign_in_lands_on_the_platform_signed_in(
    browser: httpx.AsyncClient,
    clever_server: CleverServer,
    session: AsyncSession,
    demo: District,
    people: dict[str, str],
) -> None:
    await add_person(session, demo, people["student"], ["student"])

    authorize = await start(browser)
    sent = query_of(authorize)
    assert authorize.startswith(f"{clever_server.url}/oauth/authorize?")
    assert sent["client_id"] == "sandbox-client"
    assert sent["redirect_uri"] == CLEVER_CALLBACK
    assert sent["district_id"] == clever_server.district_id(0)
    assert sent["scope"] == "openid"
    assert len(sent["state"]) >= 32
    assert len(sent["nonce"]) >= 32
    response = await browser.get(
        await approve(browser, clever_server, authorize, people["student"])
    )

    assert response.status_code == 303
    assert location(response) == f"{PLATFORM}/"
    shown = (await who(browser)).json()
    assert shown["kind"] == "user"
    assert shown["district"] == "DEMO"
    assert shown["roles"] == ["student"]
    assert shown["name"] == "Ada Lovelace"


@pytest.mark.parametrize("role", ["teacher", "staff", "district_admin"])
async def test_every_rostered_role_signs_in_without_sync_rights(
    browser: httpx.AsyncClient,
    clever_server: CleverServer,
    session: AsyncSession,
    demo: District,
    people: dict[str, str],
    role: str,
) -> None:
    await add_person(session, demo, people[role], [role])

    assert login_error(await sign_in(browser, clever_server, people[role])) is None
    assert (await who(browser)).json()["roles"] == [role]
    headers = {CSRF_HEADER: browser.cookies[CSRF_COOKIE]}
    refused = await browser.post(f"{APP}/syncs", json={}, headers=headers)
    assert refused.status_code == 403


async def test_dashboard_login_without_state_is_accepted(
    browser: httpx.AsyncClient,
    clever_server: CleverServer,
    session: AsyncSession,
    demo: District,
    people: dict[str, str],
) -> None:
    await add_person(session, demo, people["teacher"], ["teacher"])
    callback = await dashboard_callback(browser, clever_server, people["teacher"])
    assert "state" not in query_of(callback)

    assert login_error(await browser.get(callback)) is None
    assert (await who(browser)).json()["roles"] == ["teacher"]


async def test_replayed_code_is_refused_before_clever_is_asked(
    browser: httpx.AsyncClient,
    clever_server: CleverServer,
    session: AsyncSession,
    demo: District,
    people: dict[str, str],
) -> None:
    await add_person(session, demo, people["student"], ["student"])
    callback = await dashboard_callback(browser, clever_server, people["student"])
    assert login_error(await browser.get(callback)) is None

    # Clever itself would say invalid_grant (code_rejected); our own record answers first.
    assert login_error(await browser.get(callback)) == "code_replayed"


async def test_state_that_does_not_match_the_cookie_is_refused(
    browser: httpx.AsyncClient,
    clever_server: CleverServer,
    session: AsyncSession,
    demo: District,
    people: dict[str, str],
) -> None:
    await add_person(session, demo, people["student"], ["student"])
    authorize = await start(browser)
    callback = await approve(browser, clever_server, authorize, people["student"], state="forged")

    assert login_error(await browser.get(callback)) == "invalid_state"
    assert (await who(browser)).status_code == 401


async def test_state_from_another_browser_is_refused(
    app: FastAPI,
    browser: httpx.AsyncClient,
    clever_server: CleverServer,
    session: AsyncSession,
    demo: District,
    people: dict[str, str],
) -> None:
    await add_person(session, demo, people["student"], ["student"])
    callback = await approve(browser, clever_server, await start(browser), people["student"])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as victim:
        assert login_error(await victim.get(callback)) == "invalid_state"


async def test_code_older_than_a_minute_is_refused(
    browser: httpx.AsyncClient,
    clever_server: CleverServer,
    session: AsyncSession,
    demo: District,
    people: dict[str, str],
) -> None:
    await add_person(session, demo, people["student"], ["student"])
    callback = await approve(browser, clever_server, await start(browser), people["student"])
    clever_server.clock.offset += 61
    try:
        assert login_error(await browser.get(callback)) == "code_rejected"
    finally:
        clever_server.clock.offset -= 61


async def test_denied_consent_lands_on_the_login_page(
    browser: httpx.AsyncClient, clever_server: CleverServer, demo: District
) -> None:
    params = query_of(await start(browser))
    form = {name: params[name] for name in CARRIED if name in params} | {"action": "deny"}
    callback = location(await browser.post(f"{clever_server.url}/oauth/authorize", data=form))

    assert login_error(await browser.get(callback)) == "access_denied"


async def test_person_of_a_district_not_connected_here_is_refused(
    browser: httpx.AsyncClient, clever_server: CleverServer, demo: District
) -> None:
    other = await clever_people(clever_server, 1)
    callback = await dashboard_callback(browser, clever_server, other["student"])

    assert login_error(await browser.get(callback)) == "district_not_connected"


async def test_person_of_another_district_cannot_finish_this_districts_login(
    browser: httpx.AsyncClient,
    clever_server: CleverServer,
    session: AsyncSession,
    demo: District,
) -> None:
    other_district = await add_district(session, "OTHER", clever_server.district_id(1))
    other = await clever_people(clever_server, 1)
    await add_person(session, other_district, other["student"], ["student"])
    # The browser drops Clever's district hint and signs in as someone of OTHER.
    authorize = await start(browser, "DEMO")
    callback = await approve(browser, clever_server, authorize, other["student"], district_id=None)

    assert login_error(await browser.get(callback)) == "wrong_district"
    assert (await who(browser)).status_code == 401


@pytest.mark.parametrize(
    ("active", "rostered", "error"),
    [(False, True, "deactivated"), (True, False, "not_rostered")],
)
async def test_person_not_active_in_the_roster_is_refused(
    browser: httpx.AsyncClient,
    clever_server: CleverServer,
    session: AsyncSession,
    demo: District,
    people: dict[str, str],
    active: bool,
    rostered: bool,
    error: str,
) -> None:
    if rostered:
        await add_person(session, demo, people["student"], ["student"], active=active)
    assert login_error(await sign_in(browser, clever_server, people["student"])) == error


async def test_paused_district_signs_nobody_in(
    browser: httpx.AsyncClient,
    clever_server: CleverServer,
    session: AsyncSession,
    demo: District,
    people: dict[str, str],
) -> None:
    await add_person(session, demo, people["student"], ["student"])
    demo.status = "paused"
    await session.flush()

    assert login_error(await browser.get(f"{APP}/sso/clever/login?district=DEMO")) == (
        "district_paused"
    )
    callback = await dashboard_callback(browser, clever_server, people["student"])
    assert login_error(await browser.get(callback)) == "district_paused"


async def test_unknown_district_id_is_refused(browser: httpx.AsyncClient) -> None:
    response = await browser.get(f"{APP}/sso/clever/login", params={"district": "NOPE"})
    assert login_error(response) == "unknown_district"


async def test_clever_outage_ends_on_the_login_page(
    browser: httpx.AsyncClient,
    clever_server: CleverServer,
    session: AsyncSession,
    demo: District,
    people: dict[str, str],
) -> None:
    await add_person(session, demo, people["student"], ["student"])
    async with httpx.AsyncClient(base_url=clever_server.url) as control:
        added = await control.post(
            "/_sandbox/faults", json={"path_prefix": "/v3.0/me", "kind": "error", "status": 503}
        )
        assert added.status_code < 300, added.text
        try:
            response = await sign_in(browser, clever_server, people["student"])
        finally:
            await control.delete("/_sandbox/faults")
    assert login_error(response) == "provider_unavailable"


async def test_tampered_id_token_is_refused(
    tampering_app: FastAPI,
    browser: httpx.AsyncClient,
    clever_server: CleverServer,
    session: AsyncSession,
    demo: District,
    people: dict[str, str],
) -> None:
    await add_person(session, demo, people["student"], ["student"])
    assert login_error(await sign_in(browser, clever_server, people["student"])) == (
        "invalid_id_token"
    )


async def test_nonce_other_than_the_browsers_is_refused(
    browser: httpx.AsyncClient,
    clever_server: CleverServer,
    session: AsyncSession,
    demo: District,
    people: dict[str, str],
) -> None:
    await add_person(session, demo, people["student"], ["student"])
    authorize = await start(browser)
    callback = await approve(browser, clever_server, authorize, people["student"], nonce="x" * 43)

    assert login_error(await browser.get(callback)) == "invalid_id_token"


async def test_logout_ends_the_session(
    browser: httpx.AsyncClient,
    clever_server: CleverServer,
    session: AsyncSession,
    demo: District,
    people: dict[str, str],
) -> None:
    await add_person(session, demo, people["student"], ["student"])
    await sign_in(browser, clever_server, people["student"])
    headers = {CSRF_HEADER: browser.cookies[CSRF_COOKIE]}

    assert (await browser.post(f"{APP}/auth/logout", headers=headers)).status_code == 204
    assert (await who(browser)).status_code == 401
    assert await session.scalar(select(func.count()).select_from(Session)) == 0


async def test_new_sign_in_replaces_the_browsers_session(
    browser: httpx.AsyncClient,
    clever_server: CleverServer,
    session: AsyncSession,
    demo: District,
    people: dict[str, str],
) -> None:
    await add_person(session, demo, people["student"], ["student"])
    await add_person(session, demo, people["teacher"], ["teacher"])
    await sign_in(browser, clever_server, people["student"])
    await sign_in(browser, clever_server, people["teacher"])

    assert (await who(browser)).json()["roles"] == ["teacher"]
    assert await session.scalar(select(func.count()).select_from(Session)) == 1


async def test_refusal_logs_one_line_without_the_person_or_the_code(
    browser: httpx.AsyncClient,
    clever_server: CleverServer,
    session: AsyncSession,
    demo: District,
    people: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    await add_person(session, demo, people["student"], ["student"], active=False)
    callback = await dashboard_callback(browser, clever_server, people["student"])
    with caplog.at_level(logging.INFO, logger="rostersync.sso"):
        assert login_error(await browser.get(callback)) == "deactivated"

    refusals = [r for r in caplog.records if r.getMessage() == "sign-in refused"]
    assert len(refusals) == 1
    logged = json.dumps(vars(refusals[0]), default=str)
    assert people["student"] not in logged
    assert query_of(callback)["code"] not in logged
