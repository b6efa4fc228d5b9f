"""Clever's OAuth API, with the app's client credentials: which districts are connected."""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from ._envelope import follow_next, is_plain_page, next_uri
from ._http import Requester, Wording
from ._policy import DEFAULT_RETRY, RetryPolicy

logger = logging.getLogger(__name__)

_WORDING = Wording(
    unauthorized=(
        "Clever rejected the app's client id/secret (401): "
        "check CLEVER_CLIENT_ID and CLEVER_CLIENT_SECRET"
    ),
    give_up_hint="try again in a few minutes",
)


@dataclass(frozen=True)
class DistrictToken:
    """A connected district and the token that reads its data."""

    district_id: str
    access_token: str = field(repr=False)
    scopes: tuple[str, ...] = ()
    created: str | None = None


class CleverOAuthClient:
    """Calls Clever's OAuth API as the app (HTTP Basic client authentication)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        oauth_base_url: str,
        client_id: str,
        client_secret: str,
        retry: RetryPolicy = DEFAULT_RETRY,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._base = oauth_base_url.rstrip("/")
        credentials = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        self._requester = Requester(
            http,
            authorization=f"Basic {credentials}",
            secrets=(client_secret, credentials),
            wording=_WORDING,
            policy=retry,
            sleep=sleep,
            clock=clock,
        )

    def __repr__(self) -> str:
        return f"CleverOAuthClient({self._base!r})"

    async def district_tokens(self) -> list[DistrictToken]:
        """Every district that has connected the app, with its token."""
        tokens: list[DistrictToken] = []
        url: str | None = self._base + "/oauth/tokens"
        params: Mapping[str, str] | None = {"owner_type": "district"}
        while url is not None:
            body = await self._requester.get_json(url, is_plain_page, params)
            tokens += [t for item in body["data"] if (t := _district_token(item)) is not None]
            url = follow_next(self._base, url, next_uri(body)) if body["data"] else None
            params = None
        return tokens


def _district_token(item: Mapping[str, Any]) -> DistrictToken | None:
    owner = item.get("owner")
    if not isinstance(owner, dict) or owner.get("type") != "district":
        return None
    district_id, token = owner.get("id"), item.get("access_token")
    if not (isinstance(district_id, str) and district_id and isinstance(token, str) and token):
        logger.warning("Clever listed a district token without a district id or token")
        return None
    scopes = item.get("scopes")
    created = item.get("created")
    return DistrictToken(
        district_id=district_id,
        access_token=token,
        scopes=tuple(s for s in scopes if isinstance(s, str)) if isinstance(scopes, list) else (),
        created=created if isinstance(created, str) else None,
    )
