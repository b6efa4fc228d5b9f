"""Clever Secure Sync: connect districts from their tokens, and sync one from Clever."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from rostersync.config import Settings
from rostersync.db import Database
from rostersync.districts import service as districts
from rostersync.districts.models import District
from rostersync.districts.tokens import TokenCipher
from rostersync.errors import AppError
from rostersync.sources.clever import CleverClient, CleverOAuthClient, CleverSource
from rostersync.syncs import service
from rostersync.syncs.engine import StageProgress
from rostersync.syncs.exceptions import DistrictNotSyncableError
from rostersync.syncs.schemas import SyncRunOut


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
    if district.source != "clever":
        raise DistrictNotSyncableError(
            f"District {district.code} takes OneRoster CSV uploads; there is no Clever to sync."
        )
    if district.clever_token_encrypted is None:
        raise DistrictNotSyncableError(
            f"District {district.code} is not connected to Clever yet: run "
            f"`rostersync district connect --code {district.code} --clever-token …` "
            "or `rostersync clever discover`."
        )
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


async def discover(
    session: AsyncSession, http: httpx.AsyncClient, settings: Settings
) -> list[Discovered]:
    """Connect every district that has installed the app; refresh known districts' tokens."""
    oauth = CleverOAuthClient(
        http,
        oauth_base_url=settings.clever.oauth_url,
        client_id=settings.clever.client_id,
        client_secret=settings.clever.client_secret.get_secret_value(),
    )
    found = []
    for token in await oauth.district_tokens():
        known = await districts.get_by_clever_id(session, token.district_id)
        info = await clever_client(http, settings, token.access_token).get_district()
        name = str(info.get("name") or token.district_id)
        code = known.code if known else await _free_code(session, name)
        await connect(session, http, settings, code, token.access_token)
        found.append(Discovered(code, name, new=known is None))
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


Listener = Callable[[StageProgress], Awaitable[None]]


async def sync_district(
    database: Database,
    http: httpx.AsyncClient,
    settings: Settings,
    code: str,
    *,
    started_by: str,
    trigger: str = "on_demand",
    preview: bool = False,
    listener: Listener | None = None,
) -> SyncRunOut:
    """Run one Clever sync in the foreground and return the finished run."""
    async with database.sessionmaker.begin() as session:
        district = await districts.get_district(session, code)
        token = district_token(district, settings)
        run = await service.create_run(
            session,
            district,
            trigger=trigger,
            started_by=started_by,
            preview=preview,
            status="processing",
        )
    source = CleverSource(clever_client(http, settings, token))
    await service.RunExecutor(database, listener).execute(
        run.id, district.id, source, preview=preview
    )
    return await load_run(database, run.id)


async def load_run(database: Database, run_id: uuid.UUID) -> SyncRunOut:
    async with database.sessionmaker() as session:
        found = await service.get_run_out(session, run_id)
    if found is None:
        raise AppError(f"sync run {run_id} vanished", 500)
    return found
