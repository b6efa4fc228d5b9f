from __future__ import annotations

import pytest
from starlette.responses import Response

from rostersync.accounts.cookies import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    clear_session_cookies,
    cookies_are_secure,
    set_session_cookies,
)
from rostersync.accounts.tokens import csrf_token_for, csrf_token_matches
from rostersync.config import Environment


@pytest.mark.parametrize(
    ("environment", "secure"),
    [(Environment.DEVELOPMENT, False), (Environment.TEST, False), (Environment.PRODUCTION, True)],
)
def test_cookies_are_secure_outside_development_and_tests(
    environment: Environment, secure: bool
) -> None:
    assert cookies_are_secure(environment) is secure


@pytest.mark.parametrize("secure", [True, False])
def test_both_cookies_carry_the_secure_flag_when_asked(secure: bool) -> None:
    response = Response()
    set_session_cookies(response, token="t", csrf_token="c", max_age=60, secure=secure)
    headers = response.headers.getlist("set-cookie")
    assert [h.split("=", 1)[0] for h in headers] == [SESSION_COOKIE, CSRF_COOKIE]
    assert all(("; secure" in h.lower()) is secure for h in headers)


def test_clearing_expires_both_cookies() -> None:
    response = Response()
    clear_session_cookies(response, secure=True)
    headers = response.headers.getlist("set-cookie")
    assert len(headers) == 2
    assert all("Max-Age=0" in h and "Secure" in h for h in headers)


def test_the_csrf_token_is_bound_to_the_session_and_the_key() -> None:
    token = csrf_token_for("key", "session-a")
    assert csrf_token_matches("key", "session-a", token)
    assert not csrf_token_matches("key", "session-b", token)
    assert not csrf_token_matches("other-key", "session-a", token)
    assert not csrf_token_matches("key", "session-a", None)
