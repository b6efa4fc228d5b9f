"""Sign in with Google: OpenID Connect with state, nonce and PKCE, matched to the roster by
the verified email a district rostered, then by the Google account linked on first use."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from rostersync.accounts.service import SignedIn
from rostersync.districts.models import District
from rostersync.roster import repository as roster
from rostersync.roster.models import User
from rostersync.sso import repository, service
from rostersync.sso.exceptions import SignInRefusedError
from rostersync.sso.flow import Flow
from rostersync.sso.oidc import Discovery, OidcProvider, pkce_challenge

PROVIDER = "google"
SCOPE = "openid email profile"


class GoogleSignIn:
    def __init__(self, provider: OidcProvider) -> None:
        self._provider = provider

    async def start(self, session: AsyncSession, district_code: str) -> tuple[str, Flow]:
        self._provider.require_configured()
        district = await service.district_for_login(session, district_code, clever=False)
        discovery = await self._discovery()
        flow = Flow(
            provider=PROVIDER,
            district=district.code,
            state=service.new_secret(),
            nonce=service.new_secret(),
            code_verifier=service.new_secret(),
        )
        assert flow.code_verifier is not None
        domains = district.allowed_google_domains
        url = self._provider.authorization_url(
            discovery.authorization_endpoint,
            state=flow.state,
            scope=SCOPE,
            nonce=flow.nonce,
            code_challenge=pkce_challenge(flow.code_verifier),
            code_challenge_method="S256",
            # Google shows the district's accounts first; the hd claim is still checked.
            hd=domains[0] if len(domains) == 1 else None,
            # Shared classroom devices: always let the person choose the account.
            prompt="select_account",
        )
        return url, flow

    async def finish(
        self, session: AsyncSession, callback: service.Callback, flow: Flow | None, now: datetime
    ) -> SignedIn:
        service.refuse_provider_error(callback)
        if flow is None:
            raise SignInRefusedError("invalid_state", reason="no Google flow cookie")
        service.check_state(flow, PROVIDER, callback.state)
        self._provider.require_configured()
        district = await service.district_for_login(session, flow.district, clever=False)
        code = await service.spend_code(session, PROVIDER, callback.code, now)
        discovery = await self._discovery()
        tokens = await self._provider.exchange_code(
            discovery.token_endpoint, code, code_verifier=flow.code_verifier
        )
        claims = await self._claims(tokens, discovery, flow, now)
        _require_domain(district, claims)
        user = await _person(session, district, claims, now)
        return await service.sign_in(session, district, user, callback, now)

    async def _discovery(self) -> Discovery:
        discovery = await self._provider.discovery()
        if discovery is None:
            raise SignInRefusedError("provider_unavailable", reason="no Google discovery document")
        return discovery

    async def _claims(
        self, tokens: dict[str, Any], discovery: Discovery, flow: Flow, now: datetime
    ) -> dict[str, Any]:
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise SignInRefusedError("invalid_id_token", reason="no id_token returned")
        claims = await self._provider.verify_id_token(
            id_token, discovery, nonce=flow.nonce, now=now
        )
        if claims.get("email_verified") is not True or not isinstance(claims.get("email"), str):
            raise SignInRefusedError("email_not_verified")
        return claims


def _require_domain(district: District, claims: dict[str, Any]) -> None:
    """Google's `hd` claim names the Workspace domain; consumer accounts carry none."""
    allowed = {domain.lower() for domain in district.allowed_google_domains}
    hosted = claims.get("hd")
    if allowed and not (isinstance(hosted, str) and hosted.lower() in allowed):
        raise SignInRefusedError("wrong_domain")


async def _person(
    session: AsyncSession, district: District, claims: dict[str, Any], now: datetime
) -> User:
    """The linked person, else the one active person with the email (then linked)."""
    sub = str(claims["sub"])
    link = await repository.find_google_link(session, district.id, sub)
    if link is not None:
        user = service.require_active(await roster.find_user(session, district.id, link.user_id))
        await repository.touch_google_link(session, link, now)
        return user
    matches = await roster.find_users_by_email(session, district.id, claims["email"])
    active = [user for user in matches if user.active]
    if len(active) > 1:
        raise SignInRefusedError("email_ambiguous")
    # Nobody active: say "deactivated" if the district once shared someone with this email.
    user = service.require_active(active[0] if active else next(iter(matches), None))
    await repository.link_google_account(session, district.id, user.id, sub, now)
    return user
