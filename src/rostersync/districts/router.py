from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, status

from rostersync.accounts.dependencies import OperatorDep
from rostersync.deps import SessionDep
from rostersync.districts import service
from rostersync.districts.schemas import DistrictCreate, DistrictOut, DistrictUpdate
from rostersync.errors import error_responses

router = APIRouter(prefix="/districts", tags=["districts"])

CodePath = Annotated[str, Path(description="The District ID", examples=["SELFSERV"])]


@router.get("", response_model=list[DistrictOut], responses=error_responses(401))
async def list_districts(session: SessionDep, _: OperatorDep) -> list[DistrictOut]:
    """Every district, by District ID (operators)."""
    return [DistrictOut.model_validate(d) for d in await service.list_districts(session)]


@router.post(
    "",
    response_model=DistrictOut,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(401, 409, 422),
)
async def create_district(
    session: SessionDep,
    _: OperatorDep,
    data: Annotated[
        DistrictCreate,
        Body(examples=[{"code": "SELFSERV", "name": "Springfield USD", "source": "clever"}]),
    ],
) -> DistrictOut:
    """Add a district (operators). Clever districts are usually connected with the CLI."""
    return DistrictOut.model_validate(await service.create_district(session, data))


@router.get("/{code}", response_model=DistrictOut, responses=error_responses(401, 404))
async def get_district(session: SessionDep, _: OperatorDep, code: CodePath) -> DistrictOut:
    return DistrictOut.model_validate(await service.get_district(session, code))


@router.patch("/{code}", response_model=DistrictOut, responses=error_responses(401, 404, 409, 422))
async def update_district(
    session: SessionDep,
    _: OperatorDep,
    code: CodePath,
    data: Annotated[
        DistrictUpdate,
        Body(examples=[{"student_license_limit": 1200}, {"status": "paused"}]),
    ],
) -> DistrictOut:
    """Change a district's name, source, status or student license limit (operators)."""
    return DistrictOut.model_validate(await service.update_district(session, code, data))
