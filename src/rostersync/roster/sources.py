"""What the sync engine needs of a roster source (Clever, OneRoster CSV, ...)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Protocol, runtime_checkable

from rostersync.roster.records import Batch


class RosterSource(Protocol):
    """A source is a set of named collections, each an async iterator of record batches.

    The engine reads every collection concurrently and stages what they yield. A collection
    that raises fails the run; one that ends normally was read to its end. The records of a
    batch may be of several kinds: a section's enrollments must come in the section's own
    batch, right after it (the engine fingerprints each section's members from them).
    """

    def collections(self) -> Mapping[str, AsyncIterator[Batch]]: ...


@runtime_checkable
class SkipsRecords(Protocol):
    """A source that leaves some rows out on purpose (OneRoster parents, ...) and says so."""

    @property
    def skipped(self) -> Mapping[str, int]:
        """How many rows, by reason ("users.csv: role parent": 120), once read through."""
        ...
