"""Fault injection: the failures a sync client must survive, switched on at will.

Faults are targeted by path prefix, may fire on a seeded fraction of requests
(reproducible from the config seed) and may be limited to the next N firings.
They are applied by a pure ASGI middleware so a response can be cut mid-body.
"""

from __future__ import annotations

import asyncio
import json
import math
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._config import Clock
from ._hashing import smix

RESPONSE_KINDS = ("error", "html", "rate_limit")
BODY_KINDS = ("cut", "missing_first_name", "duplicate_id")
FAULT_KINDS = (*RESPONSE_KINDS, "slow", *BODY_KINDS)
_DEFAULT_STATUS = {"error": 500, "html": 502}
_HTML_PAGE = (
    "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
_REASONS = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class FaultError(ValueError):
    """An invalid fault description."""


@dataclass
class Fault:
    id: str
    kind: str
    path_prefix: str
    fraction: float
    remaining: int | None
    status: int | None
    seconds: float
    retry_after: bool
    until: float | None

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "path_prefix": self.path_prefix,
            "fraction": self.fraction,
            "remaining": self.remaining,
        }
        if self.status is not None:
            out["status"] = self.status
        if self.kind in ("slow", "rate_limit"):
            out["seconds"] = self.seconds
        if self.kind == "rate_limit":
            out["until"] = self.until
            out["retry_after"] = self.retry_after
        return out


class FaultBoard:
    """The active faults of one app."""

    def __init__(self, seed: int, rate_limit: int) -> None:
        self.seed = seed
        self.rate_limit = rate_limit
        self.faults: list[Fault] = []
        self._rolls = 0
        self._made = 0

    def clear(self) -> None:
        self.faults.clear()

    def remove(self, fault_id: str) -> bool:
        before = len(self.faults)
        self.faults = [f for f in self.faults if f.id != fault_id]
        return len(self.faults) < before

    def add(self, spec: dict[str, Any], now: float) -> Fault:
        kind = spec.get("kind")
        if kind not in FAULT_KINDS:
            raise FaultError(f"kind must be one of {', '.join(FAULT_KINDS)}")
        status = spec.get("status", _DEFAULT_STATUS.get(kind))
        if kind in ("error", "html") and not (isinstance(status, int) and 400 <= status <= 599):
            raise FaultError("status must be an HTTP error status (400-599)")
        fraction = float(spec.get("fraction", 1.0))
        count = spec.get("count")
        if not 0.0 < fraction <= 1.0 or (
            count is not None and (not isinstance(count, int) or count < 1)
        ):
            raise FaultError("fraction must be in (0, 1] and count a positive integer")
        seconds = float(spec.get("seconds", 30.0 if kind == "rate_limit" else 1.0))
        if seconds < 0:
            raise FaultError("seconds must not be negative")
        self._made += 1
        fault = Fault(
            id=f"fault-{self._made}",
            kind=kind,
            path_prefix=str(spec.get("path_prefix", "/v3")),
            fraction=fraction,
            remaining=count,
            status=status if kind in ("error", "html") else None,
            seconds=seconds,
            retry_after=bool(spec.get("retry_after", True)),
            until=now + seconds if kind == "rate_limit" else None,
        )
        self.faults.append(fault)
        return fault

    def select(self, path: str, now: float) -> list[Fault]:
        """Faults that fire for this request (seeded roll per matching fault)."""
        self.faults = [f for f in self.faults if f.until is None or now < f.until]
        fired = []
        for fault in self.faults:
            if not path.startswith(fault.path_prefix):
                continue
            self._rolls += 1
            roll = smix(self.seed * 1_000_003 + self._rolls) / 2**64
            if roll < fault.fraction:
                fired.append(fault)
        return fired

    def consume(self, fault: Fault) -> None:
        """Count one firing against a fault limited to the next N requests."""
        if fault.remaining is not None:
            fault.remaining -= 1
            if fault.remaining <= 0:
                self.remove(fault.id)


class FaultMiddleware:
    """Applies the fault board to every request outside ``/_sandbox``."""

    def __init__(self, app: ASGIApp, board: FaultBoard, clock: Clock) -> None:
        self.app = app
        self.board = board
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith("/_sandbox"):
            await self.app(scope, receive, send)
            return
        fired = self.board.select(path, self.clock())
        for fault in fired:
            if fault.kind == "slow":
                self.board.consume(fault)
                await asyncio.sleep(fault.seconds)
        for fault in fired:
            if fault.kind in RESPONSE_KINDS:
                self.board.consume(fault)
                await self._respond(fault, send)
                return
        body_faults = [f for f in fired if f.kind in BODY_KINDS]
        if not body_faults:
            await self.app(scope, receive, send)
            return
        await self._transform(scope, receive, send, body_faults)

    async def _respond(self, fault: Fault, send: Send) -> None:
        if fault.kind == "rate_limit":
            now, until = self.clock(), fault.until or 0.0
            headers = {
                "x-ratelimit-bucket": "sandbox-fault",
                "x-ratelimit-limit": str(self.board.rate_limit),
                "x-ratelimit-remaining": "0",
                "x-ratelimit-reset": str(math.ceil(until)),
            }
            if fault.retry_after:
                headers["retry-after"] = str(max(1, math.ceil(until - now)))
            await _send(send, 429, b"", "text/plain; charset=utf-8", headers)
            return
        status = fault.status or 500
        if fault.kind == "html":
            page = _HTML_PAGE.format(status=status, reason=_REASONS.get(status, "Error"))
            await _send(send, status, page.encode(), "text/html", {})
            return
        body = json.dumps({"message": f"{_REASONS.get(status, 'Error')} (sandbox fault)"})
        await _send(send, status, body.encode(), "application/json", {})

    async def _transform(
        self, scope: Scope, receive: Receive, send: Send, faults: list[Fault]
    ) -> None:
        """Run the app, then rewrite or cut the JSON body it produced."""
        messages: list[Message] = []

        async def capture(message: Message) -> None:
            messages.append(message)

        await self.app(scope, receive, capture)
        start = messages[0]
        body = b"".join(m.get("body", b"") for m in messages[1:])
        for fault in faults:
            if fault.kind == "cut":
                continue
            changed = _rewrite(body, fault.kind) if start["status"] == 200 else None
            if changed is not None:
                body = changed
                self.board.consume(fault)
        headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        if any(f.kind == "cut" for f in faults):
            for fault in faults:
                if fault.kind == "cut":
                    self.board.consume(fault)
            await send(
                {"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True}
            )
            # Under uvicorn this drops the connection mid-body; under httpx's
            # ASGITransport the client sees the same error a real cut produces.
            raise httpx.RemoteProtocolError(
                "peer closed connection without sending complete message body (sandbox fault)"
            )
        await send({"type": "http.response.body", "body": body, "more_body": False})


def _rewrite(body: bytes, kind: str) -> bytes | None:
    """Apply a data fault to a JSON list page; None when it does not apply."""
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    items = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        return None
    if kind == "missing_first_name":
        for item in items:
            name = item.get("data", {}).get("name")
            if isinstance(name, dict) and "first" in name:
                del name["first"]
                return json.dumps(doc).encode()
        return None
    # duplicate_id: the next page starts one record early, repeating this page's last id.
    nxt = [link for link in doc.get("links", []) if link.get("rel") == "next"]
    if len(items) < 2 or not nxt:
        return None
    last, repeat = items[-1]["data"]["id"], items[-2]["data"]["id"]
    nxt[0]["uri"] = nxt[0]["uri"].replace(f"starting_after={last}", f"starting_after={repeat}")
    return json.dumps(doc).encode()


async def _send(send: Send, status: int, body: bytes, ctype: str, extra: dict[str, str]) -> None:
    headers = [(b"content-type", ctype.encode()), (b"content-length", str(len(body)).encode())]
    headers += [(k.encode(), v.encode()) for k, v in extra.items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
