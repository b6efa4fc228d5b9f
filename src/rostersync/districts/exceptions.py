from __future__ import annotations

from rostersync.errors import ConflictError, NotFoundError


class DistrictNotFoundError(NotFoundError):
    def __init__(self, code: str) -> None:
        super().__init__(
            f"No district with District ID {code!r}. Check the code, or list districts "
            "with `rostersync district list`."
        )


class DistrictCodeTakenError(ConflictError):
    def __init__(self, code: str) -> None:
        super().__init__(
            f"District ID {code!r} is already taken. Choose another code, or update the "
            f"existing district with `rostersync district update {code}`."
        )


class CleverDistrictAlreadyConnectedError(ConflictError):
    def __init__(self, clever_district_id: str, code: str) -> None:
        super().__init__(
            f"Clever district {clever_district_id} is already connected as District ID "
            f"{code}; reconnect it under that code."
        )
