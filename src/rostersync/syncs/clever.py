"""Clever Secure Sync: connect districts from their tokens, and sync one from Clever."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from rostersync.config import Settings
from rostersync.db import Database
from rostersync.districts import service as districts
from rostersync.districts.models import District
from rostersync.districts.tokens import TokenCipher
from rostersync.roster.sources import RosterSource
from rostersync.sources.clever import CleverClient, CleverOAuthClient, CleverSource
from rostersync.syncs import service, worker
from rostersync.syncs.executor import ProgressListener, QueueRun
from rostersync.syncs.queue import ClaimedRun
from rostersync.syncs.schemas import SyncRunOut
from rostersync.syncs.worker import SourceOpener


def clever_client(http: httpx.AsyncClient, settings: Settings, token: str) -> CleverClient:
    return CleverClient(
        http,
        api_base_url=settings.clever.api_url,
        token=token,
        page_limit=settings.clever.page_limit,
    )


def cipher(settings: Settings) -> TokenCipher:
    return TokenCipher(settings.token_encryption_key_value)


def district_token(district: District, settings: Settings) -> str:
    service.require_clever_connection(district)
    assert district.clever_token_encrypted is not None
    return cipher(settings).decrypt(district.clever_token_encrypted)


async def connect(
    session: AsyncSession, http: httpx.AsyncClient, settings: Settings, code: str, token: str
) -> District:
    """Read the token's district from Clever and connect it under `code`."""
    info = await clever_client(http, settings, token).get_district()
    return await districts.connect_clever_district(
        session,
        code=code.strip().upper(),
        name=str(info.get("name") or code),
        clever_district_id=str(info["id"]),
        encrypted_token=cipher(settings).encrypt(token),
    )


@dataclass(frozen=True)
class Discovered:
    code: str
    name: str
    new: bool
    disconnected: bool = False


async def discover(
    session: AsyncSession,
    http: httpx.AsyncClient,
    settings: Settings,
    *,
    disconnect_missing: bool = False,
    initial_sync: bool = False,
) -> list[Discovered]:
    """Connect every district that has installed the app; refresh known districts' tokens.

    With `initial_sync`, a newly connected district gets an `initial` run; with
    `disconnect_missing`, a connected district whose token is gone is disconnected.
    """
    oauth = CleverOAuthClient(
        http,
        oauth_base_url=settings.clever.oauth_url,
        client_id=settings.clever.client_id,
        client_secret=settings.clever.client_secret.get_secret_value(),
    )
    tokens = await oauth.district_tokens()
    found = []
    for token in tokens:
        known = await districts.get_by_clever_id(session, token.district_id)
        info = await clever_client(http, settings, token.access_token).get_district()
        name = str(info.get("name") or token.district_id)
        code = known.code if known else await _free_code(session, name)
        district = await connect(session, http, settings, code, token.access_token)
        if known is None and initial_sync:
            await service.create_run(session, district, trigger="initial", started_by="system")
        found.append(Discovered(code, name, new=known is None))
    if disconnect_missing:
        gone = await districts.disconnect_missing(session, {t.district_id for t in tokens})
        found.extend(Discovered(code, code, new=False, disconnected=True) for code in gone)
    return found


# Words every district name has; a District ID is easier to type without them.
_GENERIC_WORDS = frozenset(
    {
        "THE",
        "OF",
        "SCHOOL",
        "SCHOOLS",
        "DISTRICT",
        "PUBLIC",
        "UNIFIED",
        "INDEPENDENT",
        "CONSOLIDATED",
        "COUNTY",
        "CITY",
        "USD",
        "ISD",
        "CSD",
        "SD",
    }
)


def code_from_name(name: str) -> str:
    """'Riverside Unified School District' -> 'RIVERSIDE'."""
    words = re.findall(r"[A-Z0-9]+", name.upper())
    kept = [w for w in words if w not in _GENERIC_WORDS] or words
    code = "".join(kept)[:16] or "DISTRICT"
    return code if len(code) >= 2 else f"{code}0"


async def _free_code(session: AsyncSession, name: str) -> str:
    """A District ID from the name, made unique with a suffix."""
    base = code_from_name(name)
    candidate, n = base, 1
    while await districts.find_district(session, candidate) is not None:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def source_opener(database: Database, http: httpx.AsyncClient, settings: Settings) -> SourceOpener:
    """How a worker reads a claimed run's district: from Clever, with the district's token."""

    @asynccontextmanager
    async def open_source(run: ClaimedRun) -> AsyncIterator[RosterSource]:
        async with database.sessionmaker() as session:
            district = await districts.get_district_by_id(session, run.district_id)
        yield CleverSource(clever_client(http, settings, district_token(district, settings)))

    return open_source


async def sync_district(
    database: Database,
    http: httpx.AsyncClient,
    settings: Settings,
    code: str,
    *,
    started_by: str,
    trigger: str = "on_demand",
    preview: bool = False,
    listener: ProgressListener | None = None,
) -> SyncRunOut:
    """Queue one Clever sync and execute it here, in the foreground; return the finished run."""
    run_id = await worker.execute_here(
        database,
        settings.worker.lease_seconds,
        sync_queuer(code, started_by=started_by, trigger=trigger, preview=preview),
        source_opener(database, http, settings),
        listener=listener,
    )
    return await service.load_run(database, run_id)


def sync_queuer(code: str, *, started_by: str, trigger: str, preview: bool) -> QueueRun:
    """Queues a Clever sync of district `code` in the caller's transaction."""

    async def queue_run(session: AsyncSession) -> uuid.UUID:
        district = await districts.get_district(session, code)
        service.require_clever_connection(district)
        run = await service.create_run(
            session, district, trigger=trigger, started_by=started_by, preview=preview
        )
        return run.id

    return queue_run
