"""Configuration of the offline Clever sandbox."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

Clock = Callable[[], float]

# Object ids carry a 24-bit counter (like MongoDB ObjectIds); the largest kind
# (students) must stay below 2**24, so the district size is capped well under it.
MAX_STUDENTS = 10_000_000
MAX_DISTRICTS = 50


@dataclass(frozen=True)
class SandboxConfig:
    """Everything that shapes one sandbox instance; same config => same data and ids."""

    students: int = 200
    districts: int = 1
    seed: int = 1
    client_id: str = "sandbox-client"
    # A published test credential of the fake, not a secret.
    client_secret: str = "sandbox-secret"  # noqa: S105
    # Allowed OAuth redirect URIs; empty accepts any http(s) URI.
    redirect_uris: Sequence[str] = ()
    rate_limit_per_minute: int = 1200
    # Registers the /_sandbox control and fault endpoints.
    control: bool = False
    # OIDC issuer and base of discovery URLs; None derives it from each request.
    issuer: str | None = None
    code_ttl_seconds: float = 60.0
    # Injected so tests can freeze and advance time instead of sleeping.
    clock: Clock = field(default=time.time, compare=False, repr=False)

    def __post_init__(self) -> None:
        # Normalise so a list given by callers cannot be mutated behind our back.
        object.__setattr__(self, "redirect_uris", tuple(self.redirect_uris))
        if not 1 <= self.students <= MAX_STUDENTS:
            raise ValueError(f"students must be within 1..{MAX_STUDENTS}")
        if not 1 <= self.districts <= MAX_DISTRICTS:
            raise ValueError(f"districts must be within 1..{MAX_DISTRICTS}")
        if self.rate_limit_per_minute < 1:
            raise ValueError("rate_limit_per_minute must be positive")
        if self.seed < 0:
            raise ValueError("seed must not be negative")
        if self.issuer is not None:
            object.__setattr__(self, "issuer", self.issuer.rstrip("/"))
