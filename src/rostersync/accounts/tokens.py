"""Session and CSRF tokens. Only a session token's SHA-256 is stored; CSRF tokens are derived."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

# Domain separation: SECRET_KEY may sign other things than CSRF tokens.
_CSRF_LABEL = b"rostersync-csrf:"


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def hash_session_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def csrf_token_for(secret_key: str, session_token: str) -> str:
    """HMAC-SHA256 of the session token: stateless, and useless without the session."""
    digest = hmac.new(
        secret_key.encode(), _CSRF_LABEL + session_token.encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def csrf_token_matches(secret_key: str, session_token: str, presented: str | None) -> bool:
    expected = csrf_token_for(secret_key, session_token)
    return hmac.compare_digest((presented or "").encode(), expected.encode())
