from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from rostersync.sources.clever import (
    CleverAuthError,
    CleverOAuthClient,
    CleverUnavailableError,
    DistrictToken,
)
from tests.sources.clever.fakes import OAUTH_BASE, FakeTime, Handler, ScriptedClever, reply

CLIENT_ID = "app-client-id"
CLIENT_SECRET = "app-client-secret-9d8e7f"
OpenHttp = Callable[[Handler], httpx.AsyncClient]


def token(district: str, access: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"tok-{district}",
        "created": "2024-08-01T12:00:00.000Z",
        "owner": {"type": "district", "id": district},
        "access_token": access,
        "scopes": ["read:district_admins", "read:sections", "read:students"],
        **extra,
    }


def oauth(open_http: OpenHttp, fake_time: FakeTime, handler: Handler) -> CleverOAuthClient:
    return CleverOAuthClient(
        open_http(handler),
        oauth_base_url=OAUTH_BASE + "/",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        sleep=fake_time.sleep,
        clock=fake_time.clock,
    )


async def test_district_tokens_uses_basic_auth_and_maps_every_token(
    open_http: OpenHttp, fake_time: FakeTime
) -> None:
    next_uri = "/oauth/tokens?owner_type=district&starting_after=tok-d1"
    page_1 = {"data": [token("d1", "secret-1")], "links": [{"rel": "next", "uri": next_uri}]}
    page_2 = {"data": [token("d2", "secret-2", created=None)], "links": []}
    clever = ScriptedClever(reply(200, page_1), reply(200, page_2))
    tokens = await oauth(open_http, fake_time, clever).district_tokens()
    assert tokens == [
        DistrictToken(
            district_id="d1",
            access_token="secret-1",
            scopes=("read:district_admins", "read:sections", "read:students"),
            created="2024-08-01T12:00:00.000Z",
        ),
        DistrictToken("d2", "secret-2", ("read:district_admins", "read:sections", "read:students")),
    ]
    first, second = clever.requests
    assert str(first.url) == f"{OAUTH_BASE}/oauth/tokens?owner_type=district"
    assert str(second.url) == OAUTH_BASE + next_uri
    credentials = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert {r.headers["authorization"] for r in clever.requests} == {f"Basic {credentials}"}


async def test_tokens_not_owned_by_a_district_are_left_out(
    open_http: OpenHttp, fake_time: FakeTime
) -> None:
    user_token = token("d1", "secret-u") | {"owner": {"type": "user", "id": "u1"}}
    broken = token("d2", "") | {"access_token": None}
    body = {"data": [user_token, broken, token("d3", "secret-3")], "links": []}
    clever = ScriptedClever(reply(200, body))
    tokens = await oauth(open_http, fake_time, clever).district_tokens()
    assert [t.district_id for t in tokens] == ["d3"]


async def test_a_district_tokens_repr_hides_the_token() -> None:
    assert "secret-1" not in repr(DistrictToken("d1", "secret-1"))


async def test_wrong_client_credentials_say_which_settings_to_check(
    open_http: OpenHttp, fake_time: FakeTime
) -> None:
    clever = ScriptedClever(reply(401, {"error": "invalid_client"}))
    with pytest.raises(CleverAuthError) as caught:
        await oauth(open_http, fake_time, clever).district_tokens()
    assert caught.value.message == (
        "Clever rejected the app's client id/secret (401): "
        "check CLEVER_CLIENT_ID and CLEVER_CLIENT_SECRET"
    )
    assert len(clever.requests) == 1


async def test_oauth_outages_are_retried_and_never_show_the_secret(
    open_http: OpenHttp, fake_time: FakeTime
) -> None:
    clever = ScriptedClever(reply(503, {"message": f"bad secret {CLIENT_SECRET}"}))
    with pytest.raises(CleverUnavailableError) as caught:
        await oauth(open_http, fake_time, clever).district_tokens()
    assert len(clever.requests) == 6
    assert CLIENT_SECRET not in caught.value.message
    assert "try again" in caught.value.message
