"""A scripted stand-in for Clever (httpx.MockTransport) and a clock that never really sleeps."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import httpx

from rostersync.sources.clever import CleverClient

BASE = "https://api.clever.test"
OAUTH_BASE = "https://clever.test"
TOKEN = "district-token-3f9a1c77e2b54d0c"
START = 1_700_000_000.0

Reply = Callable[[httpx.Request], httpx.Response]
Step = Reply | Exception
Handler = Callable[[httpx.Request], httpx.Response]
ConnectClient = Callable[..., CleverClient]
"""The `connect` fixture: (fake Clever handler, **CleverClient options) -> CleverClient."""


class FakeTime:
    """A clock that moves only when the code under test sleeps; every sleep is recorded."""

    def __init__(self, now: float = START) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class ScriptedClever:
    """Answers requests with the steps in order; the last step answers every later request."""

    def __init__(self, *steps: Step, time: FakeTime | None = None) -> None:
        self._steps = list(steps)
        self._time = time
        self.requests: list[httpx.Request] = []
        self.request_times: list[float] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.request_times.append(self._time.now if self._time else 0.0)
        step = self._steps.pop(0) if len(self._steps) > 1 else self._steps[0]
        if isinstance(step, Exception):
            raise step
        return step(request)


def reply(
    status: int = 200,
    body: Any = None,
    *,
    text: str | bytes | None = None,
    content_type: str = "application/json",
    headers: Mapping[str, str] | None = None,
) -> Reply:
    """A response: `body` as JSON, or `text` as is (for broken and HTML bodies)."""
    content = json.dumps(body).encode() if text is None else text
    all_headers = {"content-type": content_type, **(headers or {})}

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=content, headers=all_headers)

    return answer


def envelope(objects: Sequence[Mapping[str, Any]], next_uri: str | None = None) -> dict[str, Any]:
    links = [{"rel": "self", "uri": "/v3.0/anything"}]
    if next_uri is not None:
        links.append({"rel": "next", "uri": next_uri})
    return {
        "data": [{"data": dict(obj), "uri": f"/v3.0/x/{obj.get('id')}"} for obj in objects],
        "links": links,
    }


def page(
    objects: Sequence[Mapping[str, Any]],
    next_uri: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Reply:
    """One Data API list page in Clever's envelope."""
    return reply(200, envelope(objects, next_uri), headers=headers)


class FakeDistrict:
    """Serves whole collections by path, `per_page` objects a page, with Clever-style links."""

    def __init__(self, collections: Mapping[str, Sequence[Mapping[str, Any]]], per_page: int):
        self._collections = collections
        self._per_page = per_page
        self.paths: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.paths.append(path)
        objects = self._collections[path]
        after = request.url.params.get("starting_after")
        start = 0 if after is None else int(after)
        end = start + self._per_page
        more = f"{path}?limit={self._per_page}&starting_after={end}" if end < len(objects) else None
        return httpx.Response(200, json=envelope(objects[start:end], more))
