"""Everything one sandbox app holds: districts, tokens, sessions, codes, limits, faults."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

from joserfc.jwk import RSAKey

from ._config import SandboxConfig
from ._faults import FaultBoard
from ._hashing import iso_ms, mix, object_id
from ._layout import SNAPSHOT, DistrictLayout
from ._store import DistrictStore

TOKEN_SCOPES: tuple[str, ...] = (
    "read:district_admins",
    "read:school_admins",
    "read:schools",
    "read:sections",
    "read:students",
    "read:teachers",
    "read:contacts",
    "read:courses",
    "read:terms",
    "read:user_id",
)
WINDOW_SECONDS = 60.0


@dataclass(frozen=True)
class Session:
    """An SSO user token from the OAuth code exchange."""

    store: DistrictStore
    user_id: str
    role: str
    scope: str


@dataclass(frozen=True)
class AuthCode:
    client_id: str
    redirect_uri: str
    store: DistrictStore
    user_id: str
    role: str
    nonce: str | None
    scope: str
    expires_at: float


@dataclass(frozen=True)
class Auth:
    """Who is calling the Data/Events API: a district token, or a user token (session)."""

    token: str
    store: DistrictStore
    session: Session | None


@dataclass(frozen=True)
class Quota:
    bucket: str
    limit: int
    remaining: int
    reset: int
    exceeded: bool

    def headers(self) -> dict[str, str]:
        return {
            "X-Ratelimit-Bucket": self.bucket,
            "X-Ratelimit-Limit": str(self.limit),
            "X-Ratelimit-Remaining": str(self.remaining),
            "X-Ratelimit-Reset": str(self.reset),
        }


class RateLimiter:
    """Fixed 60-second window per token, starting at the token's first request."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.windows: dict[str, tuple[float, int]] = {}

    def hit(self, token: str, now: float) -> Quota:
        start, used = self.windows.get(token, (now, 0))
        if now >= start + WINDOW_SECONDS:
            start, used = now, 0
        used += 1
        self.windows[token] = (start, used)
        bucket = "token-" + hashlib.blake2b(token.encode(), digest_size=6).hexdigest()
        reset = math.ceil(start + WINDOW_SECONDS)
        return Quota(bucket, self.limit, max(self.limit - used, 0), reset, used > self.limit)


class SandboxState:
    """The live state of one sandbox app (``app.state.sandbox``)."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.stores = [
            DistrictStore(DistrictLayout(config.seed, d, config.students), config.seed)
            for d in range(config.districts)
        ]
        self._tokens = {self.district_token(s.layout.index): s for s in self.stores}
        self.faults = FaultBoard(config.seed, config.rate_limit_per_minute)
        # A fresh signing key per app; tests verify through the JWKS endpoint.
        self.signing_key = RSAKey.generate_key(
            2048, parameters={"kid": f"sandbox-{config.seed}", "use": "sig", "alg": "RS256"}
        )
        self.reset()

    def reset(self) -> None:
        """Back to the seed state: data, events, tokens, sessions, limits and faults."""
        for store in self.stores:
            store.reset()
        self.revoked: set[str] = set()
        self.sessions: dict[str, Session] = {}
        self.codes: dict[str, AuthCode] = {}
        self.limiter = RateLimiter(self.config.rate_limit_per_minute)
        self.faults.clear()

    def now(self) -> float:
        return self.config.clock()

    # -- districts and tokens ------------------------------------------------------
    @property
    def district_ids(self) -> list[str]:
        return [store.district_id for store in self.stores]

    def store(self, district: int | str | None = None) -> DistrictStore:
        """A district by index or id; the first one by default."""
        if district is None:
            return self.stores[0]
        if isinstance(district, int):
            return self.stores[district]
        for store in self.stores:
            if store.district_id == district:
                return store
        raise KeyError(district)

    def district_token(self, district: int | str | None = None) -> str:
        """The district's Secure Sync bearer token (also valid after revocation)."""
        d = self.store(district).layout.index
        seed = self.config.seed
        return "".join(f"{mix(seed, d, part, 0x70CE):016x}" for part in range(3))[:40]

    def active_tokens(self) -> list[tuple[str, DistrictStore]]:
        return [
            (self.district_token(s.layout.index), s)
            for s in self.stores
            if s.district_id not in self.revoked
        ]

    def token_record(self, store: DistrictStore) -> dict[str, object]:
        """One entry of ``GET /oauth/tokens``."""
        created = SNAPSHOT - 86_400 * 200
        return {
            "id": object_id(created, store.layout.tag("token"), 0),
            "created": iso_ms(created, 0),
            "owner": {"type": "district", "id": store.district_id},
            "access_token": self.district_token(store.layout.index),
            "scopes": list(TOKEN_SCOPES),
        }

    def authenticate(self, authorization: str | None) -> Auth | None:
        """Resolve an ``Authorization: Bearer`` header to a caller, or None."""
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None
        store = self._tokens.get(token)
        if store is not None:
            return None if store.district_id in self.revoked else Auth(token, store, None)
        session = self.sessions.get(token)
        if session is None or session.store.district_id in self.revoked:
            return None
        return Auth(token, session.store, session)
