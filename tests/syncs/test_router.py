"""`/syncs` over HTTP: Sync Now, history, one run, and who may see what."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from rostersync.accounts.service import create_account_owner
from rostersync.districts.models import District
from rostersync.districts.schemas import DistrictCreate
from rostersync.districts.service import create_district
from rostersync.syncs.models import SyncRun

PASSWORD = "correct horse battery staple"


async def owned_district(session: AsyncSession, code: str) -> District:
    """A Clever district (with a token) and its Account Owner `admin`."""
    district = await create_district(session, DistrictCreate(code=code, name=code.title()))
    await session.execute(
        update(District).where(District.id == district.id).values(clever_token_encrypted=b"x")
    )
    await create_account_owner(session, district, "admin", PASSWORD)
    await session.refresh(district)
    return district


async def sign_in(client: httpx.AsyncClient, code: str) -> dict[str, str]:
    response = await client.post(
        "/auth/login", json={"district": code, "username": "admin", "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    client.cookies.clear()  # these tests authenticate with the bearer token only
    return {"Authorization": f"Bearer {response.json()['token']}"}


@pytest.fixture
async def alpha(session: AsyncSession) -> District:
    return await owned_district(session, "ALPHA")


@pytest.fixture
async def beta(session: AsyncSession) -> District:
    return await owned_district(session, "BETA")


@pytest.fixture
async def owner(client: httpx.AsyncClient, alpha: District) -> dict[str, str]:
    return await sign_in(client, "ALPHA")


async def add_run(
    session: AsyncSession, district: District, *, minutes_ago: int, status: str, trigger: str
) -> uuid.UUID:
    created = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    terminal = status in ("successful", "failed", "discarded")
    result = await session.execute(
        insert(SyncRun)
        .values(
            district_id=district.id,
            trigger=trigger,
            started_by="system" if trigger == "scheduled" else "admin",
            status=status,
            created_at=created,
            started_at=None if status == "queued" else created,
            finished_at=created + timedelta(seconds=30) if terminal else None,
        )
        .returning(SyncRun.id)
    )
    return result.scalar_one()


async def test_sync_now_queues_a_run_started_by_the_owner(
    client: httpx.AsyncClient, owner: dict[str, str]
) -> None:
    response = await client.post("/syncs", json={}, headers=owner)
    assert response.status_code == 202, response.text
    run = response.json()
    assert {k: run[k] for k in ("district", "trigger", "started_by", "status", "preview")} == {
        "district": "ALPHA",
        "trigger": "on_demand",
        "started_by": "admin",
        "status": "queued",
        "preview": False,
    }
    shown = await client.get(f"/syncs/{run['id']}", headers=owner)
    assert shown.status_code == 200
    assert shown.json()["id"] == run["id"]


async def test_sync_now_without_a_body_is_a_plain_sync(
    client: httpx.AsyncClient, owner: dict[str, str]
) -> None:
    response = await client.post("/syncs", headers=owner)
    assert response.status_code == 202
    assert response.json()["preview"] is False


async def test_a_second_sync_now_names_the_active_run(
    client: httpx.AsyncClient, owner: dict[str, str]
) -> None:
    first = await client.post("/syncs", json={"preview": True}, headers=owner)
    second = await client.post("/syncs", json={}, headers=owner)
    assert second.status_code == 409
    assert second.json()["active_sync_id"] == first.json()["id"]
    assert "already has a sync queued, running or on hold" in second.json()["detail"]


@pytest.mark.parametrize("status", ["paused", "disconnected"])
async def test_a_paused_or_disconnected_district_cannot_sync(
    client: httpx.AsyncClient,
    session: AsyncSession,
    alpha: District,
    owner: dict[str, str],
    status: str,
) -> None:
    await session.execute(update(District).where(District.id == alpha.id).values(status=status))
    response = await client.post("/syncs", json={}, headers=owner)
    assert response.status_code == 409
    assert response.json()["detail"].startswith(f"District ALPHA is {status}")


async def test_a_district_not_connected_to_clever_is_told_how_to_connect(
    client: httpx.AsyncClient, session: AsyncSession, alpha: District, owner: dict[str, str]
) -> None:
    await session.execute(
        update(District).where(District.id == alpha.id).values(clever_token_encrypted=None)
    )
    response = await client.post("/syncs", json={}, headers=owner)
    assert response.status_code == 409
    assert "rostersync district connect" in response.json()["detail"]


async def test_history_is_newest_first_and_paged_by_cursor(
    client: httpx.AsyncClient, session: AsyncSession, alpha: District, owner: dict[str, str]
) -> None:
    ids = [
        await add_run(session, alpha, minutes_ago=m, status="successful", trigger="scheduled")
        for m in (50, 40, 30, 20, 10)
    ]
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(3):
        params: dict[str, str | int] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/syncs", params=params, headers=owner)).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
    assert seen == [str(i) for i in reversed(ids)]
    assert cursor is None
    item = page["items"][0]
    assert set(item) >= {"trigger", "started_by", "status", "created_at", "finished_at", "counts"}


async def test_history_filters_by_status_and_trigger(
    client: httpx.AsyncClient, session: AsyncSession, alpha: District, owner: dict[str, str]
) -> None:
    failed = await add_run(session, alpha, minutes_ago=30, status="failed", trigger="on_demand")
    nightly = await add_run(
        session, alpha, minutes_ago=20, status="successful", trigger="scheduled"
    )
    initial = await add_run(session, alpha, minutes_ago=90, status="successful", trigger="initial")

    async def ids(**params: str | list[str]) -> list[str]:
        response = await client.get("/syncs", params=params, headers=owner)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert await ids(status="failed") == [str(failed)]
    assert await ids(trigger="scheduled") == [str(nightly)]
    assert await ids(trigger=["initial", "scheduled"]) == [str(nightly), str(initial)]
    assert await ids(status="successful", trigger="on_demand") == []


async def test_a_made_up_cursor_is_a_clear_400(
    client: httpx.AsyncClient, owner: dict[str, str]
) -> None:
    response = await client.get("/syncs", params={"cursor": "bm9wZQ"}, headers=owner)
    assert response.status_code == 400
    assert "start again from the first page" in response.json()["detail"]


async def test_another_districts_runs_are_invisible_on_every_route(
    client: httpx.AsyncClient, session: AsyncSession, alpha: District, beta: District
) -> None:
    theirs = await add_run(session, alpha, minutes_ago=5, status="processing", trigger="initial")
    intruder = await sign_in(client, "BETA")

    history = await client.get("/syncs", headers=intruder)
    assert history.json()["items"] == []
    for path in (f"/syncs/{theirs}", f"/syncs/{theirs}/events"):
        response = await client.get(path, headers=intruder)
        assert response.status_code == 404, path
        assert response.json()["detail"] == f"No sync run {theirs} in your district."
    named = await client.get("/syncs", params={"district": "ALPHA"}, headers=intruder)
    assert named.status_code == 404
    started = await client.post("/syncs", json={"district": "ALPHA"}, headers=intruder)
    assert started.status_code == 404
    own = await client.post("/syncs", json={"district": "beta"}, headers=intruder)
    assert own.status_code == 202
    assert own.json()["district"] == "BETA"


async def test_an_unknown_run_is_404(client: httpx.AsyncClient, owner: dict[str, str]) -> None:
    assert (await client.get(f"/syncs/{uuid.uuid4()}", headers=owner)).status_code == 404


async def test_operators_name_the_district(
    client: httpx.AsyncClient,
    session: AsyncSession,
    alpha: District,
    operator_headers: dict[str, str],
) -> None:
    unnamed = await client.post("/syncs", json={}, headers=operator_headers)
    assert unnamed.status_code == 422
    assert "name it" in unnamed.json()["detail"]
    started = await client.post("/syncs", json={"district": "ALPHA"}, headers=operator_headers)
    assert started.status_code == 202
    assert started.json()["started_by"] == "operator"
    run_id = started.json()["id"]
    assert (await client.get(f"/syncs/{run_id}", headers=operator_headers)).status_code == 200
    history = await client.get("/syncs", params={"district": "ALPHA"}, headers=operator_headers)
    assert [item["id"] for item in history.json()["items"]] == [run_id]


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/syncs"), ("GET", "/syncs"), ("GET", f"/syncs/{uuid.UUID(int=1)}")],
)
async def test_every_route_needs_a_signed_in_caller(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await client.request(method, path)
    assert response.status_code == 401
