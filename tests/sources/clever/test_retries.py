from __future__ import annotations

from typing import Any

import httpx
import pytest

from rostersync.sources.clever import (
    CleverClient,
    CleverProtocolError,
    CleverUnavailableError,
    RetryPolicy,
)
from tests.sources.clever.fakes import ConnectClient, FakeTime, ScriptedClever, page, reply

USERS = [{"id": "u1"}]
NGINX_502 = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"


async def first_page(client: CleverClient, path: str = "/v3.0/users") -> list[dict[str, Any]]:
    async for objects in client.iter_pages(path):
        return objects
    return []


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_server_errors_are_retried_until_clever_answers(
    connect: ConnectClient, fake_time: FakeTime, status: int
) -> None:
    clever = ScriptedClever(reply(status, {"message": "oops"}), reply(status), page(USERS))
    assert await first_page(connect(clever)) == USERS
    assert len(clever.requests) == 3
    assert len(fake_time.sleeps) == 2


async def test_backoff_is_exponential_capped_and_jittered(
    connect: ConnectClient, fake_time: FakeTime
) -> None:
    policy = RetryPolicy(max_attempts=12, base_delay=0.5, max_delay=4.0, max_total_seconds=1e6)
    clever = ScriptedClever(reply(503))
    with pytest.raises(CleverUnavailableError):
        await first_page(connect(clever, retry=policy))
    assert len(fake_time.sleeps) == 11
    for attempt, delay in enumerate(fake_time.sleeps, start=1):
        assert 0 <= delay <= min(4.0, 0.5 * 2 ** (attempt - 1))


async def test_persistent_503_gives_up_after_max_attempts_with_a_readable_message(
    connect: ConnectClient, fake_time: FakeTime
) -> None:
    clever = ScriptedClever(reply(503, {"message": "Service Unavailable"}))
    with pytest.raises(CleverUnavailableError) as caught:
        await first_page(connect(clever))
    assert len(clever.requests) == 6
    waited = round(sum(fake_time.sleeps))
    assert caught.value.message == (
        "Clever kept failing (HTTP 503: Service Unavailable) on /v3.0/users after 6 attempts "
        f"over {waited} s; the sync will be retried at the next run"
    )
    assert caught.value.clever_status == 503
    assert caught.value.status_code == 503


async def test_retries_stop_when_the_time_budget_is_spent(
    connect: ConnectClient, fake_time: FakeTime
) -> None:
    policy = RetryPolicy(max_attempts=100, base_delay=10.0, max_delay=10.0, max_total_seconds=30)
    clever = ScriptedClever(reply(500))
    with pytest.raises(CleverUnavailableError):
        await first_page(connect(clever, retry=policy))
    assert sum(fake_time.sleeps) <= 30
    assert len(clever.requests) < 100


async def test_an_html_error_page_is_described_not_dumped(connect: ConnectClient) -> None:
    clever = ScriptedClever(reply(502, text=NGINX_502, content_type="text/html"))
    with pytest.raises(CleverUnavailableError) as caught:
        await first_page(connect(clever))
    assert "HTTP 502: an HTML error page" in caught.value.message
    assert "<" not in caught.value.message


@pytest.mark.parametrize(
    "failure",
    [
        httpx.RemoteProtocolError("peer closed connection without sending complete message body"),
        httpx.ReadError("connection reset by peer"),
        httpx.ConnectError("connection refused"),
        httpx.ReadTimeout("timed out"),
    ],
)
async def test_network_failures_and_cut_connections_are_retried(
    connect: ConnectClient, failure: Exception
) -> None:
    clever = ScriptedClever(failure, failure, page(USERS))
    assert await first_page(connect(clever)) == USERS
    assert len(clever.requests) == 3


async def test_a_persistent_network_failure_names_the_error(connect: ConnectClient) -> None:
    clever = ScriptedClever(httpx.ConnectError("connection refused"))
    with pytest.raises(CleverUnavailableError) as caught:
        await first_page(connect(clever))
    assert "a network error (ConnectError: connection refused)" in caught.value.message
    assert "after 6 attempts" in caught.value.message


async def test_a_truncated_json_body_is_retried(connect: ConnectClient) -> None:
    truncated = b'{"data": [{"data": {"id": "u1", "name": {"first": "Ad'
    clever = ScriptedClever(reply(200, text=truncated), page(USERS))
    assert await first_page(connect(clever)) == USERS
    assert len(clever.requests) == 2


async def test_json_without_the_envelope_is_retried(connect: ConnectClient) -> None:
    clever = ScriptedClever(reply(200, {"users": []}), reply(200, [1, 2]), page(USERS))
    assert await first_page(connect(clever)) == USERS
    assert len(clever.requests) == 3


async def test_bodies_that_never_parse_give_a_protocol_error(connect: ConnectClient) -> None:
    clever = ScriptedClever(reply(200, text=b'{"data": [', content_type="application/json"))
    with pytest.raises(CleverProtocolError) as caught:
        await first_page(connect(clever))
    assert caught.value.message.startswith(
        "Clever kept sending a response body that is not valid JSON for /v3.0/users "
        "after 6 attempts"
    )
