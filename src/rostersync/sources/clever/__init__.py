"""Clever Secure Sync: the Data API client, the OAuth client and the roster source.

    client = CleverClient(http, api_base_url=settings.api_base_url, token=district_token)
    source = CleverSource(client)          # a RosterSource for the sync engine

The client pages with `next` links, retries 429/5xx/network failures within a RetryPolicy,
paces itself by Clever's rate-limit headers and raises CleverError subclasses whose messages
an admin can act on (and that never contain a token).
"""

from ._client import CleverClient
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
from ._oauth import CleverOAuthClient, DistrictToken
from ._policy import RetryPolicy
from ._records import map_school, map_section, map_user
from ._source import CleverSource, PageCallback, ReadProgress

__all__ = [
    "CleverAuthError",
    "CleverClient",
    "CleverError",
    "CleverForbiddenError",
    "CleverNotFoundError",
    "CleverOAuthClient",
    "CleverProtocolError",
    "CleverRateLimitedError",
    "CleverRequestError",
    "CleverSource",
    "CleverUnavailableError",
    "DistrictToken",
    "PageCallback",
    "ReadProgress",
    "RetryPolicy",
    "map_school",
    "map_section",
    "map_user",
]
