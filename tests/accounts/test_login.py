from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from rostersync.accounts.cookies import CSRF_COOKIE, SESSION_COOKIE
from rostersync.accounts.models import Account
from rostersync.accounts.repository import update_account
from rostersync.config import Environment
from tests.accounts.helpers import (
    WRONG_MESSAGE,
    FakeClock,
    bearer,
    login,
    session_rows,
    signed_in,
)

pytestmark = pytest.mark.usefixtures("owner")

LOCKED_MESSAGE = "Too many failed sign-in attempts for this account; try again in {} minutes."


def set_cookie_headers(response: httpx.Response) -> dict[str, str]:
    """Each Set-Cookie header by cookie name."""
    return {h.split("=", 1)[0]: h for h in response.headers.get_list("set-cookie")}


async def fail(client: httpx.AsyncClient, times: int) -> list[int]:
    return [(await login(client, password="not-the-password")).status_code for _ in range(times)]


async def test_owner_signs_in_with_a_token_a_csrf_token_and_who_they_are(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    response = await login(client)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert len(body["token"]) >= 43
    assert body["csrf_token"]
    assert body["subject"] == {
        "kind": "account",
        "district": "DEMO",
        "name": "admin",
        "roles": ["account_owner"],
        "expires_at": body["expires_at"],
    }
    assert datetime.fromisoformat(body["expires_at"]) == clock.now + timedelta(hours=12)


async def test_district_and_username_are_case_insensitive(client: httpx.AsyncClient) -> None:
    response = await login(client, district=" demo ", username="ADMIN")
    assert response.status_code == 200


async def test_the_session_comes_as_an_http_only_lax_cookie_and_a_readable_csrf_cookie(
    client: httpx.AsyncClient,
) -> None:
    response = await login(client)
    cookies = set_cookie_headers(response)
    session_cookie, csrf_cookie = cookies[SESSION_COOKIE], cookies[CSRF_COOKIE]
    assert f"{SESSION_COOKIE}={response.json()['token']};" in session_cookie
    assert f"{CSRF_COOKIE}={response.json()['csrf_token']};" in csrf_cookie
    for header in (session_cookie, csrf_cookie):
        assert "Max-Age=43200" in header
        assert "Path=/" in header
        assert "SameSite=lax" in header
        assert "Secure" not in header  # the test environment serves plain http
    assert "HttpOnly" in session_cookie
    assert "HttpOnly" not in csrf_cookie


async def test_cookies_are_secure_in_production(client: httpx.AsyncClient, app: FastAPI) -> None:
    production = app.state.settings.model_copy(update={"environment": Environment.PRODUCTION})
    app.state.settings = production
    response = await login(client)
    assert response.status_code == 200
    assert all("Secure" in h for h in set_cookie_headers(response).values())


async def test_the_stored_session_holds_the_token_hash_not_the_token(
    client: httpx.AsyncClient, session: AsyncSession, owner: Account
) -> None:
    token = (await signed_in(client))["token"]
    [row] = await session_rows(session)
    assert row.token_hash == hashlib.sha256(token.encode()).digest()
    assert token.encode() not in row.token_hash
    assert (row.subject_type, row.account_id, row.district_id) == (
        "account",
        owner.id,
        owner.district_id,
    )
    assert row.roles == ["account_owner"]
    assert row.expires_at - row.created_at == timedelta(hours=12)


async def test_sign_in_records_the_time(
    client: httpx.AsyncClient, owner: Account, clock: FakeClock
) -> None:
    await signed_in(client)
    assert owner.last_login_at == clock.now


@pytest.mark.parametrize(
    "credentials",
    [
        {"password": "not-the-password"},
        {"username": "nobody"},
        {"district": "NOWHERE"},
        {"district": "NOWHERE", "username": "nobody"},
    ],
    ids=["wrong-password", "unknown-user", "unknown-district", "unknown-both"],
)
async def test_every_wrong_part_gets_the_same_401(
    client: httpx.AsyncClient, credentials: dict[str, str]
) -> None:
    response = await login(client, **credentials)
    assert response.status_code == 401
    assert response.json() == {"detail": WRONG_MESSAGE}
    assert response.headers["www-authenticate"] == "Bearer"
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")


async def test_a_wrong_password_is_counted_though_the_answer_is_401(
    client: httpx.AsyncClient, owner: Account, clock: FakeClock
) -> None:
    assert await fail(client, 2) == [401, 401]
    assert owner.failed_login_count == 2
    assert owner.first_failed_login_at == clock.now
    assert owner.locked_until is None


async def test_ten_failures_lock_the_account_even_against_the_right_password(
    client: httpx.AsyncClient, owner: Account, clock: FakeClock
) -> None:
    assert await fail(client, 10) == [401] * 9 + [429]
    response = await login(client)
    assert response.status_code == 429
    assert response.json() == {"detail": LOCKED_MESSAGE.format(15)}
    assert response.headers["retry-after"] == "900"
    assert owner.locked_until == clock.now + timedelta(minutes=15)


async def test_retry_after_counts_down_the_lock(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    await fail(client, 10)
    clock.advance(timedelta(minutes=10, seconds=30))
    response = await login(client)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "270"
    assert response.json() == {"detail": LOCKED_MESSAGE.format(5)}


async def test_a_lock_in_the_past_lets_the_owner_in_and_resets_the_counter(
    client: httpx.AsyncClient, session: AsyncSession, owner: Account, clock: FakeClock
) -> None:
    await update_account(
        session,
        owner,
        failed_login_count=10,
        first_failed_login_at=clock.now - timedelta(minutes=20),
        locked_until=clock.now - timedelta(seconds=1),  # the lock just ended
    )
    assert (await login(client)).status_code == 200
    assert (owner.failed_login_count, owner.first_failed_login_at, owner.locked_until) == (
        0,
        None,
        None,
    )


async def test_after_the_lock_ends_the_count_starts_again(
    client: httpx.AsyncClient, owner: Account, clock: FakeClock
) -> None:
    await fail(client, 10)
    clock.advance(timedelta(minutes=15))
    assert await fail(client, 1) == [401]
    assert owner.failed_login_count == 1


async def test_failures_older_than_fifteen_minutes_do_not_count(
    client: httpx.AsyncClient, owner: Account, clock: FakeClock
) -> None:
    await fail(client, 9)
    clock.advance(timedelta(minutes=15))
    assert await fail(client, 9) == [401] * 9
    assert owner.failed_login_count == 9
    assert owner.locked_until is None


async def test_a_successful_sign_in_resets_the_counter(
    client: httpx.AsyncClient, owner: Account
) -> None:
    await fail(client, 9)
    await signed_in(client)
    assert owner.failed_login_count == 0
    assert await fail(client, 9) == [401] * 9  # a fresh ten


async def test_no_session_is_opened_while_locked(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await fail(client, 10)
    assert (await login(client)).status_code == 429
    assert await session_rows(session) == []


async def test_missing_fields_are_a_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/auth/login", json={"district": "DEMO", "username": "admin"})
    assert response.status_code == 422


async def test_a_bearer_token_from_login_signs_requests_in(client: httpx.AsyncClient) -> None:
    token = (await signed_in(client))["token"]
    client.cookies.clear()
    response = await client.get("/auth/session", headers=bearer(token))
    assert response.status_code == 200
    assert response.json()["name"] == "admin"
