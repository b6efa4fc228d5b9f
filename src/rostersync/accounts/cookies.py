"""The browser's session cookie and its readable CSRF twin (double-submit)."""

from __future__ import annotations

from starlette.responses import Response

from rostersync.config import Environment

SESSION_COOKIE = "rostersync_session"
CSRF_COOKIE = "rostersync_csrf"
CSRF_HEADER = "X-CSRF-Token"


def cookies_are_secure(environment: Environment) -> bool:
    """Secure everywhere but on a developer's plain-http localhost and in tests."""
    return environment not in (Environment.DEVELOPMENT, Environment.TEST)


def set_session_cookies(
    response: Response, *, token: str, csrf_token: str, max_age: int, secure: bool
) -> None:
    for name, value, httponly in ((SESSION_COOKIE, token, True), (CSRF_COOKIE, csrf_token, False)):
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path="/",
            secure=secure,
            httponly=httponly,  # browser JS reads the CSRF cookie to echo it in X-CSRF-Token
            samesite="lax",
        )


def clear_session_cookies(response: Response, *, secure: bool) -> None:
    for name, httponly in ((SESSION_COOKIE, True), (CSRF_COOKIE, False)):
        response.delete_cookie(name, path="/", secure=secure, httponly=httponly, samesite="lax")
