from __future__ import annotations

from rostersync.errors import AppError, ConflictError, UnauthorizedError


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
