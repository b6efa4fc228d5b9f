"""The source-agnostic sync engine: stage -> diff -> (guards) -> apply.

Every collection of the source is read concurrently; each feeds a bounded queue drained by a
writer that COPYs into the run's staging tables on its own connection, so reading overlaps
writing and memory holds only a few pages. The diff is SQL; applying it is one transaction.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from rostersync.gcpause import bulk_reading
from rostersync.roster.records import Batch, UserRecord
from rostersync.roster.sources import RosterSource
from rostersync.syncs.counts import Counts, compute_counts
from rostersync.syncs.diff import (
    UserDiff,
    diff_enrollments,
    diff_people_and_places,
    id_sequences,
)
from rostersync.syncs.guards import Impact, active_now, measure
from rostersync.syncs.staging import (
    KINDS,
    StageWriter,
    StagingTables,
    create_tables,
    drop_orphaned_tables,
    drop_tables,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")
QUEUE_BATCHES = 2  # pages buffered per collection between its reader and its writer
_DONE = object()


@dataclass
class CollectionProgress:
    pages: int = 0
    records: int = 0
    done: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"pages": self.pages, "records": self.records, "done": self.done}


@dataclass
class StageProgress:
    collections: dict[str, CollectionProgress] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {name: p.as_dict() for name, p in self.collections.items()}


ProgressCallback = Callable[[StageProgress], Awaitable[None]]


async def _ignore_progress(progress: StageProgress) -> None:
    return None


@asynccontextmanager
async def raw_connection(engine: AsyncEngine) -> AsyncIterator[asyncpg.Connection]:
    """The asyncpg connection under a pooled SQLAlchemy one (for COPY and bulk SQL).

    A block that fails or is cancelled may leave it inside a transaction SQLAlchemy knows
    nothing of (a task cancelled while asyncpg begins or ends one: about one cancellation in
    five in `test_a_cancelled_block_never_hands_on_its_transaction`), which the pool would
    hand to the next user, locks held and writes uncommitted: such a connection is discarded.
    """
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver: asyncpg.Connection = raw.driver_connection  # type: ignore[assignment]
        try:
            yield driver
        except BaseException:
            with suppress(Exception):  # discarded either way; the block's error is the news
                await connection.invalidate()
            raise


class SyncEngine:
    def __init__(self, engine: AsyncEngine, on_progress: ProgressCallback = _ignore_progress):
        self._engine = engine
        self._on_progress = on_progress

    async def stage(self, staging_id: uuid.UUID, district_id: int, source: RosterSource) -> Staged:
        """Read every collection to its end into fresh staging tables, diffing the users as
        they come, and count the roster's active records meanwhile."""
        tables = StagingTables(staging_id)
        async with raw_connection(self._engine) as conn:
            user_diff = UserDiff(tables, district_id, (await id_sequences(conn))["users"])
            await create_tables(conn, tables, user_diff.create)
        staging = _Staging(tables, district_id, user_diff)
        # Pages are parsed and mapped with the collector frozen out of the way (gcpause).
        with bulk_reading():
            async with asyncio.TaskGroup() as group:
                active = group.create_task(self.active_now(district_id), name="count active")
                for name, batches in source.collections().items():
                    staging.progress.collections[name] = CollectionProgress()
                    queue: asyncio.Queue[Any] = asyncio.Queue(QUEUE_BATCHES)
                    group.create_task(self._read(batches, queue), name=f"read {name}")
                    group.create_task(self._write(queue, staging, name), name=f"write {name}")
        return Staged(staging.progress, active.result())

    async def _read(self, batches: AsyncIterator[Batch], queue: asyncio.Queue[Any]) -> None:
        async for batch in batches:
            await queue.put(batch)
        await queue.put(_DONE)

    async def _write(self, queue: asyncio.Queue[Any], staging: _Staging, name: str) -> None:
        progress = staging.progress
        async with raw_connection(self._engine) as conn:
            writer = StageWriter(conn, staging.tables, staging.district_id)
            while (batch := await queue.get()) is not _DONE:
                await staging.write(conn, writer, batch)
                collection = progress.collections[name]
                collection.pages += 1
                collection.records += len(batch)
                await self._on_progress(progress)
        progress.collections[name].done = True
        await self._on_progress(progress)

    async def diff(self, staging_id: uuid.UUID, district_id: int, staged: Staged) -> Counts:
        """The whole diff and its counts, nothing applied (previews)."""
        kept = await self.diff_people_and_places(staging_id, district_id, staged)
        await self.diff_enrollments(staging_id, district_id)
        return await self.counts(staging_id, kept)

    async def diff_people_and_places(
        self, staging_id: uuid.UUID, district_id: int, staged: Staged
    ) -> dict[str, int]:
        """Returns what the run keeps active (`staged_records`), for `measure` and `counts`."""
        step = partial(diff_people_and_places, active_users=staged.active["users"])
        return await self._timed(
            staging_id, "schools, users and sections diffed", step, district_id
        )

    async def diff_enrollments(self, staging_id: uuid.UUID, district_id: int) -> None:
        await self._timed(staging_id, "enrollments diffed", diff_enrollments, district_id)

    async def active_now(self, district_id: int) -> dict[str, int]:
        """The district's active records per guarded entity, before the run (for guards)."""
        async with raw_connection(self._engine) as conn:
            return await active_now(conn, district_id)

    async def measure(
        self, staging_id: uuid.UUID, active: Mapping[str, int], kept: Mapping[str, int]
    ) -> Impact:
        """What the diffed schools, people and sections would do to the roster (for guards),
        with `active_now`'s counts and what `diff_people_and_places` keeps."""
        async with raw_connection(self._engine) as conn:
            return await measure(conn, StagingTables(staging_id), active, kept)

    async def counts(self, staging_id: uuid.UUID, kept: Mapping[str, int]) -> Counts:
        """The run's counts; `kept` as `diff_people_and_places` returned it."""
        async with raw_connection(self._engine) as conn:
            return await compute_counts(conn, StagingTables(staging_id), kept)

    async def _timed(
        self,
        staging_id: uuid.UUID,
        done: str,
        step: Callable[[asyncpg.Connection, StagingTables, int], Awaitable[T]],
        district_id: int,
    ) -> T:
        started = time.perf_counter()
        async with raw_connection(self._engine) as conn:
            result = await step(conn, StagingTables(staging_id), district_id)
        logger.info(done, extra={"staging_id": str(staging_id), "seconds": _since(started)})
        return result

    async def drop_staging(self, staging_id: uuid.UUID) -> None:
        async with raw_connection(self._engine) as conn:
            await drop_tables(conn, StagingTables(staging_id))

    async def drop_orphaned_staging(self) -> int:
        """Drop staging tables no live or held run owns; returns how many were dropped."""
        async with raw_connection(self._engine) as conn:
            return await drop_orphaned_tables(conn)


@dataclass(frozen=True)
class Staged:
    """A staged run: how far each collection was read, and the roster's active records per
    entity (and `users` in all) before the run, counted while it was read."""

    progress: StageProgress
    active: dict[str, int]


@dataclass
class _Staging:
    """One run's stage in progress, shared by its collections' writers."""

    tables: StagingTables
    district_id: int
    user_diff: UserDiff
    progress: StageProgress = field(default_factory=StageProgress)
    # One page of users at a time is staged and diffed: a page that restages a user must not
    # land between another page's staging and its diff.
    users: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def write(self, conn: asyncpg.Connection, writer: StageWriter, batch: Batch) -> None:
        """Split a batch by record kind and stage each; diff its users."""
        by_type: dict[type[Any], list[Any]] = {}
        for record in batch:
            by_type.setdefault(type(record), []).append(record)
        for record_type in KINDS:
            records = by_type.get(record_type)
            if records is None:
                continue
            if record_type is not UserRecord:
                await writer.write(record_type, records)
                continue
            async with self.users:
                repeated = await writer.write(record_type, records)
                ids = [user.clever_id for user in records]
                await self.user_diff.add_page(conn, ids, repeated=repeated)


def _since(started: float) -> float:
    return round(time.perf_counter() - started, 3)
