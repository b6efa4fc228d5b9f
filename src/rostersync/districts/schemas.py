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

GuardedEntity = Literal["schools", "students", "teachers", "staff", "district_admins", "sections"]
ThresholdPercent = Annotated[Decimal, Field(ge=0, le=100, decimal_places=2, examples=[10])]
ThresholdMinimum = Annotated[int, Field(ge=0, examples=[20])]
GoogleDomain = Annotated[
    str,
    BeforeValidator(lambda v: v.strip().lower() if isinstance(v, str) else v),
    Field(pattern=r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$"),
]


class Threshold(BaseModel):
    """Hold a sync that would deactivate more than `percent` % of the active records of a type
    and at least `minimum` of them."""

    model_config = ConfigDict(extra="forbid")

    percent: ThresholdPercent
    minimum: ThresholdMinimum


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
    deactivation_guard_enabled: bool | None = Field(
        default=None,
        description="false turns the deactivation threshold off (an emptied collection "
        "still holds).",
    )
    deactivation_threshold_percent: ThresholdPercent | None = None
    deactivation_threshold_min: ThresholdMinimum | None = None
    deactivation_thresholds: dict[GuardedEntity, Threshold] | None = Field(
        default=None,
        description="Per entity type, overriding the two fields above; {} removes overrides.",
        examples=[{"students": {"percent": 5, "minimum": 50}}],
    )
    allowed_google_domains: list[GoogleDomain] | None = Field(
        default=None,
        description="Google sign-in only for accounts of these Workspace domains; [] allows any.",
        examples=[["springfield.k12.example"]],
    )


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
    deactivation_thresholds: dict[str, Threshold]
    allowed_google_domains: list[str]
    created_at: datetime
    updated_at: datetime
