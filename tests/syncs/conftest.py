"""Engine tests commit for real (the engine uses its own connections), then truncate."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from rostersync.accounts.service import create_account_owner
from rostersync.app import create_app
from rostersync.config import CleverSettings, Settings
from rostersync.db import Database, create_database
from rostersync.districts.models import District
from rostersync.districts.schemas import DistrictCreate
from rostersync.districts.service import create_district
from rostersync.errors import AppError
from rostersync.roster.records import (
    Batch,
    Record,
    SchoolRecord,
    SectionRecord,
    UserRecord,
)
from rostersync.roster.sources import RosterSource
from rostersync.sandbox import SandboxConfig, create_sandbox_app, sandbox_state
from rostersync.syncs import clever as clever_sync
from rostersync.syncs import executor, service
from rostersync.syncs.executor import Owner
from tests.conftest import make_settings


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = create_database(database_url, pool_size=6)
    yield db
    async with db.engine.begin() as connection:
        await connection.execute(
            text(
                "TRUNCATE districts, users, enrollments, sync_changes, sync_workers "
                "RESTART IDENTITY CASCADE"
            )
        )
        staged = await connection.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'staging'")
        )
        for (name,) in staged:
            await connection.execute(text(f'DROP TABLE staging."{name}"'))
    await db.dispose()


TEST_OWNER = Owner("test-worker", lease_seconds=60.0)


async def execute_now(
    database: Database, district: District, source: RosterSource, *, preview: bool = False
) -> uuid.UUID:
    """Queue a run, claim it as a worker would and execute it; its id."""
    async with database.sessionmaker.begin() as session:
        run = await service.create_run(
            session, district, trigger="on_demand", started_by="tester", preview=preview
        )
    claimed = await executor.claim(database, TEST_OWNER, run.id)
    assert claimed is not None
    await executor.RunExecutor(database, TEST_OWNER).execute(claimed, source)
    return run.id


async def make_district(database: Database, code: str) -> District:
    async with database.sessionmaker.begin() as session:
        return await create_district(session, DistrictCreate(code=code, name=code.title()))


@pytest.fixture
async def district(database: Database) -> District:
    return await make_district(database, "ALPHA")


class SourceFailedError(AppError):
    """What a source raises when its API gives up (an admin-readable failure)."""


@dataclass
class ListSource:
    """A RosterSource over in-memory batches; can fail part-way like a real API."""

    schools: list[Record] = field(default_factory=list)
    users: list[Record] = field(default_factory=list)
    sections: list[Record] = field(default_factory=list)
    batch_size: int = 3
    fail_in: str | None = None

    def collections(self) -> Mapping[str, AsyncIterator[Batch]]:
        return {
            "schools": self._batches("schools", self.schools),
            "users": self._batches("users", self.users),
            "sections": self._batches("sections", self.sections),
        }

    async def _batches(self, name: str, records: list[Record]) -> AsyncIterator[Batch]:
        for batch in _pages(records, self.batch_size):
            yield batch
            if name == self.fail_in:
                raise SourceFailedError(f"{name} broke after its first page")


def _pages(records: list[Record], size: int) -> list[Batch]:
    """Pages of about `size` records; a section and its enrollments share a page, as in Clever."""
    pages: list[Batch] = [[]]
    for record in records:
        starts_a_section = isinstance(record, SectionRecord)
        if len(pages[-1]) >= size and (starts_a_section or not _has_sections(pages[-1])):
            pages.append([])
        pages[-1].append(record)
    return [page for page in pages if page]


def _has_sections(page: Batch) -> bool:
    return any(isinstance(record, SectionRecord) for record in page)


def school(clever_id: str, name: str | None = None) -> SchoolRecord:
    return SchoolRecord(clever_id, name or f"School {clever_id}")


def person(
    clever_id: str, *roles: str, first: str = "Ada", email: str | None = None, **extra: object
) -> UserRecord:
    return UserRecord(
        clever_id,
        list(roles or ["student"]),
        first,
        None,
        "Lovelace",
        email,
        school_clever_ids=["s1"],
        **extra,  # type: ignore[arg-type]
    )


def section(
    clever_id: str, school_id: str, students: Iterable[str], teacher: str | None = None
) -> list[Record]:
    return [
        SectionRecord(
            clever_id,
            school_id,
            f"Section {clever_id}",
            student_clever_ids=list(students),
            teacher_clever_ids=[teacher] if teacher else [],
            primary_teacher_clever_id=teacher,
        )
    ]


SANDBOX = "http://sandbox"


class FakeClock:
    """Time for both the offline Clever and the client: waiting advances it instantly."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@dataclass
class Clever:
    http: httpx.AsyncClient
    settings: Settings
    clock: FakeClock
    app: Any

    async def control(self, path: str, **body: Any) -> Any:
        response = await self.http.post(f"{SANDBOX}/_sandbox/{path}", json=body)
        assert response.status_code < 300, response.text
        return response.json()

    def token(self, district: int = 0) -> str:
        state = sandbox_state(self.app)
        return state.district_token(state.district_ids[district])


@pytest.fixture
async def clever(database_url: str) -> AsyncIterator[Clever]:
    clock = FakeClock()
    config = SandboxConfig(students=120, districts=2, control=True, clock=clock)
    app = create_sandbox_app(config)
    settings = make_settings(
        database_url,
        clever=CleverSettings(
            api_base_url=SANDBOX, oauth_base_url=SANDBOX, client_id="sandbox-client", page_limit=40
        ),
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
        yield Clever(http, settings, clock, app)


async def connect(database: Database, clever: Clever, code: str, district: int = 0) -> District:
    async with database.sessionmaker.begin() as session:
        return await clever_sync.connect(
            session, clever.http, clever.settings, code, clever.token(district)
        )


PASSWORD = "correct horse battery staple"
ROSTER_TABLES = ("schools", "users", "sections", "enrollments")


async def roster_dump(database: Database) -> list[Any]:
    """Every roster row as text, in order: equal dumps mean an untouched roster."""
    async with database.sessionmaker() as session:
        dumped = []
        for table in ROSTER_TABLES:
            result = await session.execute(text(f"SELECT t::text FROM {table} t ORDER BY 1"))  # noqa: S608
            dumped.append(list(result.scalars()))
        return dumped


@pytest.fixture
async def committed_client(
    database: Database, database_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its own sessions (requests commit), for streamed responses."""
    app = create_app(make_settings(database_url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def bearer(
    client: httpx.AsyncClient, database: Database, district: District
) -> dict[str, str]:
    """Headers of the district's Account Owner `admin`, signed in."""
    async with database.sessionmaker.begin() as session:
        await create_account_owner(session, district, "admin", PASSWORD)
    response = await client.post(
        "/auth/login", json={"district": district.code, "username": "admin", "password": PASSWORD}
    )
    return {"Authorization": f"Bearer {response.json()['token']}"}
