"""Sync Now, the sync history and live status: `/syncs`."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request, status
from fastapi.responses import StreamingResponse

from rostersync.accounts.dependencies import SyncManagerDep
from rostersync.deps import DatabaseDep, SessionDep, SettingsDep
from rostersync.errors import error_responses
from rostersync.syncs import decisions, service
from rostersync.syncs.report import change_report_csv
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


_DECISION_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {
        "description": "The run is not on hold, another sync changed the roster since it was "
        "held, or (approve) its students still exceed the license",
        "content": {
            "application/json": {
                "example": {
                    "detail": "This sync would keep 1,250 active students in DEMO; the license "
                    "still covers 1,000. Ask us to raise the license, or discard this sync and "
                    "narrow the sharing."
                }
            }
        },
    }
}


@router.post(
    "/{run_id}/approve",
    response_model=SyncRunOut,
    status_code=status.HTTP_202_ACCEPTED,
    responses={**error_responses(401, 403, 404), **_DECISION_CONFLICT},
)
async def approve_sync(
    session: SessionDep, caller: SyncManagerDep, run_id: RunIdPath
) -> SyncRunOut:
    """Approve a held sync: it is queued again and applies exactly the changes it showed
    (its change report), without fetching anything anew."""
    return await decisions.approve(session, caller, run_id)


@router.post(
    "/{run_id}/discard",
    response_model=SyncRunOut,
    responses={**error_responses(401, 403, 404), **_DECISION_CONFLICT},
)
async def discard_sync(
    session: SessionDep, caller: SyncManagerDep, run_id: RunIdPath
) -> SyncRunOut:
    """Discard a held sync: nothing is applied, and the district can sync again."""
    return await decisions.discard(session, caller, run_id)


@router.get(
    "/{run_id}/changes",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "CSV (UTF-8): one line per created, deactivated, reactivated or "
            "rejected record, and one per changed field of an updated record.",
            "content": {
                "text/csv": {
                    "example": "entity,source_id,action,field,old_value,new_value,reason\r\n"
                    "user,58da8c63d7dc0ca068000478,updated,name_last,Smith,Smith-Jones,\r\n"
                    "user,58da8c63d7dc0ca068000479,deactivated,,,,\r\n"
                    "section,58da8c63d7dc0ca068000601,rejected,,,,"
                    "school 58da8c63d7dc0ca068000003 is not shared with the app\r\n"
                }
            },
        },
        **error_responses(401, 403, 404),
        410: {"description": "The report was removed after the retention period"},
    },
)
async def sync_changes(
    session: SessionDep,
    database: DatabaseDep,
    settings: SettingsDep,
    caller: SyncManagerDep,
    run_id: RunIdPath,
) -> StreamingResponse:
    """The run's change report (previews and held runs included), streamed as CSV."""
    await service.require_report(session, caller, run_id, settings.change_report_retention_days)
    return StreamingResponse(
        change_report_csv(database, run_id),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="sync-{run_id}-changes.csv"'},
    )
