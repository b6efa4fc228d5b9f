"""The collector is kept out of bulk parsing, and gets back everything when reading ends."""

from __future__ import annotations

import gc
import weakref

import pytest

from rostersync.gcpause import bulk_reading, paused_gc


class Node:
    """A weakly referable object that can sit in a reference cycle."""

    def __init__(self) -> None:
        self.other: Node | None = None


def cycle() -> weakref.ref[Node]:
    """A two-object cycle nothing else refers to: only the collector can free it."""
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


@pytest.fixture(autouse=True)
def nothing_frozen() -> None:
    gc.collect()
    assert gc.get_freeze_count() == 0
    assert gc.isenabled()


def test_a_pause_outside_bulk_reading_freezes_nothing() -> None:
    with paused_gc():
        assert not gc.isenabled()
        kept = [{"id": str(i)} for i in range(1000)]
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
    assert len(kept) == 1000


def test_bulk_reading_freezes_what_a_pause_built_and_hands_it_back_at_the_end() -> None:
    with bulk_reading():
        with paused_gc():
            page = [{"id": str(i), "roles": {"student": {}}} for i in range(1000)]
        assert gc.isenabled()
        assert gc.get_freeze_count() >= 2000  # the page's dicts are out of the collector's way
        garbage = cycle()
        with paused_gc():
            pass
        gc.collect()
        assert garbage() is not None  # frozen with the rest: it waits for the scope's end
    assert gc.get_freeze_count() == 0
    assert garbage() is None  # collected when the scope ended
    assert len(page) == 1000


def test_frozen_objects_are_still_freed_when_nothing_refers_to_them() -> None:
    with bulk_reading():
        with paused_gc():
            page = [Node() for _ in range(100)]
        first = weakref.ref(page[0])
        frozen = gc.get_freeze_count()
        del page
        assert first() is None
        assert gc.get_freeze_count() <= frozen - 100


def test_nested_scopes_unfreeze_only_when_the_last_one_ends() -> None:
    with bulk_reading():
        with bulk_reading(), paused_gc():
            garbage = cycle()
        assert gc.get_freeze_count() > 0
        gc.collect()
        assert garbage() is not None
    assert gc.get_freeze_count() == 0
    assert garbage() is None


def test_a_pause_with_the_collector_already_off_leaves_it_off() -> None:
    gc.disable()
    try:
        with bulk_reading(), paused_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
