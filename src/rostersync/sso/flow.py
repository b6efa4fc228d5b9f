"""A sign-in in progress, kept in the browser: an encrypted, expiring, HttpOnly cookie.

The cookie binds the callback to the browser that started the sign-in: it holds the
`state` to compare, the `nonce` the id_token must carry and the PKCE verifier, none of
which the server stores. Fernet (AES-CBC + HMAC-SHA256, with its own timestamp) both hides
the verifier and makes the cookie tamper-evident; its key is derived from SECRET_KEY.
"""

from __future__ import annotations

import base64
import json
from dataclasses import asdict, dataclass
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from starlette.responses import Response

from rostersync.sso.exceptions import SignInRefusedError

FLOW_LIFETIME_SECONDS = 600
COOKIE_PATH = "/sso"


@dataclass(frozen=True)
class Flow:
    provider: str
    district: str  # the District ID the sign-in was started for
    state: str
    nonce: str | None = None
    code_verifier: str | None = None


def cookie_name(provider: str) -> str:
    return f"rostersync_sso_{provider}"


class FlowSealer:
    def __init__(self, secret_key: str) -> None:
        key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"rostersync sso flow"
        ).derive(secret_key.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, flow: Flow, now: datetime) -> str:
        payload = json.dumps(asdict(flow), separators=(",", ":")).encode()
        return self._fernet.encrypt_at_time(payload, int(now.timestamp())).decode()

    def unseal(self, sealed: str, now: datetime) -> Flow:
        """The flow in the cookie; `invalid_state` if forged, `login_expired` if too old."""
        token = sealed.encode()
        try:
            started = self._fernet.extract_timestamp(token)
        except (InvalidToken, InvalidSignature):
            raise SignInRefusedError(
                "invalid_state", reason="flow cookie does not verify"
            ) from None
        if now.timestamp() - started > FLOW_LIFETIME_SECONDS:
            raise SignInRefusedError("login_expired")
        payload = self._fernet.decrypt(token)  # verified above; the age was checked by us
        return Flow(**json.loads(payload))


def set_flow_cookie(response: Response, provider: str, sealed: str, *, secure: bool) -> None:
    # SameSite=Lax: the provider's redirect back is a top-level GET, which Lax lets through.
    response.set_cookie(
        cookie_name(provider),
        sealed,
        max_age=FLOW_LIFETIME_SECONDS,
        path=COOKIE_PATH,
        secure=secure,
        httponly=True,
        samesite="lax",
    )


def clear_flow_cookie(response: Response, provider: str, *, secure: bool) -> None:
    response.delete_cookie(
        cookie_name(provider), path=COOKIE_PATH, secure=secure, httponly=True, samesite="lax"
    )
