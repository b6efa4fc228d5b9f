"""CleverSource: a district's Clever data as the roster source the sync engine reads."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from rostersync.gcpause import paused_gc
from rostersync.roster.records import Batch, Record

from ._client import CleverClient
from ._envelope import JsonObject
from ._fields import text
from ._records import map_school, map_section, map_user

MAP_SLICE = 500  # records mapped between two turns of the event loop

PageCallback = Callable[[str, int], None]
"""Called with (collection, Clever objects in the page) after each page is read."""


@dataclass(frozen=True)
class ReadProgress:
    """How much of one collection has been read from Clever so far."""

    pages: int = 0
    records: int = 0


def _ignore_page(collection: str, records: int) -> None:
    return None


class CleverSource:
    """Schools, users and sections of one district, one batch per Clever page.

    Every collection is read to its end or raises: a source that stops early must never look
    finished, or the engine would deactivate what it did not read.
    """

    def __init__(self, client: CleverClient, *, on_page: PageCallback = _ignore_page) -> None:
        self._client = client
        self._on_page = on_page
        self._progress: dict[str, ReadProgress] = {}

    @property
    def progress(self) -> Mapping[str, ReadProgress]:
        """Pages and Clever objects read per collection (a live, read-only view)."""
        return MappingProxyType(self._progress)

    def collections(self) -> Mapping[str, AsyncIterator[Batch]]:
        return {"schools": self._schools(), "users": self._users(), "sections": self._sections()}

    async def _schools(self) -> AsyncIterator[Batch]:
        async for page in self._pages("schools", "/v3.0/schools"):
            yield await _mapped(page, map_school)

    async def _users(self) -> AsyncIterator[Batch]:
        # All roles in one pass; contacts map to None and are left out.
        async for page in self._pages("users", "/v3.0/users"):
            yield await _mapped(page, map_user)

    async def _sections(self) -> AsyncIterator[Batch]:
        terms = await self._names("/v3.0/terms")
        courses = await self._names("/v3.0/courses")
        async for page in self._pages("sections", "/v3.0/sections"):
            yield await _mapped(page, lambda obj: map_section(obj, terms, courses))

    async def _pages(self, collection: str, path: str) -> AsyncIterator[list[JsonObject]]:
        self._progress[collection] = ReadProgress()
        async for page in self._client.iter_pages(path):
            seen = self._progress[collection]
            self._progress[collection] = ReadProgress(seen.pages + 1, seen.records + len(page))
            self._on_page(collection, len(page))
            yield page

    async def _names(self, path: str) -> dict[str, str]:
        """id -> name of a small collection (terms, courses), read whole."""
        names: dict[str, str] = {}
        async for page in self._client.iter_pages(path):
            for obj in page:
                clever_id, name = text(obj, "id"), text(obj, "name")
                if clever_id is not None and name is not None:
                    names[clever_id] = name
        return names


async def _mapped(page: list[JsonObject], mapper: Callable[[JsonObject], Record | None]) -> Batch:
    """The page's records, mapped a slice at a time with the event loop let in between.

    Mapping a page is a few hundred milliseconds of Python: in slices, the next page's request
    goes out (the client reads ahead) and the API keeps answering meanwhile. The page is
    emptied as it goes: the client's frame still holds the list, and the parsed JSON is
    several times the size of its records.
    """
    batch: Batch = []
    while page:
        chunk = page[:MAP_SLICE]
        del page[:MAP_SLICE]
        with paused_gc():
            batch += [record for obj in chunk if (record := mapper(obj)) is not None]
        del chunk
        await asyncio.sleep(0)
    return batch
