"""Answers that retrying cannot change: each is one request and a typed, readable error."""

from __future__ import annotations

import logging

import pytest

from rostersync.sources.clever import (
    CleverAuthError,
    CleverClient,
    CleverError,
    CleverForbiddenError,
    CleverNotFoundError,
    CleverRequestError,
    CleverUnavailableError,
)
from tests.sources.clever.fakes import TOKEN, ConnectClient, FakeTime, ScriptedClever, page, reply


async def read_users(client: CleverClient) -> None:
    async for _ in client.iter_pages("/v3.0/users", params={"role": "student"}):
        pass


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, CleverRequestError),
        (401, CleverAuthError),
        (403, CleverForbiddenError),
        (404, CleverNotFoundError),
        (413, CleverRequestError),
        (501, CleverRequestError),
    ],
)
async def test_client_errors_and_501_are_not_retried(
    connect: ConnectClient, fake_time: FakeTime, status: int, error: type[CleverError]
) -> None:
    clever = ScriptedClever(reply(status, {"message": "no"}), page([{"id": "u1"}]))
    with pytest.raises(error) as caught:
        await read_users(connect(clever))
    assert len(clever.requests) == 1
    assert fake_time.sleeps == []
    assert caught.value.clever_status == status


async def test_401_tells_the_admin_the_district_may_have_disconnected(
    connect: ConnectClient,
) -> None:
    clever = ScriptedClever(reply(401, {"message": "Unauthorized"}))
    with pytest.raises(CleverAuthError) as caught:
        await read_users(connect(clever))
    assert caught.value.message == (
        "Clever rejected the district's token (401): the district may have disconnected the app"
    )


async def test_404_names_the_path_without_its_query(connect: ConnectClient) -> None:
    clever = ScriptedClever(reply(404, {"message": "Resource not found: u9"}))
    with pytest.raises(CleverNotFoundError) as caught:
        await read_users(connect(clever))
    assert caught.value.message == (
        "Clever found nothing at /v3.0/users (404): Resource not found: u9"
    )


async def test_413_surfaces_clevers_message(connect: ConnectClient) -> None:
    clever = ScriptedClever(reply(413, {"message": "limit must be at most 10000"}))
    with pytest.raises(CleverRequestError) as caught:
        await read_users(connect(clever))
    assert caught.value.message == (
        "Clever rejected the request for /v3.0/users (HTTP 413): limit must be at most 10000"
    )


@pytest.mark.parametrize(
    ("body", "shown"),
    [
        ({"message": "bad starting_after"}, "bad starting_after"),
        ({"error": "invalid_request"}, "invalid_request"),
        ({"error": "invalid_client", "error_description": "unknown client"}, "unknown client"),
        ({"error": {"message": "nested reason"}}, "nested reason"),
        ({"unrelated": 1}, "an unreadable body"),
    ],
)
async def test_json_error_bodies_surface_their_message(
    connect: ConnectClient, body: object, shown: str
) -> None:
    clever = ScriptedClever(reply(400, body))
    with pytest.raises(CleverRequestError) as caught:
        await read_users(connect(clever))
    assert caught.value.message.endswith(f"(HTTP 400): {shown}")


@pytest.mark.parametrize(
    ("text", "content_type", "shown"),
    [
        (
            "<!DOCTYPE html><html><h1>Bad</h1></html>",
            "text/html",
            "an HTML error page",
        ),
        ("<html><body>Bad</body></html>", "text/plain", "an HTML error page"),
        ("", "application/json", "an empty body"),
        ("   \n", "text/plain", "an empty body"),
        ("Request Header Or Cookie Too Large", "text/plain", "Request Header Or Cookie Too Large"),
        ("x" * 5000, "text/plain", "an unreadable body"),
    ],
)
async def test_non_json_error_bodies_are_described_briefly(
    connect: ConnectClient, text: str, content_type: str, shown: str
) -> None:
    clever = ScriptedClever(reply(400, text=text, content_type=content_type))
    with pytest.raises(CleverRequestError) as caught:
        await read_users(connect(clever))
    assert caught.value.message.endswith(f"(HTTP 400): {shown}")


async def test_a_long_message_is_shortened_to_one_line(connect: ConnectClient) -> None:
    clever = ScriptedClever(reply(403, {"message": "denied\n" + "because " * 100}))
    with pytest.raises(CleverForbiddenError) as caught:
        await read_users(connect(clever))
    assert "\n" not in caught.value.message
    assert len(caught.value.message) < 300


async def test_the_token_never_appears_in_errors_or_logs(
    connect: ConnectClient, caplog: pytest.LogCaptureFixture
) -> None:
    echo = {"message": f"token {TOKEN} is not valid for Bearer {TOKEN}"}
    clever = ScriptedClever(reply(503, echo), reply(500, text=f"Bearer {TOKEN}"), reply(400, echo))
    caplog.set_level(logging.DEBUG, logger="rostersync")
    with pytest.raises(CleverRequestError) as caught:
        await read_users(connect(clever))
    assert TOKEN not in caught.value.message
    assert "[redacted]" in caught.value.message
    assert len(caplog.records) == 2  # the two retries were logged
    for record in caplog.records:
        assert TOKEN not in record.getMessage()
        assert TOKEN not in str(vars(record))
        assert "role=student" not in record.getMessage()  # paths only, no query strings


async def test_the_token_never_appears_when_clever_is_unreachable(
    connect: ConnectClient, caplog: pytest.LogCaptureFixture
) -> None:
    clever = ScriptedClever(reply(502, {"message": f"upstream said {TOKEN}"}))
    caplog.set_level(logging.DEBUG, logger="rostersync")
    with pytest.raises(CleverUnavailableError) as caught:
        await read_users(connect(clever))
    assert TOKEN not in caught.value.message
    assert TOKEN not in repr(caught.value)
    assert all(TOKEN not in str(vars(record)) for record in caplog.records)
