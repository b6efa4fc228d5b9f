from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, SecretStr

from rostersync.accounts.caller import CallerKind

_SUBJECT_EXAMPLE: dict[str, JsonValue] = {
    "kind": "account",
    "district": "DEMO",
    "name": "owner",
    "roles": ["account_owner"],
    "expires_at": "2026-11-25T06:00:00Z",
}


class LoginIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"district": "DEMO", "username": "owner", "password": "demo-owner-password"}
            ]
        },
    )

    district: str = Field(
        min_length=1, max_length=64, description="The District ID (any case).", examples=["DEMO"]
    )
    username: str = Field(
        min_length=1, max_length=150, description="The username (any case).", examples=["owner"]
    )
    password: SecretStr = Field(min_length=1, max_length=1024)


class SignedInOut(BaseModel):
    """Who a request is signed in as."""

    model_config = ConfigDict(json_schema_extra={"examples": [_SUBJECT_EXAMPLE]})

    kind: CallerKind = Field(description="operator, account (the Account Owner) or user.")
    district: str | None = Field(description="The District ID; null for the operator.")
    name: str = Field(description="The Account Owner's username, a person's name, or 'operator'.")
    roles: list[str]
    expires_at: datetime | None = Field(description="When the session ends; null for the operator.")


class LoginOut(BaseModel):
    """A new session: the token for API clients (the browser also gets it as a cookie)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "token": "q4Vx…43 url-safe characters…",
                    "token_type": "bearer",
                    "expires_at": "2026-11-25T06:00:00Z",
                    "csrf_token": "Zm9v…43 url-safe characters…",
                    "subject": _SUBJECT_EXAMPLE,
                }
            ]
        }
    )

    token: str = Field(description="Send as 'Authorization: Bearer <token>'. Shown only once.")
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (a scheme name)
    expires_at: datetime
    csrf_token: str = Field(
        description="Cookie-signed-in requests that change something send it as X-CSRF-Token."
    )
    subject: SignedInOut
