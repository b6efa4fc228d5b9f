"""District bearer tokens, /oauth/tokens and Clever's per-token rate limit."""

from __future__ import annotations

import pytest

from .conftest import SandboxFactory
from .helpers import CLIENT, Sandbox, Schemas

RATE_HEADERS = (
    "x-ratelimit-bucket",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
)


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic abc"}],
    ids=["missing", "unknown", "wrong-scheme"],
)
async def test_requests_without_a_valid_token_are_401(
    shared_sbx: Sandbox, schemas: Schemas, headers: dict[str, str]
) -> None:
    response = await shared_sbx.client.get("/v3.0/users", headers=headers)

    assert response.status_code == 401
    schemas.check("error", response.json())
    assert "x-ratelimit-limit" not in response.headers


async def test_every_authenticated_response_carries_rate_limit_headers(sbx: Sandbox) -> None:
    ok = await sbx.get("/v3.0/users")
    missing = await sbx.get("/v3.0/users/" + "0" * 24)
    events = await sbx.get("/v3.0/events")

    for response in (ok, missing, events):
        assert all(name in response.headers for name in RATE_HEADERS)
    assert ok.headers["x-ratelimit-limit"] == "1200"
    assert int(ok.headers["x-ratelimit-remaining"]) == 1199
    assert int(missing.headers["x-ratelimit-remaining"]) == 1198
    assert int(ok.headers["x-ratelimit-reset"]) == int(sbx.clock.now) + 60


async def test_rate_limit_trips_with_an_empty_429_and_resets_after_the_window(
    sbx_factory: SandboxFactory,
) -> None:
    sbx = await sbx_factory(rate_limit_per_minute=3)
    for _ in range(3):
        assert (await sbx.get("/v3.0/schools")).status_code == 200

    limited = await sbx.get("/v3.0/schools")
    assert limited.status_code == 429
    assert limited.content == b""
    assert limited.headers["x-ratelimit-remaining"] == "0"
    reset = int(limited.headers["x-ratelimit-reset"])

    sbx.clock.advance(reset - sbx.clock.now - 1)
    assert (await sbx.get("/v3.0/schools")).status_code == 429
    sbx.clock.advance(1)
    recovered = await sbx.get("/v3.0/schools")
    assert recovered.status_code == 200
    assert recovered.headers["x-ratelimit-remaining"] == "2"


async def test_rate_limits_are_counted_per_token(sbx_factory: SandboxFactory) -> None:
    sbx = await sbx_factory(rate_limit_per_minute=2, districts=2, students=20)
    other = sbx.state.district_token(1)
    for _ in range(2):
        await sbx.get("/v3.0/schools")

    assert (await sbx.get("/v3.0/schools")).status_code == 429
    assert (await sbx.get("/v3.0/schools", token=other)).status_code == 200


async def test_oauth_tokens_lists_each_connected_district(
    sbx_factory: SandboxFactory, schemas: Schemas
) -> None:
    sbx = await sbx_factory(districts=3, students=10)
    response = await sbx.client.get("/oauth/tokens", params={"owner_type": "district"}, auth=CLIENT)

    assert response.status_code == 200
    body = response.json()
    schemas.check("oauth_tokens", body)
    owners = [entry["owner"]["id"] for entry in body["data"]]
    assert owners == sbx.state.district_ids
    for entry in body["data"]:
        token = entry["access_token"]
        me = await sbx.get_json("/v3.0/me", token=token)
        assert me["data"]["district"] == entry["owner"]["id"]


@pytest.mark.parametrize("auth", [("sandbox-client", "wrong"), ("someone-else", "sandbox-secret")])
async def test_oauth_tokens_rejects_bad_client_credentials(
    shared_sbx: Sandbox, auth: tuple[str, str]
) -> None:
    response = await shared_sbx.client.get("/oauth/tokens", auth=auth)
    assert response.status_code == 401
    assert (await shared_sbx.client.get("/oauth/tokens")).status_code == 401


async def test_a_revoked_token_is_401_and_leaves_oauth_tokens(sbx_factory: SandboxFactory) -> None:
    sbx = await sbx_factory(districts=2, students=20)
    first, second = sbx.state.district_ids

    await sbx.control("revoke", district=first)

    assert (await sbx.get("/v3.0/users")).status_code == 401
    assert (await sbx.get("/v3.0/users", token=sbx.state.district_token(1))).status_code == 200
    listed = (await sbx.client.get("/oauth/tokens", auth=CLIENT)).json()
    assert [entry["owner"]["id"] for entry in listed["data"]] == [second]


async def test_reset_brings_a_revoked_token_back(sbx: Sandbox) -> None:
    await sbx.control("revoke")
    await sbx.control("reset")

    assert (await sbx.get("/v3.0/users")).status_code == 200
