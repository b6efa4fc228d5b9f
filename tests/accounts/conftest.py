from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from rostersync.accounts.dependencies import CallerDep, SyncManagerDep, get_clock
from rostersync.accounts.models import Account
from rostersync.accounts.service import create_account_owner
from rostersync.districts.models import District
from rostersync.districts.schemas import DistrictCreate
from rostersync.districts.service import create_district
from tests.accounts.helpers import PASSWORD, FakeClock


@pytest.fixture
async def district(session: AsyncSession) -> District:
    return await create_district(session, DistrictCreate(code="DEMO", name="Demo USD"))


@pytest.fixture
async def owner(session: AsyncSession, district: District) -> Account:
    return await create_account_owner(session, district, "Admin", PASSWORD)


@pytest.fixture
def clock(app: FastAPI) -> FakeClock:
    fake = FakeClock(datetime.now(UTC))
    app.dependency_overrides[get_clock] = lambda: fake
    return fake


async def _show_caller(caller: CallerDep) -> dict[str, object]:
    return {
        **asdict(caller),
        "session_id": str(caller.session_id),
        "is_operator": caller.is_operator,
    }


async def _show_sync_manager(caller: SyncManagerDep) -> dict[str, object]:
    return {"kind": caller.kind, "name": caller.name}


@pytest.fixture
def probe(app: FastAPI) -> str:
    """Test-only routes behind CallerDep (GET/POST/DELETE) and SyncManagerDep (POST)."""
    app.router.add_api_route("/_test/caller", _show_caller, methods=["GET", "POST", "DELETE"])
    app.router.add_api_route("/_test/sync-manager", _show_sync_manager, methods=["POST"])
    return "/_test/caller"
