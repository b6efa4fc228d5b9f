"""An OAuth 2.0 / OpenID Connect provider as the platform's client sees it.

Authlib builds the protocol messages (authorization URL, token request, client
authentication, PKCE challenge); joserfc verifies id_tokens against the provider's JWKS.
The HTTP goes through the application's shared httpx client, with its timeouts. Discovery
documents and key sets are cached per process and refreshed when a token names a key the
cached set does not hold (key rotation).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from authlib.oauth2.auth import ClientAuth
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import ClaimsOption

from rostersync.sso.exceptions import SignInRefusedError

logger = logging.getLogger(__name__)

DISCOVERY_TTL_SECONDS = 3600.0
# Clock skew tolerated between us and the provider when checking exp.
ID_TOKEN_LEEWAY_SECONDS = 60
ID_TOKEN_ALGORITHMS = ("RS256",)


@dataclass(frozen=True)
class Discovery:
    """What a provider's `.well-known/openid-configuration` says."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


@dataclass(frozen=True)
class ClientCredentials:
    client_id: str
    client_secret: str
    redirect_uri: str


class OidcProvider:
    """Discovery, code exchange and id_token verification for one provider."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        name: str,
        discovery_url: str,
        credentials: ClientCredentials,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.credentials = credentials
        self._http = http
        self._discovery_url = discovery_url
        self._clock = clock
        self._discovery: tuple[float, Discovery | None] | None = None
        self._keys: KeySet | None = None

    def require_configured(self) -> None:
        """Refuse (`not_configured`) while the client id or secret is unset."""
        if not (self.credentials.client_id and self.credentials.client_secret):
            raise SignInRefusedError("not_configured", reason=f"{self.name} client id/secret unset")

    async def discovery(self) -> Discovery | None:
        """The provider's OIDC metadata; None when it advertises none (404)."""
        cached = self._discovery
        if cached is not None and self._clock() - cached[0] < DISCOVERY_TTL_SECONDS:
            return cached[1]
        response = await self._get(self._discovery_url)
        found = None if response.status_code == 404 else _discovery(self._json(response))
        self._discovery = (self._clock(), found)
        return found

    def authorization_url(
        self, endpoint: str, *, state: str, scope: str | None, **extra: str | None
    ) -> str:
        credentials = self.credentials
        return str(
            prepare_grant_uri(
                endpoint,
                credentials.client_id,
                "code",
                credentials.redirect_uri,
                scope,
                state,
                **extra,
            )
        )

    async def exchange_code(
        self, endpoint: str, code: str, *, code_verifier: str | None = None
    ) -> dict[str, Any]:
        """The token response for a code; client_secret_basic, never retried (codes are
        single-use, and a retried POST could spend it)."""
        credentials = self.credentials
        body = prepare_token_request(
            "authorization_code",
            code=code,
            redirect_uri=credentials.redirect_uri,
            code_verifier=code_verifier,
        )
        auth = ClientAuth(credentials.client_id, credentials.client_secret, "client_secret_basic")
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        }
        _, headers, body = auth.prepare("POST", endpoint, headers, body)  # type: ignore[no-untyped-call]
        try:
            response = await self._http.post(endpoint, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise self._unavailable(f"token endpoint: {type(exc).__name__}") from exc
        return self._token_response(response)

    async def verify_id_token(
        self, id_token: str, discovery: Discovery, *, nonce: str | None, now: datetime
    ) -> dict[str, Any]:
        """The id_token's claims once its signature, iss, aud, exp and nonce check out."""
        try:
            token = await self._decode(id_token, discovery)
            self._claims_registry(discovery, nonce, now).validate(token.claims)
        except JoseError as exc:
            raise SignInRefusedError("invalid_id_token", reason=f"id_token: {exc.error}") from exc
        return dict(token.claims)

    def _claims_registry(
        self, discovery: Discovery, nonce: str | None, now: datetime
    ) -> jwt.JWTClaimsRegistry:
        options: dict[str, ClaimsOption] = {
            "iss": {"essential": True, "value": discovery.issuer},
            "aud": {"essential": True, "value": self.credentials.client_id},
            "exp": {"essential": True},
            "sub": {"essential": True},
        }
        if nonce is not None:  # asked for: the token must carry exactly it
            options["nonce"] = {"essential": True, "value": nonce}
        return jwt.JWTClaimsRegistry(
            now=int(now.timestamp()), leeway=ID_TOKEN_LEEWAY_SECONDS, **options
        )

    async def _decode(self, id_token: str, discovery: Discovery) -> jwt.Token:
        keys = self._keys or await self._fetch_keys(discovery)
        try:
            return jwt.decode(id_token, keys, algorithms=list(ID_TOKEN_ALGORITHMS))
        except InvalidKeyIdError:
            # The provider may have rotated its keys since we cached them.
            fresh = await self._fetch_keys(discovery)
            return jwt.decode(id_token, fresh, algorithms=list(ID_TOKEN_ALGORITHMS))

    async def _fetch_keys(self, discovery: Discovery) -> KeySet:
        document = self._json(await self._get(discovery.jwks_uri))
        try:
            self._keys = KeySet.import_key_set(document)  # type: ignore[arg-type]
        except (JoseError, ValueError, KeyError, TypeError) as exc:
            raise self._unavailable("JWKS does not parse") from exc
        return self._keys

    async def _get(self, url: str) -> httpx.Response:
        try:
            response = await self._http.get(url, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise self._unavailable(f"{type(exc).__name__} reading {url}") from exc
        if response.status_code >= 500:
            raise self._unavailable(f"{response.status_code} from {url}")
        return response

    def _json(self, response: httpx.Response) -> Mapping[str, Any]:
        try:
            document = response.json()
        except ValueError:
            document = None
        if response.status_code != 200 or not isinstance(document, dict):
            raise self._unavailable(f"{response.status_code} from {response.request.url}")
        return document

    def _token_response(self, response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise self._unavailable(f"token endpoint answered {response.status_code}, not JSON")
        if response.status_code == 401 or body.get("error") == "invalid_client":
            raise SignInRefusedError("not_configured", reason=f"{self.name} refused client")
        if response.status_code >= 500:
            raise self._unavailable(f"token endpoint answered {response.status_code}")
        if response.status_code != 200 or not isinstance(body.get("access_token"), str):
            raise SignInRefusedError(
                "code_rejected", reason=f"token endpoint: {body.get('error', response.status_code)}"
            )
        return body

    def _unavailable(self, reason: str) -> SignInRefusedError:
        return SignInRefusedError("provider_unavailable", reason=f"{self.name}: {reason}")


def _discovery(document: Mapping[str, Any]) -> Discovery:
    fields = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
    values = {name: document.get(name) for name in fields}
    if not all(isinstance(value, str) and value for value in values.values()):
        raise SignInRefusedError(
            "provider_unavailable", reason="discovery document lacks endpoints"
        )
    return Discovery(**values)  # type: ignore[arg-type]


def pkce_challenge(verifier: str) -> str:
    return str(create_s256_code_challenge(verifier))  # type: ignore[no-untyped-call]
