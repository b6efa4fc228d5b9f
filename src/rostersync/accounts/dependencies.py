"""Who is calling: operators today (Account Owners and people come with sign-in)."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from rostersync.accounts.exceptions import OperatorApiDisabledError, OperatorTokenRequiredError
from rostersync.deps import SettingsDep

_bearer = HTTPBearer(auto_error=False, description="The operator token (OPERATOR_TOKEN).")


async def require_operator(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    if settings.operator_token is None:
        raise OperatorApiDisabledError
    expected = settings.operator_token.get_secret_value().encode()
    presented = credentials.credentials.encode() if credentials else b""
    if not hmac.compare_digest(presented, expected):
        raise OperatorTokenRequiredError


OperatorDep = Annotated[None, Depends(require_operator)]
