from __future__ import annotations

import asyncio
import logging
from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError

from rostersync.db.migrate import current_revision
from rostersync.deps import DatabaseDep

router = APIRouter(prefix="/health", tags=["health"])
logger = logging.getLogger(__name__)

READY_TIMEOUT_S = 3.0


class Liveness(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    database: Literal["ok", "unreachable"]
    schema_revision: str | None
    expected_revision: str | None


@router.get("/live", response_model=Liveness)
async def live() -> Liveness:
    """The process is up (it does not touch the database)."""
    return Liveness()


@router.get(
    "/ready",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "Database down or schema not at head"}},
)
async def ready(database: DatabaseDep, request: Request, response: Response) -> Readiness:
    """Ready when the database answers and its schema is at the code's migration head."""
    expected: str | None = request.app.state.expected_revision
    try:
        async with asyncio.timeout(READY_TIMEOUT_S), database.engine.connect() as connection:
            revision = await current_revision(connection)
    except (SQLAlchemyError, OSError, TimeoutError):
        logger.warning("readiness: database unreachable")
        response.status_code = 503
        return Readiness(
            status="not_ready",
            database="unreachable",
            schema_revision=None,
            expected_revision=expected,
        )
    at_head = revision is not None and revision == expected
    response.status_code = 200 if at_head else 503
    return Readiness(
        status="ready" if at_head else "not_ready",
        database="ok",
        schema_revision=revision,
        expected_revision=expected,
    )
