"""OneRosterSource: an opened upload as the roster source the sync engine reads."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable, Mapping
from functools import partial
from types import MappingProxyType, TracebackType
from typing import Any, ParamSpec, TypeVar

from rostersync.roster.records import Batch

from ._batches import Batches
from ._index import Index
from ._spec import CLASSES, COURSES, ENROLLMENTS, ORGS, ROLES, SESSIONS, USERS, FileSpec
from ._upload import OneRosterUpload

P = ParamSpec("P")
T = TypeVar("T")

SCHOOLS_BATCH = 2_000
USERS_BATCH = 5_000
CLASSES_BATCH = 1_000  # with their members: some 30,000 enrollments a batch
# Files are indexed in this order; a collection starts once the last file it needs is in.
LOAD_ORDER = (ORGS, SESSIONS, COURSES, USERS, ROLES, CLASSES, ENROLLMENTS)


class OneRosterSource:
    """Schools, users and sections of one upload, a few thousand records a batch.

    The files are first indexed into a temporary SQLite database in the upload's workdir
    (so a class's enrollments can be found without holding enrollments.csv in memory);
    schools start as soon as orgs.csv is in, users once users.csv (and roles.csv) are, and
    sections after enrollments.csv. All file and database work runs in worker threads, one
    step at a time. Use it as an async context manager: leaving it removes the index.
    """

    def __init__(self, upload: OneRosterUpload) -> None:
        self._upload = upload
        self._lock = asyncio.Lock()  # one thread at a time uses the index's connection
        self._index: Index | None = None
        self._batches: Batches | None = None
        self._loaded: dict[str, asyncio.Future[None]] = {}
        self._loader: asyncio.Task[None] | None = None
        self._skipped: Counter[str] = Counter()

    @property
    def skipped(self) -> Mapping[str, int]:
        """Rows deliberately not rostered, by reason ("users.csv: role parent": 120)."""
        return MappingProxyType(self._skipped)

    def collections(self) -> Mapping[str, AsyncIterator[Batch]]:
        return {"schools": self._schools(), "users": self._users(), "sections": self._sections()}

    async def __aenter__(self) -> OneRosterSource:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop indexing and remove the index (waiting for a step in progress to end)."""
        if self._loader is not None:
            self._loader.cancel()
            await asyncio.gather(self._loader, return_exceptions=True)
        async with self._lock:
            if self._index is not None:
                await asyncio.to_thread(self._index.close)
                self._index = None

    async def _schools(self) -> AsyncIterator[Batch]:
        batches = await self._ready(ORGS)
        async for batch in self._pages(ORGS, SCHOOLS_BATCH, batches.schools):
            yield batch

    async def _users(self) -> AsyncIterator[Batch]:
        batches = await self._ready(ROLES)
        orgs = await self._run(batches.org_types)
        async for batch in self._pages(USERS, USERS_BATCH, partial(batches.users, orgs)):
            yield batch
        async for batch in self._rejections(batches.orphan_roles):
            yield batch

    async def _sections(self) -> AsyncIterator[Batch]:
        batches = await self._ready(ENROLLMENTS)
        lookups = await self._run(batches.lookups)
        async for batch in self._pages(CLASSES, CLASSES_BATCH, partial(batches.sections, lookups)):
            yield batch
        async for batch in self._rejections(batches.orphan_enrollments):
            yield batch

    async def _pages(
        self, spec: FileSpec, size: int, build: Callable[[int, int], Batch]
    ) -> AsyncIterator[Batch]:
        assert self._batches is not None
        total = await self._run(self._batches.count, spec)
        for start in range(1, total + 1, size):
            batch = await self._run(build, start, start + size)
            if batch:
                yield batch

    async def _rejections(self, build: Callable[[int], tuple[Batch, int]]) -> AsyncIterator[Batch]:
        batch, after = await self._run(build, 0)
        while batch:
            yield batch
            batch, after = await self._run(build, after)

    async def _ready(self, spec: FileSpec) -> Batches:
        """Batches, once `spec`'s file (and every one before it) is indexed."""
        if self._loader is None:
            loop = asyncio.get_running_loop()
            self._loaded = {s.name: loop.create_future() for s in LOAD_ORDER}
            self._loader = asyncio.create_task(self._load())
        await asyncio.shield(self._loaded[spec.name])
        assert self._batches is not None
        return self._batches

    async def _load(self) -> None:
        """Index the files in LOAD_ORDER; a failure fails every collection still waiting."""
        try:
            self._index = await self._run(Index, self._upload.workdir)
            has_roles = self._upload.has_roles
            self._batches = Batches(self._index, has_roles=has_roles, skipped=self._skipped)
            for spec in LOAD_ORDER:
                await self._load_file(self._index, spec)
                self._loaded[spec.name].set_result(None)
        except Exception as exc:
            for future in self._loaded.values():
                if not future.done():
                    future.set_exception(exc)
                    future.exception()  # retrieved: a collection may never come to wait
        finally:
            for future in self._loaded.values():
                future.cancel()  # (cancelled while loading) no-op on those already done

    async def _load_file(self, index: Index, spec: FileSpec) -> None:
        file = self._upload.files.get(spec.name)
        if file is not None:
            steps = index.load(file, spec)
            while await self._run(next, steps, False):
                pass

    async def _run(self, work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`work` in a worker thread, holding the lock until the thread is done with it.

        A cancelled caller stops waiting, but the lock stays held until the step ends, so
        the next step (or aclose) never uses the connection while a thread still does.
        """
        await self._lock.acquire()
        future = asyncio.ensure_future(asyncio.to_thread(work, *args, **kwargs))
        future.add_done_callback(self._release)
        return await asyncio.shield(future)

    def _release(self, future: asyncio.Future[Any]) -> None:
        self._lock.release()
        if not future.cancelled():
            future.exception()  # retrieved: a caller cancelled meanwhile no longer wants it
