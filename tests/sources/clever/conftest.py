from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from rostersync.sources.clever import CleverClient
from tests.sources.clever.fakes import BASE, TOKEN, ConnectClient, FakeTime, Handler


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
async def open_http() -> AsyncIterator[Callable[[Handler], httpx.AsyncClient]]:
    """httpx clients whose transport is a fake Clever; closed after the test."""
    opened: list[httpx.AsyncClient] = []

    def make(handler: Handler) -> httpx.AsyncClient:
        opened.append(httpx.AsyncClient(transport=httpx.MockTransport(handler)))
        return opened[-1]

    yield make
    for http in opened:
        await http.aclose()


@pytest.fixture
def connect(
    open_http: Callable[[Handler], httpx.AsyncClient], fake_time: FakeTime
) -> ConnectClient:
    """A CleverClient talking to the given fake Clever, sleeping on the fake clock."""

    def make(handler: Handler, **options: Any) -> CleverClient:
        return CleverClient(
            open_http(handler),
            api_base_url=options.pop("api_base_url", BASE),
            token=TOKEN,
            sleep=fake_time.sleep,
            clock=fake_time.clock,
            **options,
        )

    return make
