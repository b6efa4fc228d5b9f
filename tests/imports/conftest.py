"""Uploads end to end: the app with committed sessions, a OneRoster district, a worker."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from rostersync.app import create_app
from rostersync.config import Settings, UploadSettings
from rostersync.db import Database
from rostersync.districts.models import District
from rostersync.districts.schemas import DistrictCreate
from rostersync.districts.service import create_district
from rostersync.imports.models import SyncUpload
from rostersync.imports.opener import upload_opener
from rostersync.syncs.models import SyncRun
from rostersync.syncs.schemas import SyncRunOut
from rostersync.syncs.service import load_run
from rostersync.syncs.worker import execute_inline
from tests.conftest import make_settings
from tests.syncs.conftest import bearer, database

__all__ = ["database"]

UPLOAD_LIMIT = 200_000  # bytes: small enough for a test to exceed


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    work = tmp_path / "uploads"
    return make_settings(database_url, upload=UploadSettings(max_bytes=UPLOAD_LIMIT, work_dir=work))


@pytest.fixture
async def api(database: Database, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its own sessions (requests commit, as in production); no worker."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def add_district(database: Database, code: str, source: str = "oneroster_csv") -> District:
    async with database.sessionmaker.begin() as session:
        data = DistrictCreate(code=code, name=f"{code.title()} Schools", source=source)
        return await create_district(session, data)


@pytest.fixture
async def district(database: Database) -> District:
    return await add_district(database, "SELFSERV")


@pytest.fixture
async def owner(api: httpx.AsyncClient, database: Database, district: District) -> dict[str, str]:
    """The district's Account Owner's headers."""
    return await bearer(api, database, district)


def parts(files: Mapping[str, Path]) -> list[tuple[str, tuple[str, bytes, str]]]:
    """Multipart file parts, each named by its file name, as curl -F name=@file sends them."""
    return [(name, (name, path.read_bytes(), "text/csv")) for name, path in files.items()]


async def work(database: Database, settings: Settings, run_id: uuid.UUID) -> SyncRunOut:
    """Execute the queued run as a worker would, with the upload opener; the run after."""
    opener = upload_opener(database, settings.upload)
    assert await execute_inline(database, 60.0, run_id, opener)
    return await load_run(database, run_id)


async def stored_chunks(database: Database, run_id: uuid.UUID | None = None) -> int:
    query = select(func.count()).select_from(SyncUpload)
    if run_id is not None:
        query = query.where(SyncUpload.sync_run_id == run_id)
    async with database.sessionmaker() as session:
        return int((await session.execute(query)).scalar_one())


async def run_count(database: Database) -> int:
    async with database.sessionmaker() as session:
        return int((await session.execute(select(func.count()).select_from(SyncRun))).scalar_one())
