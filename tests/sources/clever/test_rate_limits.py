from __future__ import annotations

from email.utils import formatdate
from typing import Any

import pytest

from rostersync.sources.clever import CleverClient, CleverRateLimitedError, RetryPolicy
from tests.sources.clever.fakes import START, ConnectClient, FakeTime, ScriptedClever, page, reply

USERS = [{"id": "u1"}]
NEXT = "/v3.0/users?limit=10000&starting_after=u1"


async def read_all(client: CleverClient) -> list[list[dict[str, Any]]]:
    return [objects async for objects in client.iter_pages("/v3.0/users")]


def limited(**headers: str) -> Any:
    return reply(429, text=b"", content_type="text/plain", headers=headers)


async def test_429_with_retry_after_waits_that_long_then_succeeds(
    connect: ConnectClient, fake_time: FakeTime
) -> None:
    reset = str(int(START + 50))
    clever = ScriptedClever(
        limited(**{"Retry-After": "7", "X-Ratelimit-Reset": reset}), page(USERS)
    )
    assert await read_all(connect(clever)) == [USERS]
    assert fake_time.sleeps == [7.0]


async def test_429_retry_after_may_be_an_http_date(
    connect: ConnectClient, fake_time: FakeTime
) -> None:
    clever = ScriptedClever(
        limited(**{"Retry-After": formatdate(START + 20, usegmt=True)}), page(USERS)
    )
    assert await read_all(connect(clever)) == [USERS]
    assert fake_time.sleeps == [20.0]


async def test_429_without_retry_after_waits_until_the_reset(
    connect: ConnectClient, fake_time: FakeTime
) -> None:
    headers = {"X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": str(int(START + 12))}
    clever = ScriptedClever(limited(**headers), page(USERS), time=fake_time)
    assert await read_all(connect(clever)) == [USERS]
    assert fake_time.sleeps == [12.0]
    assert clever.request_times[1] >= START + 12


async def test_429_with_a_past_reset_and_no_retry_after_backs_off(
    connect: ConnectClient, fake_time: FakeTime
) -> None:
    clever = ScriptedClever(limited(**{"X-Ratelimit-Reset": str(int(START - 5))}), page(USERS))
    assert await read_all(connect(clever)) == [USERS]
    assert len(fake_time.sleeps) == 1
    assert 0 <= fake_time.sleeps[0] <= 0.5


async def test_429s_count_against_the_time_budget(
    connect: ConnectClient, fake_time: FakeTime
) -> None:
    clever = ScriptedClever(limited(**{"Retry-After": "120"}))
    with pytest.raises(CleverRateLimitedError) as caught:
        await read_all(connect(clever))
    assert fake_time.sleeps == [120.0, 120.0]  # a third wait would pass the 300 s budget
    assert len(clever.requests) == 3
    assert caught.value.message == (
        "Clever kept rate-limiting /v3.0/users (HTTP 429) after 3 attempts over 240 s "
        "and asked for 120 s more; the sync will be retried at the next run"
    )


async def test_a_wait_longer_than_the_whole_budget_is_not_started(
    connect: ConnectClient, fake_time: FakeTime
) -> None:
    clever = ScriptedClever(limited(**{"Retry-After": "3600"}))
    with pytest.raises(CleverRateLimitedError):
        await read_all(connect(clever, retry=RetryPolicy(max_total_seconds=300)))
    assert fake_time.sleeps == []


async def test_low_remaining_quota_pauses_until_the_reset_before_the_next_request(
    connect: ConnectClient, fake_time: FakeTime
) -> None:
    low = {"X-Ratelimit-Remaining": "2", "X-Ratelimit-Reset": str(int(START + 30))}
    clever = ScriptedClever(page(USERS, NEXT, headers=low), page([{"id": "u2"}]), time=fake_time)
    assert await read_all(connect(clever)) == [USERS, [{"id": "u2"}]]
    assert fake_time.sleeps == [30.0]
    assert clever.request_times[1] == START + 30


async def test_enough_remaining_quota_means_no_pause(
    connect: ConnectClient, fake_time: FakeTime
) -> None:
    plenty = {"X-Ratelimit-Remaining": "3", "X-Ratelimit-Reset": str(int(START + 30))}
    clever = ScriptedClever(page(USERS, NEXT, headers=plenty), page([{"id": "u2"}]))
    await read_all(connect(clever))
    assert fake_time.sleeps == []


async def test_the_pause_headroom_is_configurable(
    connect: ConnectClient, fake_time: FakeTime
) -> None:
    quota = {"X-Ratelimit-Remaining": "5", "X-Ratelimit-Reset": str(int(START + 9))}
    clever = ScriptedClever(page(USERS, NEXT, headers=quota), page([{"id": "u2"}]))
    await read_all(connect(clever, retry=RetryPolicy(rate_limit_headroom=5)))
    assert fake_time.sleeps == [9.0]


async def test_a_reset_far_in_the_future_pauses_at_most_a_minute(
    connect: ConnectClient, fake_time: FakeTime
) -> None:
    skewed = {"X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": str(int(START + 3600))}
    clever = ScriptedClever(page(USERS, NEXT, headers=skewed), page([{"id": "u2"}]))
    await read_all(connect(clever))
    assert fake_time.sleeps == [60.0]
