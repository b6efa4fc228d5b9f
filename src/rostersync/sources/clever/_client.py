"""The Clever Data API client: paging, single objects, retries and rate limits."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from dataclasses import dataclass

import httpx

from ._envelope import (
    JsonObject,
    follow_next,
    is_single_object,
    is_wrapped_page,
    next_uri,
    unwrap_page,
)
from ._errors import CleverNotFoundError
from ._http import Requester, Wording
from ._policy import DEFAULT_RETRY, RetryPolicy

MAX_PAGE_LIMIT = 10_000  # Clever answers 413 above this
_WORDING = Wording(
    unauthorized=(
        "Clever rejected the district's token (401): the district may have disconnected the app"
    ),
    give_up_hint="the sync will be retried at the next run",
)


@dataclass(frozen=True)
class _Page:
    objects: list[JsonObject]
    next_url: str | None


class CleverClient:
    """Reads one district's data with its district token.

    `http` is the application's shared client; this class never closes it.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        api_base_url: str,
        token: str,
        page_limit: int = MAX_PAGE_LIMIT,
        retry: RetryPolicy = DEFAULT_RETRY,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._base = api_base_url.rstrip("/")
        self._page_limit = min(page_limit, MAX_PAGE_LIMIT)
        self._requester = Requester(
            http,
            authorization=f"Bearer {token}",
            secrets=(token,),
            wording=_WORDING,
            policy=retry,
            sleep=sleep,
            clock=clock,
        )

    def __repr__(self) -> str:
        return f"CleverClient({self._base!r})"  # never the token

    async def iter_pages(
        self, path: str, params: Mapping[str, str] | None = None
    ) -> AsyncGenerator[list[JsonObject], None]:
        """Each page's objects, following `next` links until none is left or a page is empty.

        The next page is requested while the caller works on this one (a caller that yields
        to the event loop now and then), so Clever's time and ours overlap; at most two pages
        are held, however big the district is.
        """
        query: Mapping[str, str] | None = {"limit": str(self._page_limit), **(params or {})}
        ahead: asyncio.Task[_Page] | None = asyncio.create_task(self._page(self._url(path), query))
        try:
            while ahead is not None:
                page = await ahead
                ahead = None
                if not page.objects:
                    return
                if page.next_url is not None:
                    ahead = asyncio.create_task(self._page(page.next_url, None))
                yield page.objects
        finally:
            if ahead is not None:  # the caller stopped early or failed: drop the read-ahead
                ahead.cancel()
                await asyncio.gather(ahead, return_exceptions=True)

    async def _page(self, url: str, query: Mapping[str, str] | None) -> _Page:
        body = await self._requester.get_json(url, is_wrapped_page, query)
        return _Page(unwrap_page(body), follow_next(self._base, url, next_uri(body)))

    async def get_object(self, path: str) -> JsonObject:
        """The `data` object of a single-object endpoint (`/v3.0/me`, `/v3.0/users/{id}`)."""
        body = await self._requester.get_json(self._url(path), is_single_object)
        data: JsonObject = body["data"]
        return data

    async def get_district(self) -> JsonObject:
        """The token's district (Clever lists exactly one for a district token)."""
        path = "/v3.0/districts"
        body = await self._requester.get_json(self._url(path), is_wrapped_page)
        districts = unwrap_page(body)
        if not districts:
            raise CleverNotFoundError(
                f"Clever listed no district for this token ({path}): "
                "the district may have disconnected the app",
                path=path,
            )
        return districts[0]

    def _url(self, path: str) -> str:
        return self._base + (path if path.startswith("/") else "/" + path)
