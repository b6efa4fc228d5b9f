"""Deterministic hashing and formatting helpers.

Records are generated on demand from (seed, district, kind, index), so every
random-looking value comes from a 64-bit integer hash that is identical in every
process (unlike Python's salted ``hash()`` of strings).
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

M64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15


def smix(x: int) -> int:
    """The splitmix64 finaliser: cheap in pure Python and well distributed."""
    x = (x + _GOLDEN) & M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M64
    return x ^ (x >> 31)


def mix(*parts: int) -> int:
    """Hash a tuple of integers into 64 bits."""
    h = 0x243F6A8885A308D3
    for part in parts:
        h = smix(h ^ (part & M64))
    return h


def text_code(text: str) -> int:
    """Stable 64-bit code for a short string (used to key hashes by name)."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def pick(items: Sequence[T], h: int) -> T:
    return items[h % len(items)]


def object_id(ts: int, tag: int, counter: int) -> str:
    """A 24-hex id shaped like a MongoDB ObjectId, as Clever's ids are.

    Leading creation seconds make ids sort by creation time, which is the order
    Clever pages in; the counter keeps ids with the same second distinct.
    """
    return f"{ts:08x}{tag:010x}{counter:06x}"


@functools.lru_cache(maxsize=8192)
def _day(day: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(day * 86_400))


def iso_ms(seconds: int, millis: int) -> str:
    """``YYYY-MM-DDTHH:MM:SS.mmmZ``, Clever's timestamp format."""
    # Hot path of every page: format the date from a bounded cache, the time by hand.
    day, rest = divmod(seconds, 86_400)
    hour, rest = divmod(rest, 3_600)
    minute, second = divmod(rest, 60)
    return f"{_day(day)}T{hour:02d}:{minute:02d}:{second:02d}.{millis:03d}Z"


def iso_now(now: float) -> str:
    whole = int(now)
    return iso_ms(whole, int((now - whole) * 1000) % 1000)


def ymd(seconds: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(seconds))


def mdy(seconds: int) -> str:
    """``M/D/YYYY`` without zero padding, the spec's ``dob`` pattern."""
    t = time.gmtime(seconds)
    return f"{t.tm_mon}/{t.tm_mday}/{t.tm_year}"
