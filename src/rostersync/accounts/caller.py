"""Who is calling, as every feature sees it: the operator, an Account Owner or a person."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

CallerKind = Literal["operator", "account", "user"]
ACCOUNT_OWNER = "account_owner"


@dataclass(frozen=True)
class Caller:
    kind: CallerKind
    district_id: int | None  # None for the operator
    name: str  # the account's username; "operator" for the operator token
    roles: tuple[str, ...]  # ("account_owner",) for an Account Owner; () for the operator
    session_id: uuid.UUID | None

    @property
    def is_operator(self) -> bool:
        return self.kind == "operator"


OPERATOR = Caller(kind="operator", district_id=None, name="operator", roles=(), session_id=None)
