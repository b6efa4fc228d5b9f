from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable

import httpx
import pytest

from rostersync.app import create_app
from tests.conftest import make_settings

EmptyDatabase = Callable[[], Awaitable[str]]


async def get(app_settings_url: str, path: str) -> httpx.Response:
    app = create_app(make_settings(app_settings_url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get(path)


async def test_live_answers_without_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_when_schema_is_at_head(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["schema_revision"] == body["expected_revision"] is not None


async def test_not_ready_on_an_unmigrated_database(empty_database_factory: EmptyDatabase) -> None:
    response = await get(await empty_database_factory(), "/health/ready")
    assert response.status_code == 503
    assert response.json()["schema_revision"] is None
    assert response.json()["database"] == "ok"


async def test_not_ready_when_the_database_is_unreachable() -> None:
    response = await get("postgresql://nobody@127.0.0.1:1/none", "/health/ready")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


async def test_every_response_carries_a_request_id(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live")
    assert len(response.headers["x-request-id"]) == 16


async def test_a_safe_incoming_request_id_is_kept_and_an_unsafe_one_replaced(
    client: httpx.AsyncClient,
) -> None:
    kept = await client.get("/health/live", headers={"X-Request-ID": "abc-123"})
    assert kept.headers["x-request-id"] == "abc-123"
    replaced = await client.get("/health/live", headers={"X-Request-ID": "bad id\nwith newline"})
    assert replaced.headers["x-request-id"] != "bad id\nwith newline"


async def test_access_log_is_json_with_request_id_and_no_query_string(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    from rostersync.logs import JsonFormatter

    with caplog.at_level(logging.INFO, logger="rostersync.access"):
        await client.get("/health/live?code=secret-oauth-code", headers={"X-Request-ID": "r-1"})
    records = [r for r in caplog.records if r.name == "rostersync.access"]
    line = json.loads(JsonFormatter().format(records[-1]))
    assert line["request_id"] == "r-1"
    assert line["path"] == "/health/live"
    assert line["status"] == 200
    assert "secret-oauth-code" not in json.dumps(line)


async def test_openapi_docs_are_served(client: httpx.AsyncClient) -> None:
    assert (await client.get("/docs")).status_code == 200
    schema = (await client.get("/openapi.json")).json()
    assert "/districts" in schema["paths"]
    assert "/health/ready" in schema["paths"]
