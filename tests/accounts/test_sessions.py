from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from rostersync.accounts import repository, service
from rostersync.accounts.models import Account
from rostersync.districts.models import District
from rostersync.roster.models import User
from tests.accounts.helpers import (
    FakeClock,
    bearer,
    cookie_only,
    csrf,
    login,
    session_rows,
    signed_in,
)
from tests.conftest import OPERATOR_TOKEN

pytestmark = pytest.mark.usefixtures("owner")

EXPIRED = "Your session has expired; sign in again."
NOT_VALID = "This session is not valid (signed out or replaced); sign in again."


async def add_teacher(session: AsyncSession, district: District, *, active: bool = True) -> User:
    teacher = User(
        district_id=district.id,
        clever_id="t-1",
        roles=["teacher"],
        name_first="Edna",
        name_last="Krabappel",
        active=active,
        deactivated_at=None if active else district.created_at,
    )
    session.add(teacher)
    await session.flush()
    return teacher


async def test_the_cookie_says_who_is_signed_in(client: httpx.AsyncClient) -> None:
    body = await signed_in(client)
    response = await client.get("/auth/session")
    assert response.status_code == 200
    assert response.json() == {
        "kind": "account",
        "district": "DEMO",
        "name": "admin",
        "roles": ["account_owner"],
        "expires_at": body["expires_at"],
    }


async def test_the_bearer_token_says_who_is_signed_in(client: httpx.AsyncClient) -> None:
    token = (await signed_in(client))["token"]
    client.cookies.clear()
    response = await client.get("/auth/session", headers=bearer(token))
    assert response.json()["kind"] == "account"
    assert response.json()["district"] == "DEMO"


async def test_nobody_signed_in_is_a_401_that_says_how_to_sign_in(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/auth/session")
    assert response.status_code == 401
    assert "POST /auth/login" in response.json()["detail"]


@pytest.mark.parametrize("token", ["made-up", ""])
async def test_an_unknown_token_is_a_401(client: httpx.AsyncClient, token: str) -> None:
    by_bearer = await client.get("/auth/session", headers=bearer(token))
    by_cookie = await client.get("/auth/session", headers=cookie_only(client, token))
    assert (by_bearer.status_code, by_cookie.status_code) == (401, 401)


async def test_the_operator_token_is_the_operator(client: httpx.AsyncClient, probe: str) -> None:
    response = await client.get(probe, headers=bearer(OPERATOR_TOKEN))
    assert response.json() == {
        "kind": "operator",
        "district_id": None,
        "name": "operator",
        "roles": [],
        "session_id": "None",
        "is_operator": True,
    }
    described = await client.get("/auth/session", headers=bearer(OPERATOR_TOKEN))
    assert described.json() == {
        "kind": "operator",
        "district": None,
        "name": "operator",
        "roles": [],
        "expires_at": None,
    }


async def test_an_owner_session_is_an_account_caller(
    client: httpx.AsyncClient, session: AsyncSession, probe: str, district: District
) -> None:
    token = (await signed_in(client))["token"]
    [row] = await session_rows(session)
    response = await client.get(probe, headers=bearer(token))
    assert response.json() == {
        "kind": "account",
        "district_id": district.id,
        "name": "admin",
        "roles": ["account_owner"],
        "session_id": str(row.id),
        "is_operator": False,
    }


async def test_a_session_expires_after_twelve_hours(
    client: httpx.AsyncClient, clock: FakeClock
) -> None:
    token = (await signed_in(client))["token"]
    clock.advance(timedelta(hours=11, minutes=59))
    assert (await client.get("/auth/session", headers=bearer(token))).status_code == 200
    clock.advance(timedelta(minutes=1))
    response = await client.get("/auth/session", headers=bearer(token))
    assert response.status_code == 401
    assert response.json() == {"detail": EXPIRED}


async def test_an_expired_row_is_refused_by_cookie_too(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await signed_in(client)
    [row] = await session_rows(session)
    row.created_at -= timedelta(hours=13)  # signed in 13 hours ago
    row.expires_at -= timedelta(hours=13)
    await session.flush()
    response = await client.get("/auth/session")
    assert response.status_code == 401
    assert response.json() == {"detail": EXPIRED}


async def test_last_seen_is_kept_to_the_nearest_five_minutes(
    client: httpx.AsyncClient, session: AsyncSession, clock: FakeClock
) -> None:
    signed_in_at = clock.now
    await signed_in(client)
    clock.advance(timedelta(minutes=4))
    await client.get("/auth/session")
    [row] = await session_rows(session)
    assert row.last_seen_at == signed_in_at
    clock.advance(timedelta(minutes=1))
    await client.get("/auth/session")
    assert row.last_seen_at == clock.now


async def test_logout_deletes_the_session_and_the_cookie_stops_working(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    body = await signed_in(client)
    response = await client.post("/auth/logout", headers=csrf(body["csrf_token"]))
    assert response.status_code == 204
    assert all("Max-Age=0" in h for h in response.headers.get_list("set-cookie"))
    assert not client.cookies  # the browser forgot both cookies
    assert await session_rows(session) == []
    again = await client.get("/auth/session", headers=cookie_only(client, body["token"]))
    assert again.status_code == 401
    assert (await client.get("/auth/session", headers=bearer(body["token"]))).status_code == 401


async def test_logout_by_bearer_ends_that_session(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    token = (await signed_in(client))["token"]
    client.cookies.clear()
    assert (await client.post("/auth/logout", headers=bearer(token))).status_code == 204
    assert await session_rows(session) == []


async def test_a_second_login_in_the_same_browser_replaces_the_first_session(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    first = (await signed_in(client))["token"]
    second = (await signed_in(client))["token"]
    assert len(await session_rows(session)) == 1
    response = await client.get("/auth/session", headers=bearer(first))
    assert response.json() == {"detail": NOT_VALID}
    assert (await client.get("/auth/session", headers=bearer(second))).status_code == 200


async def test_logins_from_two_clients_keep_two_sessions(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await signed_in(client)
    client.cookies.clear()  # another browser
    await signed_in(client)
    assert len(await session_rows(session)) == 2


async def test_a_failed_login_keeps_the_browser_s_session(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await signed_in(client)
    assert (await login(client, password="not-the-password")).status_code == 401
    assert (await client.get("/auth/session")).status_code == 200


async def test_a_person_s_session_is_a_user_caller_with_its_roles(
    client: httpx.AsyncClient,
    session: AsyncSession,
    district: District,
    probe: str,
    clock: FakeClock,
) -> None:
    teacher = await add_teacher(session, district)
    token, row = await service.open_session(
        session,
        subject_type="user",
        district_id=district.id,
        user_id=teacher.id,
        roles=["teacher"],
        now=clock.now,
    )
    response = await client.get(probe, headers=bearer(token))
    assert response.json() == {
        "kind": "user",
        "district_id": district.id,
        "name": "Edna Krabappel",
        "roles": ["teacher"],
        "session_id": str(row.id),
        "is_operator": False,
    }


async def test_a_deactivated_person_s_session_stops_working(
    client: httpx.AsyncClient, session: AsyncSession, district: District, clock: FakeClock
) -> None:
    teacher = await add_teacher(session, district, active=False)
    token, _ = await service.open_session(
        session,
        subject_type="user",
        district_id=district.id,
        user_id=teacher.id,
        roles=["teacher"],
        now=clock.now,
    )
    assert (await client.get("/auth/session", headers=bearer(token))).status_code == 401


@pytest.mark.usefixtures("probe")
async def test_only_the_account_owner_and_the_operator_manage_syncs(
    client: httpx.AsyncClient, session: AsyncSession, district: District, clock: FakeClock
) -> None:
    teacher = await add_teacher(session, district)
    token, _ = await service.open_session(
        session,
        subject_type="user",
        district_id=district.id,
        user_id=teacher.id,
        roles=["teacher", "district_admin"],
        now=clock.now,
    )
    owner_token = (await signed_in(client))["token"]
    client.cookies.clear()
    statuses = [
        (await client.post("/_test/sync-manager", headers=bearer(t))).status_code
        for t in (OPERATOR_TOKEN, owner_token, token)
    ]
    assert statuses == [200, 200, 403]
    refused = await client.post("/_test/sync-manager", headers=bearer(token))
    assert refused.json() == {"detail": "Only the district's Account Owner can manage syncs."}


async def test_expired_sessions_are_deleted_in_bulk(
    session: AsyncSession, owner: Account, clock: FakeClock
) -> None:
    for hours_ago in (13, 12, 1):
        await service.open_session(
            session,
            subject_type="account",
            district_id=owner.district_id,
            account_id=owner.id,
            roles=["account_owner"],
            now=clock.now - timedelta(hours=hours_ago),
        )
    assert await repository.delete_expired_sessions(session, clock.now) == 2
    [left] = await session_rows(session)
    assert left.expires_at > clock.now
