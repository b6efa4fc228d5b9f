"""Why a sign-in was refused: a code for the platform's login page, and what it means.

A refused sign-in never answers with a stack trace: the browser is sent to
`PLATFORM_URL/login?error=<code>`. `ERRORS` is the table the README reproduces.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorCode:
    meaning: str
    next_step: str


ERRORS: dict[str, ErrorCode] = {
    "access_denied": ErrorCode(
        "The person cancelled, or did not allow the platform, on the Clever or Google page.",
        "Nothing to fix; sign in again and allow access.",
    ),
    "invalid_state": ErrorCode(
        "The answer from Clever or Google does not belong to a sign-in started in this browser "
        "(a stale tab, cookies blocked, or a forged link).",
        "Start again from the login page; allow cookies for this site.",
    ),
    "login_expired": ErrorCode(
        "More than 10 minutes passed between starting the sign-in and coming back.",
        "Start again from the login page.",
    ),
    "missing_code": ErrorCode(
        "Clever or Google came back without an authorization code.",
        "Start again; if it keeps happening, check the redirect URI registered with the provider.",
    ),
    "code_rejected": ErrorCode(
        "The provider refused the authorization code: it expired (Clever's last one minute) "
        "or does not match the redirect URI.",
        "Start again; if it keeps happening, check CLEVER_REDIRECT_URI / GOOGLE_REDIRECT_URI.",
    ),
    "code_replayed": ErrorCode(
        "This authorization code was already used here; a code signs in once.",
        "Start again from the login page (a reloaded or shared callback link does this).",
    ),
    "provider_unavailable": ErrorCode(
        "Clever or Google did not answer in time, or answered with an error.",
        "Try again in a few minutes; check status.clever.com or Google's status page.",
    ),
    "not_configured": ErrorCode(
        "This sign-in method is not set up on the platform, or the provider refused its "
        "client credentials.",
        "Operators: set CLEVER_CLIENT_ID/SECRET or GOOGLE_CLIENT_ID/SECRET and restart.",
    ),
    "invalid_id_token": ErrorCode(
        "The provider's identity token failed verification (signature, issuer, audience, "
        "expiry or nonce): it may have been tampered with.",
        "Start again; if it keeps happening, operators should check the client id and clock.",
    ),
    "unknown_district": ErrorCode(
        "No district with this District ID uses this sign-in method here.",
        "Check the District ID in the login link; ask the platform to set the district up.",
    ),
    "district_not_connected": ErrorCode(
        "The person's district has not connected the platform in Clever, or disconnected it.",
        "District admin: connect (or reconnect) the platform in the Clever dashboard.",
    ),
    "district_paused": ErrorCode(
        "Sign-in and sync are paused for this district on the platform.",
        "Contact the platform's support to resume the district.",
    ),
    "wrong_district": ErrorCode(
        "The person signed in to a different district than the one the login was started for.",
        "Use your own district's login link, or the Clever dashboard.",
    ),
    "not_rostered": ErrorCode(
        "The person is not in the roster the district shares with the platform.",
        "District admin: share the person (Clever sharing rules or users.csv), then Sync Now.",
    ),
    "deactivated": ErrorCode(
        "The person is no longer shared with the platform (deactivated by a sync).",
        "District admin: share the person again, then Sync Now.",
    ),
    "email_not_verified": ErrorCode(
        "Google says the account's email address is not verified.",
        "Verify the address with Google, or sign in with the district's Google account.",
    ),
    "wrong_domain": ErrorCode(
        "The Google account is not in one of the district's allowed Google domains.",
        "Sign in with the school Google account; district admin: check the allowed domains.",
    ),
    "email_ambiguous": ErrorCode(
        "More than one active person in the district's roster has this email address.",
        "District admin: give each person their own email in the SIS, then Sync Now.",
    ),
}


class SignInRefusedError(Exception):
    """A sign-in that ends on the platform's login page with `code`."""

    def __init__(self, code: str, *, reason: str | None = None) -> None:
        if code not in ERRORS:
            raise ValueError(f"unknown sign-in error code {code!r}")
        super().__init__(code)
        self.code = code
        # For the log line only: what went wrong, never who it happened to.
        self.reason = reason or ERRORS[code].meaning
