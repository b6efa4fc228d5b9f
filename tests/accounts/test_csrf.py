from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from rostersync.accounts.cookies import CSRF_COOKIE
from tests.accounts.helpers import bearer, cookie_only, csrf, session_rows, signed_in

pytestmark = pytest.mark.usefixtures("owner")


async def test_a_cookie_post_without_the_csrf_header_is_refused(
    client: httpx.AsyncClient, probe: str
) -> None:
    await signed_in(client)
    response = await client.post(probe)
    assert response.status_code == 403
    assert "X-CSRF-Token" in response.json()["detail"]


async def test_a_cookie_post_with_a_wrong_csrf_header_is_refused(
    client: httpx.AsyncClient, probe: str
) -> None:
    await signed_in(client)
    assert (await client.post(probe, headers=csrf("guessed"))).status_code == 403
    assert (await client.delete(probe, headers=csrf(""))).status_code == 403


async def test_a_cookie_post_with_the_csrf_token_from_login_passes(
    client: httpx.AsyncClient, probe: str
) -> None:
    body = await signed_in(client)
    response = await client.post(probe, headers=csrf(body["csrf_token"]))
    assert response.status_code == 200
    assert response.json()["kind"] == "account"


async def test_browser_js_can_echo_the_csrf_cookie(client: httpx.AsyncClient, probe: str) -> None:
    await signed_in(client)
    from_cookie = client.cookies[CSRF_COOKIE]
    assert (await client.post(probe, headers=csrf(from_cookie))).status_code == 200


async def test_another_session_s_csrf_token_does_not_pass(
    client: httpx.AsyncClient, probe: str
) -> None:
    other = await signed_in(client)
    client.cookies.clear()
    mine = await signed_in(client)
    headers = {**cookie_only(client, mine["token"]), **csrf(other["csrf_token"])}
    assert (await client.post(probe, headers=headers)).status_code == 403


async def test_a_cookie_get_needs_no_csrf_header(client: httpx.AsyncClient, probe: str) -> None:
    await signed_in(client)
    assert (await client.get(probe)).status_code == 200


async def test_a_bearer_post_needs_no_csrf_header(client: httpx.AsyncClient, probe: str) -> None:
    token = (await signed_in(client))["token"]
    client.cookies.clear()
    assert (await client.post(probe, headers=bearer(token))).status_code == 200


async def test_logout_by_cookie_needs_the_csrf_header(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    body = await signed_in(client)
    refused = await client.post("/auth/logout")
    assert refused.status_code == 403
    assert len(await session_rows(session)) == 1
    assert (await client.get("/auth/session")).status_code == 200
    done = await client.post("/auth/logout", headers=csrf(body["csrf_token"]))
    assert done.status_code == 204
