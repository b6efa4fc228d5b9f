from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from rostersync.districts.models import DISTRICT_CODE_PATTERN

DistrictSource = Literal["clever", "oneroster_csv"]
DistrictStatus = Literal["active", "paused", "disconnected"]


def _upper_stripped(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


DistrictCode = Annotated[
    str,
    BeforeValidator(_upper_stripped),
    Field(
        pattern=DISTRICT_CODE_PATTERN,
        description="The District ID people type at login: 2-32 letters, digits, '-' or '_'.",
        examples=["SELFSERV"],
    ),
]
DistrictName = Annotated[str, Field(min_length=1, max_length=200, examples=["Springfield USD"])]
LicenseLimit = Annotated[
    int | None,
    Field(ge=0, description="Most active students allowed; null means unlimited.", examples=[1000]),
]


class DistrictCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: DistrictCode
    name: DistrictName
    source: DistrictSource = "clever"
    student_license_limit: LicenseLimit = None


class DistrictUpdate(BaseModel):
    """Only the fields present are changed; `student_license_limit: null` removes the limit."""

    model_config = ConfigDict(extra="forbid")

    name: DistrictName | None = None
    source: DistrictSource | None = None
    status: DistrictStatus | None = None
    student_license_limit: LicenseLimit = None


class DistrictOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    source: DistrictSource
    status: DistrictStatus
    clever_district_id: str | None
    student_license_limit: int | None
    deactivation_guard_enabled: bool
    deactivation_threshold_percent: Decimal
    deactivation_threshold_min: int
    allowed_google_domains: list[str]
    created_at: datetime
    updated_at: datetime
