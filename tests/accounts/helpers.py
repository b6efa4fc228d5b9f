"""Signing in from tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rostersync.accounts.cookies import CSRF_HEADER, SESSION_COOKIE
from rostersync.accounts.models import Session

PASSWORD = "a-long-enough-password"
WRONG_MESSAGE = "The District ID, username or password is not right."


class FakeClock:
    """The app's clock in tests: SQL now() is frozen for a test, this one moves on demand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


async def login(
    client: httpx.AsyncClient,
    *,
    district: str = "DEMO",
    username: str = "admin",
    password: str = PASSWORD,
) -> httpx.Response:
    body = {"district": district, "username": username, "password": password}
    return await client.post("/auth/login", json=body)


async def signed_in(client: httpx.AsyncClient) -> dict[str, str]:
    """Sign in (the client keeps the cookies); the login body."""
    response = await login(client)
    assert response.status_code == 200, response.text
    body: dict[str, str] = response.json()
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def cookie_only(client: httpx.AsyncClient, token: str) -> dict[str, str]:
    """Headers that present `token` as the session cookie, and nothing else."""
    client.cookies.clear()
    return {"Cookie": f"{SESSION_COOKIE}={token}"}


def csrf(token: str) -> dict[str, str]:
    return {CSRF_HEADER: token}


async def session_rows(session: AsyncSession) -> Sequence[Session]:
    return (await session.execute(select(Session).order_by(Session.created_at))).scalars().all()
