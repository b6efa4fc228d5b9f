"""Typed Clever errors whose messages a district's IT admin can act on.

Messages name the path (never the query string) and never carry a token or secret.
"""

from __future__ import annotations

from rostersync.errors import AppError


class CleverError(AppError):
    """Clever could not give us what we asked for; the message says why."""

    # Surfaced through our API, a Clever failure is an upstream failure, not the caller's.
    status_code = 502

    def __init__(self, message: str, *, path: str | None = None, clever_status: int | None = None):
        super().__init__(message)
        self.path = path
        self.clever_status = clever_status


class CleverAuthError(CleverError):
    """401: the token (or the app's client credentials) is no longer accepted."""


class CleverForbiddenError(CleverError):
    """403: the token may not read this resource."""


class CleverNotFoundError(CleverError):
    """404: Clever has nothing at this path."""


class CleverRequestError(CleverError):
    """Clever refused the request itself (400, 413, 501, ...): retrying cannot help."""


class CleverUnavailableError(CleverError):
    """5xx answers or network errors outlasted the retry budget."""

    status_code = 503


class CleverRateLimitedError(CleverError):
    """Clever kept answering 429 until the retry budget ran out."""

    status_code = 503


class CleverProtocolError(CleverError):
    """Clever's answers never parsed as the JSON envelope its API documents."""
