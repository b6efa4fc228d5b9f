"""Pausing the cyclic garbage collector around bulk work that builds acyclic objects.

Parsing a 10,000-record Clever page creates about half a million dicts and tuples; the
collector runs a pass every 700 of them and finds nothing to free, because JSON cannot hold
a cycle. Measured on a page of users: parsing took 130 ms with the collector on and 52 ms
with it paused, mapping the records 155 ms and 81 ms. The pause covers synchronous code
only (no await inside), so nothing else in the process runs while it is in effect; the
objects are collected normally once it ends.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic collection inside the block; a no-op when the collector is already off."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
