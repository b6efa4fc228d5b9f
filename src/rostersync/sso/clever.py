"""Clever Instant Login: started from the platform's login page or from the Clever dashboard.

Login page: /sso/clever/login sends the browser to Clever with a `state` (bound to the
browser by the flow cookie), the district's Clever id and, when Clever advertises OpenID
Connect, `scope=openid` and a `nonce`. Dashboard: Clever sends the browser straight to the
callback with a code and no state, which Clever requires its partners to accept. Either
way the code is spent once, exchanged, and the person is read from Clever's `/v3.0/me` and
`/v3.0/users/{id}` with their own token before the roster is asked.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from rostersync.accounts.service import SignedIn
from rostersync.config import CleverSettings
from rostersync.districts.models import District
from rostersync.districts.service import get_by_clever_id
from rostersync.roster import repository as roster
from rostersync.sources.clever import (
    CleverAuthError,
    CleverClient,
    CleverError,
    RetryPolicy,
)
from rostersync.sso import service
from rostersync.sso.exceptions import SignInRefusedError
from rostersync.sso.flow import Flow
from rostersync.sso.oidc import Discovery, OidcProvider

logger = logging.getLogger(__name__)

PROVIDER = "clever"
# A person is waiting in the browser: a short retry budget, not a sync's.
SIGN_IN_RETRY = RetryPolicy(max_attempts=2, base_delay=0.2, max_delay=1.0, max_total_seconds=10.0)


@dataclass(frozen=True)
class CleverPerson:
    clever_id: str
    clever_district_id: str


class CleverSignIn:
    def __init__(
        self, provider: OidcProvider, http: httpx.AsyncClient, settings: CleverSettings
    ) -> None:
        self._provider = provider
        self._http = http
        self._settings = settings

    async def start(self, session: AsyncSession, district_code: str) -> tuple[str, Flow]:
        """Where to send the browser, and the flow to remember in its cookie."""
        self._provider.require_configured()
        district = await service.district_for_login(session, district_code, clever=True)
        discovery = await self._discovery_or_none()
        flow = Flow(
            provider=PROVIDER,
            district=district.code,
            state=service.new_secret(),
            nonce=service.new_secret() if discovery is not None else None,
        )
        url = self._provider.authorization_url(
            f"{self._settings.oauth_url}/oauth/authorize",
            state=flow.state,
            scope="openid" if discovery is not None else None,
            nonce=flow.nonce,
            district_id=district.clever_district_id,
        )
        return url, flow

    async def finish(
        self,
        session: AsyncSession,
        callback: service.Callback,
        flow: Flow | None,
        now: datetime,
    ) -> SignedIn:
        """Sign in the person Clever sent back; `flow` is None for dashboard logins."""
        service.refuse_provider_error(callback)
        if callback.state is not None or flow is not None:
            if flow is None:
                raise SignInRefusedError("invalid_state", reason="state without a flow cookie")
            service.check_state(flow, PROVIDER, callback.state)
        self._provider.require_configured()
        code = await service.spend_code(session, PROVIDER, callback.code, now)
        tokens = await self._provider.exchange_code(
            f"{self._settings.oauth_url}/oauth/tokens", code
        )
        claims = await self._verified_claims(tokens, flow, now)
        person = await self._person(tokens["access_token"], claims)
        district = await self._district(session, person, flow)
        user = await roster.find_user_by_source_id(session, district.id, person.clever_id)
        return await service.sign_in(session, district, service.require_active(user), callback, now)

    async def _discovery_or_none(self) -> Discovery | None:
        try:
            return await self._provider.discovery()
        except SignInRefusedError:
            # Discovery is optional for Clever: /me still says who signed in.
            logger.warning("Clever OIDC discovery failed; signing in with OAuth only")
            return None

    async def _verified_claims(
        self, tokens: dict[str, Any], flow: Flow | None, now: datetime
    ) -> dict[str, Any] | None:
        id_token = tokens.get("id_token")
        nonce = flow.nonce if flow is not None else None
        if not isinstance(id_token, str):
            if nonce is not None:  # we asked for OpenID Connect and got none back
                raise SignInRefusedError("invalid_id_token", reason="no id_token returned")
            return None
        discovery = await self._provider.discovery()
        if discovery is None:
            raise SignInRefusedError("invalid_id_token", reason="id_token but no JWKS")
        return await self._provider.verify_id_token(id_token, discovery, nonce=nonce, now=now)

    async def _person(self, access_token: str, claims: dict[str, Any] | None) -> CleverPerson:
        client = CleverClient(
            self._http, api_base_url=self._settings.api_url, token=access_token, retry=SIGN_IN_RETRY
        )
        try:
            me = await client.get_object("/v3.0/me")
            person = _person_from(me)
            if claims is not None and claims.get("sub") != person.clever_id:
                raise SignInRefusedError("invalid_id_token", reason="id_token sub is not /me")
            user = await client.get_object(f"/v3.0/users/{person.clever_id}")
        except CleverAuthError as exc:
            raise SignInRefusedError("code_rejected", reason="Clever refused the token") from exc
        except CleverError as exc:
            raise SignInRefusedError("provider_unavailable", reason=type(exc).__name__) from exc
        if user.get("district") != person.clever_district_id:
            raise SignInRefusedError("wrong_district", reason="/users/{id} in another district")
        return person

    async def _district(
        self, session: AsyncSession, person: CleverPerson, flow: Flow | None
    ) -> District:
        district = await get_by_clever_id(session, person.clever_district_id)
        if district is None:
            raise SignInRefusedError("district_not_connected")
        service.require_open(district)
        if flow is not None and flow.district != district.code:
            raise SignInRefusedError("wrong_district", reason="signed in to another district")
        return district


def _person_from(me: dict[str, Any]) -> CleverPerson:
    clever_id, district = me.get("id"), me.get("district")
    if me.get("type") == "district" or not isinstance(clever_id, str):
        raise SignInRefusedError("not_rostered", reason="/me is not a user")
    if not isinstance(district, str):
        raise SignInRefusedError("provider_unavailable", reason="/me has no district")
    return CleverPerson(clever_id, district)
