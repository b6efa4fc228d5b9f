"""Sync Now, the sync history and live status: `/syncs`."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Request, status
from fastapi.responses import StreamingResponse

from rostersync.accounts.dependencies import SyncManagerDep
from rostersync.deps import DatabaseDep, SessionDep, SettingsDep
from rostersync.errors import error_responses
from rostersync.syncs import service
from rostersync.syncs.schemas import SyncCreate, SyncRunOut, SyncRunPage, SyncStatus, SyncTrigger
from rostersync.syncs.stream import run_events

router = APIRouter(prefix="/syncs", tags=["syncs"])

RunIdPath = Annotated[uuid.UUID, Path(description="The sync run's id")]
_SSE_EXAMPLE = (
    'event: status\ndata: {"id": "…", "status": "processing", …}\n\n'
    'event: progress\ndata: {"id": "…", "progress": {"users": {"pages": 1, "records": 10000, '
    '"done": false}}}\n\n'
    ": keep-alive\n\n"
    'event: status\ndata: {"id": "…", "status": "successful", "counts": {…}, …}\n\n'
)


@router.post(
    "",
    response_model=SyncRunOut,
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        **error_responses(401, 403, 404, 422),
        409: {
            "description": "A sync is already queued, running or on hold for the district, "
            "or the district is paused or disconnected",
            "content": {
                "application/json": {
                    "example": {
                        "detail": "District DEMO already has a sync queued, running or on hold; "
                        "wait for it to finish (or decide the held one) before starting another.",
                        "active_sync_id": "0b9f3c1e-4a43-4d2b-9a51-6f2e0c7d9a10",
                    }
                }
            },
        },
    },
)
async def start_sync(
    session: SessionDep,
    caller: SyncManagerDep,
    data: Annotated[
        SyncCreate,
        Body(examples=[{"preview": False}, {"preview": True}, {"district": "DEMO"}]),
    ] = SyncCreate(),  # noqa: B008 - an immutable default body
) -> SyncRunOut:
    """Sync Now: queue a sync of the district; a worker starts it within seconds.

    Watch it with `GET /syncs/{id}/events`, or poll `GET /syncs/{id}`.
    """
    return await service.start_on_demand(session, caller, data)


@router.get("", response_model=SyncRunPage, responses=error_responses(400, 401, 403, 404, 422))
async def list_syncs(
    session: SessionDep,
    caller: SyncManagerDep,
    district: Annotated[
        str | None, Query(description="The District ID (operators must name it)")
    ] = None,
    status: Annotated[list[SyncStatus] | None, Query(description="Only these statuses")] = None,
    trigger: Annotated[list[SyncTrigger] | None, Query(description="Only these triggers")] = None,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=service.HISTORY_PAGE_MAX)] = 20,
) -> SyncRunPage:
    """The district's sync history, newest first: trigger, who started it, status, counts."""
    return await service.history(
        session,
        caller,
        district_code=district,
        statuses=list(status or []),
        triggers=list(trigger or []),
        cursor=cursor,
        limit=limit,
    )


@router.get("/{run_id}", response_model=SyncRunOut, responses=error_responses(401, 403, 404))
async def get_sync(session: SessionDep, caller: SyncManagerDep, run_id: RunIdPath) -> SyncRunOut:
    """One run: status, progress per collection, counts per entity, hold reason or error."""
    return await service.get_visible_run(session, caller, run_id)


@router.get(
    "/{run_id}/events",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "`text/event-stream`: a `status` event (the whole run) at once and "
            "on every status change, `progress` events in between, a keep-alive comment "
            "every 15 s; the stream ends after `successful`, `failed` or `discarded`.",
            "content": {"text/event-stream": {"example": _SSE_EXAMPLE}},
        },
        **error_responses(401, 403, 404),
    },
)
async def sync_events(
    request: Request,
    session: SessionDep,
    database: DatabaseDep,
    settings: SettingsDep,
    caller: SyncManagerDep,
    run_id: RunIdPath,
) -> StreamingResponse:
    """Live status of a run as Server-Sent Events, whichever replica executes it."""
    await service.get_visible_run(session, caller, run_id)
    stream = run_events(
        database,
        request.app.state.run_events,
        run_id,
        caller.district_id,
        settings.sse_keepalive_seconds,
    )
    return StreamingResponse(
        stream,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
