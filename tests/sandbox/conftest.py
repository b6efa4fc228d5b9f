"""Fixtures for the offline Clever tests: in-process apps, fake clocks, schemas.

Nothing here touches the network or a database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from rostersync.sandbox import SandboxConfig, create_sandbox_app, sandbox_state

from .helpers import FakeClock, Sandbox, Schemas

SandboxFactory = Callable[..., Awaitable[Sandbox]]


@pytest.fixture(scope="session")
def schemas() -> Schemas:
    return Schemas()


async def _open(clients: list[httpx.AsyncClient], **overrides: Any) -> Sandbox:
    clock = FakeClock()
    config = SandboxConfig(**{"control": True, "clock": clock, **overrides})
    app = create_sandbox_app(config)
    transport = httpx.ASGITransport(app=app)
    client = httpx.AsyncClient(transport=transport, base_url="http://sandbox")
    clients.append(client)
    return Sandbox(sandbox_state(app), client, clock)


@pytest.fixture
async def sbx_factory() -> AsyncIterator[SandboxFactory]:
    """Make sandboxes with config overrides (control endpoints on, fake clock)."""
    clients: list[httpx.AsyncClient] = []

    async def make(**overrides: Any) -> Sandbox:
        return await _open(clients, **overrides)

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
async def sbx(sbx_factory: SandboxFactory) -> Sandbox:
    """A fresh default district (200 students) that the test may change."""
    return await sbx_factory()


@pytest.fixture(scope="session")
async def shared_sbx() -> AsyncIterator[Sandbox]:
    """A read-only district shared by tests that do not change data or time."""
    clients: list[httpx.AsyncClient] = []
    yield await _open(clients, students=600, rate_limit_per_minute=1_000_000)
    await clients[0].aclose()
