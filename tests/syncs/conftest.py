"""Engine tests commit for real (the engine uses its own connections), then truncate."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field

import pytest
from sqlalchemy import text

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


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = create_database(database_url, pool_size=6)
    yield db
    async with db.engine.begin() as connection:
        await connection.execute(
            text("TRUNCATE districts, enrollments, sync_changes RESTART IDENTITY CASCADE")
        )
        staged = await connection.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'staging'")
        )
        for (name,) in staged:
            await connection.execute(text(f'DROP TABLE staging."{name}"'))
    await db.dispose()


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
