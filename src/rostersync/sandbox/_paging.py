"""Clever's range-based paging over merged, sorted id sequences."""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any
from urllib.parse import urlencode

from ._store import Seq

DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
Keep = Callable[[str], bool]


class PagingError(Exception):
    """A paging parameter Clever would refuse; carries the HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class PageParams:
    limit: int
    starting_after: str | None
    ending_before: str | None
    count: bool


@dataclass(frozen=True)
class Page:
    ids: list[str]
    has_prev: bool
    has_next: bool


def parse_params(query: Any) -> PageParams:
    """Read limit/starting_after/ending_before/count from a query mapping."""
    raw = query.get("limit")
    try:
        limit = DEFAULT_LIMIT if raw in (None, "") else int(raw)
    except ValueError:
        raise PagingError(400, f"limit must be an integer, got {raw!r}") from None
    if limit > MAX_LIMIT:
        raise PagingError(413, f"limit must be at most {MAX_LIMIT}")
    if limit < 1:
        raise PagingError(400, "limit must be positive")
    after, before = query.get("starting_after") or None, query.get("ending_before") or None
    if after and before:
        raise PagingError(400, "use either starting_after or ending_before, not both")
    return PageParams(limit, after, before, query.get("count") == "true")


def _forward(seqs: Sequence[Seq], starts: list[int]) -> Iterator[str]:
    pairs = zip(seqs, starts, strict=True)
    its = [map(seq.__getitem__, range(start, len(seq))) for seq, start in pairs]
    return its[0] if len(its) == 1 else heapq.merge(*its)


def _backward(seqs: Sequence[Seq], ends: list[int]) -> Iterator[str]:
    pairs = zip(seqs, ends, strict=True)
    its = [map(seq.__getitem__, range(end - 1, -1, -1)) for seq, end in pairs]
    return its[0] if len(its) == 1 else heapq.merge(*its, reverse=True)


def page(seqs: Sequence[Seq], keep: Keep, params: PageParams) -> Page:
    """One page of ids, ascending, plus whether kept ids exist before and after it."""
    limit = params.limit
    if params.ending_before is None:
        after = params.starting_after
        starts = [0 if after is None else bisect_right(seq, after) for seq in seqs]
        ids = list(islice(filter(keep, _forward(seqs, starts)), limit + 1))
        has_prev = after is not None and any(True for _ in filter(keep, _backward(seqs, starts)))
        return Page(ids[:limit], has_prev, len(ids) > limit)
    ends = [bisect_left(seq, params.ending_before) for seq in seqs]
    ids = list(islice(filter(keep, _backward(seqs, ends)), limit + 1))
    has_next = any(True for _ in filter(keep, _forward(seqs, ends)))
    return Page(ids[:limit][::-1], len(ids) > limit, has_next)


def links(path: str, query: list[tuple[str, str]], result: Page) -> list[dict[str, str]]:
    """self/next/prev links; next and prev keep every other query parameter."""
    kept = [(k, v) for k, v in query if k not in ("starting_after", "ending_before")]
    out = [{"rel": "self", "uri": path + ("?" + urlencode(query) if query else "")}]
    if result.has_next and result.ids:
        out.append(
            {
                "rel": "next",
                "uri": f"{path}?{urlencode([*kept, ('starting_after', result.ids[-1])])}",
            }
        )
    if result.has_prev and result.ids:
        out.append(
            {"rel": "prev", "uri": f"{path}?{urlencode([*kept, ('ending_before', result.ids[0])])}"}
        )
    return out
