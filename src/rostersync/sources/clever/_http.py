"""One GET against Clever, retried within a RetryPolicy and paced by its rate-limit headers."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import httpx
import orjson

from rostersync.gcpause import paused_gc

from ._bodies import describe_body, redact, shorten
from ._errors import (
    CleverAuthError,
    CleverError,
    CleverForbiddenError,
    CleverNotFoundError,
    CleverProtocolError,
    CleverRateLimitedError,
    CleverRequestError,
    CleverUnavailableError,
)
from ._policy import RateWindow, RetryPolicy, backoff_delay, rate_limited_delay

logger = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]
Validator = Callable[[dict[str, Any]], bool]

# The caller's client has its own timeouts; this bounds every Clever call whatever they are.
REQUEST_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
# Failures a second try can fix: the network, and responses cut before their end.
_TRANSIENT = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
    httpx.ProxyError,
    httpx.DecodingError,
)
RetryKind = Literal["unavailable", "rate_limited", "unreadable"]


@dataclass(frozen=True)
class Wording:
    """What failures mean for this credential, in the words of the admin who must act."""

    unauthorized: str
    give_up_hint: str


@dataclass(frozen=True)
class _Retry:
    kind: RetryKind
    problem: str  # for the admin: "HTTP 503: an HTML error page", "a timeout (ReadTimeout)"
    status: int | None = None
    delay: float | None = None  # the wait Clever asked for, if it did


class Requester:
    """GETs JSON for one credential; shared by every request made with it."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        authorization: str,
        secrets: tuple[str, ...],
        wording: Wording,
        policy: RetryPolicy,
        sleep: Sleep,
        clock: Clock,
    ) -> None:
        self._http = http
        self._headers = {"Authorization": authorization, "Accept": "application/json"}
        self._secrets = (authorization, *secrets)
        self._wording = wording
        self._policy = policy
        self._sleep = sleep
        self._clock = clock
        self._window = RateWindow(policy.rate_limit_headroom)

    async def get_json(
        self, url: str, validate: Validator, params: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        """The JSON body of a 2xx answer that `validate` accepts; typed errors otherwise."""
        path = httpx.URL(url).path
        started, attempt = self._clock(), 0
        while True:
            attempt += 1
            await self._pace(path)
            outcome = await self._attempt(url, params, validate, path)
            if not isinstance(outcome, _Retry):
                return outcome
            delay = outcome.delay
            if delay is None:
                delay = backoff_delay(self._policy, attempt)
            self._check_budget(outcome, path, attempt, self._clock() - started, delay)
            logger.warning(
                "Clever request for %s failed (%s); retrying in %.1f s (attempt %d of %d)",
                path,
                outcome.problem,
                delay,
                attempt,
                self._policy.max_attempts,
                extra={"clever_path": path, "clever_status": outcome.status, "delay_s": delay},
            )
            await self._sleep(delay)

    async def _pace(self, path: str) -> None:
        pause = self._window.pause_before_next(self._clock())
        if pause > 0:
            logger.info(
                "Clever rate limit nearly used up; pausing %.1f s before %s",
                pause,
                path,
                extra={"clever_path": path, "delay_s": pause},
            )
            await self._sleep(pause)

    async def _attempt(
        self, url: str, params: Mapping[str, str] | None, validate: Validator, path: str
    ) -> dict[str, Any] | _Retry:
        try:
            async with self._http.stream(
                "GET", url, params=params, headers=self._headers, timeout=REQUEST_TIMEOUT
            ) as response:
                body = await _body(response)
        except _TRANSIENT as exc:
            return _Retry("unavailable", self._network_problem(exc))
        except httpx.RequestError as exc:
            # Not transient (a malformed base URL, an unsupported scheme): retrying cannot help.
            problem = self._network_problem(exc)
            message = f"Could not send a request to Clever for {path}: {problem}"
            raise CleverRequestError(message, path=path) from exc
        return self._read(response, body, validate, path)

    def _network_problem(self, exc: httpx.RequestError) -> str:
        kind = "a timeout" if isinstance(exc, httpx.TimeoutException) else "a network error"
        detail = redact(shorten(str(exc)), self._secrets)
        return f"{kind} ({type(exc).__name__}{': ' + detail if detail else ''})"

    def _read(
        self, response: httpx.Response, body: bytes, validate: Validator, path: str
    ) -> dict[str, Any] | _Retry:
        status = response.status_code
        if status == 429:
            # Its own wait already covers the reset; pacing on top would wait twice.
            self._window.forget()
            delay = rate_limited_delay(response, self._clock())
            return _Retry("rate_limited", "HTTP 429", status, delay)
        self._window.note(response)
        if 200 <= status < 300:
            return _parse(body, status, validate)
        if status >= 500 and status != 501:
            return _Retry("unavailable", f"HTTP {status}: {self._describe(response)}", status)
        raise self._refusal(response, path)

    def _describe(self, response: httpx.Response) -> str:
        return describe_body(response, self._secrets)

    def _refusal(self, response: httpx.Response, path: str) -> CleverError:
        status, detail = response.status_code, self._describe(response)
        if status == 401:
            return CleverAuthError(self._wording.unauthorized, path=path, clever_status=status)
        if status == 403:
            message = f"Clever refused access to {path} (403): {detail}"
            return CleverForbiddenError(message, path=path, clever_status=status)
        if status == 404:
            message = f"Clever found nothing at {path} (404): {detail}"
            return CleverNotFoundError(message, path=path, clever_status=status)
        message = f"Clever rejected the request for {path} (HTTP {status}): {detail}"
        return CleverRequestError(message, path=path, clever_status=status)

    def _check_budget(
        self, outcome: _Retry, path: str, attempt: int, elapsed: float, delay: float
    ) -> None:
        policy = self._policy
        if attempt < policy.max_attempts and elapsed + delay <= policy.max_total_seconds:
            return
        tried = f"after {attempt} attempt{'s' if attempt > 1 else ''} over {elapsed:.0f} s"
        hint = self._wording.give_up_hint
        if outcome.kind == "rate_limited":
            asked = "" if outcome.delay is None else f" and asked for {delay:.0f} s more"
            message = f"Clever kept rate-limiting {path} (HTTP 429) {tried}{asked}; {hint}"
            raise CleverRateLimitedError(message, path=path, clever_status=429)
        if outcome.kind == "unreadable":
            message = f"Clever kept sending {outcome.problem} for {path} {tried}; {hint}"
            raise CleverProtocolError(message, path=path, clever_status=outcome.status)
        message = f"Clever kept failing ({outcome.problem}) on {path} {tried}; {hint}"
        raise CleverUnavailableError(message, path=path, clever_status=outcome.status)


async def _body(response: httpx.Response) -> bytes:
    """A success's body, read but not kept by the response; any other's, kept for its message.

    httpx's Response and its stream refer to each other, so a response is freed only by a
    collector's pass, and `bulk_reading` defers those to the end of a sync: a page's
    megabytes must not wait with it.
    """
    if 200 <= response.status_code < 300:
        return b"".join([chunk async for chunk in response.aiter_bytes()])
    return await response.aread()


def _parse(body: bytes, status: int, validate: Validator) -> dict[str, Any] | _Retry:
    try:
        with paused_gc():  # a page is half a million acyclic objects
            document = orjson.loads(body)  # several times faster than json
    except orjson.JSONDecodeError:  # also a body cut short: half a JSON document
        return _Retry("unreadable", "a response body that is not valid JSON", status)
    if not isinstance(document, dict) or not validate(document):
        return _Retry("unreadable", "JSON without the expected data envelope", status)
    return document
