from __future__ import annotations

import math

from rostersync.errors import AppError, ConflictError, ForbiddenError, UnauthorizedError


class AccountOwnerExistsError(ConflictError):
    def __init__(self, district_code: str, username: str) -> None:
        super().__init__(
            f"District {district_code} already has its Account Owner ({username}); "
            "each district has exactly one."
        )


class WeakPasswordError(AppError):
    status_code = 422

    def __init__(self, problem: str) -> None:
        super().__init__(f"Password rejected: {problem}.")


class OperatorTokenRequiredError(UnauthorizedError):
    def __init__(self) -> None:
        super().__init__("This endpoint needs the operator token: send 'Authorization: Bearer …'.")


class OperatorApiDisabledError(UnauthorizedError):
    def __init__(self) -> None:
        super().__init__("The operator API is disabled: set OPERATOR_TOKEN on the server.")


class LoginRefusedError(AppError):
    """A refused sign-in; the router returns it so the recorded failure is committed."""


class InvalidCredentialsError(LoginRefusedError):
    status_code = 401

    def __init__(self) -> None:
        # One message for an unknown district, an unknown user and a wrong password.
        super().__init__("The District ID, username or password is not right.")


class AccountLockedError(LoginRefusedError):
    status_code = 429

    def __init__(self, retry_after_seconds: float) -> None:
        seconds = max(1, math.ceil(retry_after_seconds))
        minutes = math.ceil(seconds / 60)
        super().__init__(
            "Too many failed sign-in attempts for this account; "
            f"try again in {minutes} minute{'s' if minutes != 1 else ''}."
        )
        self.headers["Retry-After"] = str(seconds)


class NotSignedInError(UnauthorizedError):
    def __init__(self) -> None:
        super().__init__(
            "Sign in first: POST /auth/login, then send its token as "
            "'Authorization: Bearer …' or its rostersync_session cookie."
        )


class InvalidSessionError(UnauthorizedError):
    def __init__(self) -> None:
        super().__init__("This session is not valid (signed out or replaced); sign in again.")


class SessionExpiredError(UnauthorizedError):
    def __init__(self) -> None:
        super().__init__("Your session has expired; sign in again.")


class CsrfTokenError(ForbiddenError):
    def __init__(self) -> None:
        super().__init__(
            "Missing or wrong X-CSRF-Token header: a request signed in by cookie that changes "
            "something must repeat the csrf_token from sign-in (also in the rostersync_csrf "
            "cookie)."
        )


class NotSyncManagerError(ForbiddenError):
    def __init__(self) -> None:
        super().__init__("Only the district's Account Owner can manage syncs.")
