"""Sign in with Google, whole browser flows against an independent OpenID Connect provider."""

from __future__ import annotations

import secrets
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rostersync.districts.models import District
from rostersync.sso.models import GoogleLink
from rostersync.sso.providers import build_sign_ins
from tests.sso.conftest import (
    APP,
    GOOGLE_CALLBACK,
    GOOGLE_CLIENT_ID,
    PLATFORM,
    add_district,
    add_person,
    location,
    login_error,
    query_of,
    who,
)


@pytest.fixture
async def district(session: AsyncSession) -> District:
    """A OneRoster district: Google is how its people sign in."""
    return await add_district(session, "CSVD", None)


async def google_account(google_server: str, **claims: Any) -> str:
    """A Google account on the provider; its `sub`."""
    sub = f"google-{secrets.token_hex(6)}"
    values = {"email_verified": True} | claims
    async with httpx.AsyncClient() as http:
        response = await http.put(f"{google_server}/users/{sub}", json=values)
    assert response.status_code == 204, response.text
    return sub


async def start(browser: httpx.AsyncClient, district: str = "CSVD") -> str:
    return location(await browser.get(f"{APP}/sso/google/login", params={"district": district}))


async def choose(browser: httpx.AsyncClient, authorize_url: str, sub: str, **tamper: str) -> str:
    """Pick the account on the provider's page; the callback URL it sends the browser to."""
    base, _, _query = authorize_url.partition("?")
    params = query_of(authorize_url) | tamper
    response = await browser.post(base, params=params, data={"sub": sub})
    return location(response)


async def sign_in(browser: httpx.AsyncClient, sub: str, district: str = "CSVD") -> httpx.Response:
    return await browser.get(await choose(browser, await start(browser, district), sub))


async def test_verified_email_signs_in_the_rostered_person_and_links_the_account(
    browser: httpx.AsyncClient, google_server: str, session: AsyncSession, district: District
) -> None:
    user = await add_person(session, district, "u-1", ["teacher"], email="ada@schools.example")
    sub = await google_account(google_server, email="Ada@Schools.Example")

    authorize = await start(browser)
    sent = query_of(authorize)
    assert sent["client_id"] == GOOGLE_CLIENT_ID
    assert sent["redirect_uri"] == GOOGLE_CALLBACK
    assert sent["scope"] == "openid email profile"
    assert sent["code_challenge_method"] == "S256"
    assert len(sent["code_challenge"]) == 43
    assert len(sent["state"]) >= 32
    assert len(sent["nonce"]) >= 32
    response = await browser.get(await choose(browser, authorize, sub))

    assert response.status_code == 303
    assert location(response) == f"{PLATFORM}/"
    shown = (await who(browser)).json()
    assert (shown["kind"], shown["district"], shown["roles"]) == ("user", "CSVD", ["teacher"])
    link = await session.scalar(select(GoogleLink).where(GoogleLink.google_sub == sub))
    assert link is not None
    assert link.user_id == user.id


async def test_linked_account_keeps_signing_in_after_the_roster_email_changes(
    browser: httpx.AsyncClient, google_server: str, session: AsyncSession, district: District
) -> None:
    user = await add_person(session, district, "u-1", ["student"], email="kid@schools.example")
    sub = await google_account(google_server, email="kid@schools.example")
    assert login_error(await sign_in(browser, sub)) is None
    user.email = "renamed@schools.example"
    await session.flush()

    assert login_error(await sign_in(browser, sub)) is None
    assert (await who(browser)).json()["roles"] == ["student"]


async def test_unverified_email_signs_no_one_in(
    browser: httpx.AsyncClient, google_server: str, session: AsyncSession, district: District
) -> None:
    await add_person(session, district, "u-1", ["student"], email="kid@schools.example")
    sub = await google_account(google_server, email="kid@schools.example", email_verified=False)

    assert login_error(await sign_in(browser, sub)) == "email_not_verified"
    assert await session.scalar(select(GoogleLink)) is None


@pytest.mark.parametrize("hosted_domain", ["elsewhere.example", None])
async def test_account_outside_the_districts_domains_is_refused(
    browser: httpx.AsyncClient,
    google_server: str,
    session: AsyncSession,
    district: District,
    hosted_domain: str | None,
) -> None:
    district.allowed_google_domains = ["schools.example"]
    await add_person(session, district, "u-1", ["student"], email="kid@schools.example")
    claims = {"email": "kid@schools.example"}
    if hosted_domain:
        claims["hd"] = hosted_domain
    sub = await google_account(google_server, **claims)

    assert login_error(await sign_in(browser, sub)) == "wrong_domain"


async def test_account_in_an_allowed_domain_signs_in(
    browser: httpx.AsyncClient, google_server: str, session: AsyncSession, district: District
) -> None:
    district.allowed_google_domains = ["schools.example", "staff.example"]
    await add_person(session, district, "u-1", ["staff"], email="head@staff.example")
    sub = await google_account(google_server, email="head@staff.example", hd="Staff.Example")

    assert login_error(await sign_in(browser, sub)) is None


@pytest.mark.parametrize(
    ("emails", "error"),
    [
        ([], "not_rostered"),
        (["kid@schools.example", "KID@schools.example"], "email_ambiguous"),
    ],
)
async def test_email_matching_no_one_or_several_signs_no_one_in(
    browser: httpx.AsyncClient,
    google_server: str,
    session: AsyncSession,
    district: District,
    emails: list[str],
    error: str,
) -> None:
    for number, email in enumerate(emails):
        await add_person(session, district, f"u-{number}", ["student"], email=email.lower())
    sub = await google_account(google_server, email="kid@schools.example")

    assert login_error(await sign_in(browser, sub)) == error


async def test_person_of_another_district_with_the_email_is_not_signed_in(
    browser: httpx.AsyncClient, google_server: str, session: AsyncSession, district: District
) -> None:
    other = await add_district(session, "ELSE", None)
    await add_person(session, other, "u-1", ["student"], email="kid@schools.example")
    sub = await google_account(google_server, email="kid@schools.example")

    assert login_error(await sign_in(browser, sub, "CSVD")) == "not_rostered"


async def test_deactivated_person_is_refused_by_email_and_by_link(
    browser: httpx.AsyncClient, google_server: str, session: AsyncSession, district: District
) -> None:
    user = await add_person(session, district, "u-1", ["student"], email="kid@schools.example")
    sub = await google_account(google_server, email="kid@schools.example")
    assert login_error(await sign_in(browser, sub)) is None
    user.active, user.deactivated_at = False, user.created_at
    await session.flush()

    assert login_error(await sign_in(browser, sub)) == "deactivated"
    fresh = await google_account(google_server, email="kid@schools.example")
    assert login_error(await sign_in(browser, fresh)) == "deactivated"


async def test_paused_district_refuses_google_sign_in(
    browser: httpx.AsyncClient, session: AsyncSession, district: District
) -> None:
    district.status = "paused"
    await session.flush()
    assert login_error(await browser.get(f"{APP}/sso/google/login?district=CSVD")) == (
        "district_paused"
    )


async def test_callback_without_a_flow_cookie_is_refused(
    app: FastAPI,
    browser: httpx.AsyncClient,
    google_server: str,
    session: AsyncSession,
    district: District,
) -> None:
    await add_person(session, district, "u-1", ["student"], email="kid@schools.example")
    sub = await google_account(google_server, email="kid@schools.example")
    callback = await choose(browser, await start(browser), sub)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as stranger:
        assert login_error(await stranger.get(callback)) == "invalid_state"


async def test_replayed_code_is_refused(
    browser: httpx.AsyncClient, google_server: str, session: AsyncSession, district: District
) -> None:
    await add_person(session, district, "u-1", ["student"], email="kid@schools.example")
    sub = await google_account(google_server, email="kid@schools.example")
    first = await choose(browser, await start(browser), sub)
    assert login_error(await browser.get(first)) is None

    # The same code again, behind the state of a sign-in this browser really started.
    second = await choose(browser, await start(browser), sub)
    replay = second.replace(query_of(second)["code"], query_of(first)["code"])
    assert login_error(await browser.get(replay)) == "code_replayed"


async def test_nonce_mismatch_is_refused(
    browser: httpx.AsyncClient, google_server: str, session: AsyncSession, district: District
) -> None:
    await add_person(session, district, "u-1", ["student"], email="kid@schools.example")
    sub = await google_account(google_server, email="kid@schools.example")
    callback = await choose(browser, await start(browser), sub, nonce="n" * 43)

    assert login_error(await browser.get(callback)) == "invalid_id_token"


async def test_tampered_id_token_is_refused(
    tampering_app: FastAPI,
    browser: httpx.AsyncClient,
    google_server: str,
    session: AsyncSession,
    district: District,
) -> None:
    await add_person(session, district, "u-1", ["student"], email="kid@schools.example")
    sub = await google_account(google_server, email="kid@schools.example")

    assert login_error(await sign_in(browser, sub)) == "invalid_id_token"
    assert await session.scalar(select(GoogleLink)) is None


async def test_denied_consent_lands_on_the_login_page(
    browser: httpx.AsyncClient, district: District
) -> None:
    authorize = await start(browser)
    base, _, _ = authorize.partition("?")
    response = await browser.post(base, params=query_of(authorize), data={"action": "deny"})

    assert login_error(await browser.get(location(response))) == "access_denied"


async def test_unconfigured_google_is_refused_with_a_code(
    app: FastAPI, browser: httpx.AsyncClient, district: District
) -> None:
    settings = app.state.settings.model_copy(
        update={"google": app.state.settings.google.model_copy(update={"client_id": ""})}
    )
    original = app.state.sign_ins
    app.state.sign_ins = build_sign_ins(app.state.http, settings)
    try:
        response = await browser.get(f"{APP}/sso/google/login?district=CSVD")
    finally:
        app.state.sign_ins = original
    assert login_error(response) == "not_configured"
