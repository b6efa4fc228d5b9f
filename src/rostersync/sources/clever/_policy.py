"""How long to wait: backoff, Clever's rate-limit headers and Retry-After."""

from __future__ import annotations

import random
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import httpx

# Clever's rate-limit window is one minute; a reset further away than this means the clocks
# disagree, and pausing longer would only stall the sync.
LONGEST_PACING_WAIT = 60.0


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds on retrying one request (each page is one request)."""

    max_attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_total_seconds: float = 300.0
    # Pause for the reset once this few requests are left in the window, before a 429.
    rate_limit_headroom: int = 2


DEFAULT_RETRY = RetryPolicy()


def backoff_delay(policy: RetryPolicy, attempt: int) -> float:
    """Capped exponential backoff with full jitter, so parallel clients spread out."""
    cap = min(policy.max_delay, policy.base_delay * 2.0 ** (attempt - 1))
    return cap * random.random()  # noqa: S311 - jitter, not security


def retry_after_delay(response: httpx.Response, now: float) -> float | None:
    """Seconds the Retry-After header asks for (delta-seconds or an HTTP date)."""
    raw = response.headers.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(raw).timestamp() - now)
    except (TypeError, ValueError):
        return None


def _header_number(response: httpx.Response, name: str) -> float | None:
    try:
        return float(response.headers[name])
    except (KeyError, ValueError):
        return None


def rate_limit_reset(response: httpx.Response) -> float | None:
    """X-Ratelimit-Reset: when the window resets, in Unix seconds."""
    return _header_number(response, "x-ratelimit-reset")


def rate_limited_delay(response: httpx.Response, now: float) -> float | None:
    """How long a 429 asks us to wait: Retry-After, else until the reset if it is ahead."""
    delay = retry_after_delay(response, now)
    if delay is not None:
        return delay
    reset = rate_limit_reset(response)
    return reset - now if reset is not None and reset > now else None


class RateWindow:
    """What the last response said about the token's rate-limit window."""

    def __init__(self, headroom: int) -> None:
        self._headroom = headroom
        self._remaining: float | None = None
        self._reset: float | None = None

    def note(self, response: httpx.Response) -> None:
        remaining = _header_number(response, "x-ratelimit-remaining")
        if remaining is not None:
            self._remaining, self._reset = remaining, rate_limit_reset(response)

    def forget(self) -> None:
        self._remaining = self._reset = None

    def pause_before_next(self, now: float) -> float:
        """Seconds to wait before the next request so it does not draw a 429."""
        if self._remaining is None or self._remaining > self._headroom or self._reset is None:
            return 0.0
        return min(max(0.0, self._reset - now), LONGEST_PACING_WAIT)
