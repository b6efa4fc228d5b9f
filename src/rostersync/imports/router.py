"""OneRoster CSV uploads: `POST /districts/{code}/imports`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, status

from rostersync.accounts.dependencies import SyncManagerDep
from rostersync.deps import SessionDep, SettingsDep
from rostersync.errors import error_responses
from rostersync.imports import service
from rostersync.imports.receive import receive_upload
from rostersync.syncs import service as syncs
from rostersync.syncs.schemas import SyncRunOut

router = APIRouter(prefix="/districts", tags=["imports"])

CodePath = Annotated[str, Path(description="The District ID", examples=["SELFSERV"])]

_BINARY = {"type": "string", "format": "binary"}
_REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "description": "OneRoster 1.1 bulk CSV files (1.2 `roles.csv` accepted): `orgs.csv`, "
    "`users.csv`, `classes.csv` and `enrollments.csv` are required; `academicSessions.csv`, "
    "`courses.csv`, `manifest.csv` are read when present; other files are ignored. Either "
    "one file part per CSV file (named by its file name) or one zip holding them (in any "
    "folder), as a part or as the whole body.",
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {
                    "orgs.csv": _BINARY,
                    "users.csv": _BINARY,
                    "classes.csv": _BINARY,
                    "enrollments.csv": _BINARY,
                    "academicSessions.csv": _BINARY,
                    "courses.csv": _BINARY,
                    "manifest.csv": _BINARY,
                    "file": {**_BINARY, "description": "Or: one zip of the files"},
                },
            }
        },
        "application/zip": {"schema": _BINARY},
    },
}
_UPLOAD_PROBLEMS = {
    "description": "The files cannot be used; nothing was queued. Every problem is listed "
    "with its file, line and column (the first 20; `more_problems` counts the rest).",
    "content": {
        "application/json": {
            "example": {
                "detail": "users.csv line 1, column familyName: missing from the header; add "
                "the column; enrollments.csv: is missing; every upload needs it (OneRoster "
                "1.1 bulk)",
                "problems": [
                    {
                        "file": "users.csv",
                        "line": 1,
                        "column": "familyName",
                        "message": "missing from the header; add the column",
                    },
                    {
                        "file": "enrollments.csv",
                        "line": None,
                        "column": None,
                        "message": "is missing; every upload needs it (OneRoster 1.1 bulk)",
                    },
                ],
                "more_problems": 0,
            }
        }
    },
}
_TOO_LARGE = {
    "description": "The upload (or a zip entry, unzipped) is larger than UPLOAD_MAX_BYTES "
    "allows, or a zip entry expands suspiciously (a zip bomb)",
    "content": {
        "application/json": {
            "example": {
                "detail": "The upload is larger than the 800,000,000 bytes allowed "
                "(UPLOAD_MAX_BYTES). Zip the files (they compress about tenfold), or ask the "
                "service's operator for a higher limit; a bulk upload cannot be split."
            }
        }
    },
}
_CONFLICT = {
    "description": "A sync of the district is queued, running or on hold, or the district "
    "is paused, or it is rostered from Clever",
    "content": {
        "application/json": {
            "example": {
                "detail": "District SELFSERV already has a sync queued, running or on hold; "
                "wait for it to finish (or decide the held one) before starting another.",
                "active_sync_id": "0b9f3c1e-4a43-4d2b-9a51-6f2e0c7d9a10",
            }
        }
    },
}


@router.post(
    "/{code}/imports",
    response_model=SyncRunOut,
    status_code=status.HTTP_202_ACCEPTED,
    openapi_extra={"requestBody": _REQUEST_BODY},
    responses={
        **error_responses(400, 401, 403, 404),
        409: _CONFLICT,
        413: _TOO_LARGE,
        415: {"description": "Neither multipart/form-data nor a zip body"},
        422: _UPLOAD_PROBLEMS,
    },
)
async def import_roster(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    caller: SyncManagerDep,
    code: CodePath,
    preview: Annotated[
        bool, Query(description="Stop after the diff: counts and changes, nothing applied.")
    ] = False,
) -> SyncRunOut:
    """Upload the district's OneRoster CSV files: a run with trigger `upload` is queued.

    The files are checked whole first (files, columns, UTF-8 headers, sizes, the zip's
    safety); then the run goes through the same stage, diff, safeguards and apply as a
    Clever sync, with the same counts, change report, holds and live events
    (`GET /syncs/{id}/events`). Rows that cannot be used are rejected with their file,
    line and column; rows left out on purpose (parents, disabled users) are counted in
    `skipped`. Example: `curl -H "Authorization: Bearer $TOKEN" -F orgs.csv=@orgs.csv
    -F users.csv=@users.csv -F classes.csv=@classes.csv -F enrollments.csv=@enrollments.csv
    https://…/districts/SELFSERV/imports`.
    """
    await service.uploading_district(session, caller, code)
    # Checked before a byte of the body is read; no transaction stays open while it arrives.
    await session.commit()
    limits = settings.upload
    async with service.scratch_dir(limits) as workdir:
        received = await receive_upload(request, workdir, limits.max_bytes)
        upload = await service.open_received(received, workdir, limits)
        # Checked again as the run is queued (require_uploads, the one-active-run index).
        district = await syncs.caller_district(session, caller, code)
        run = await service.queue_import(
            session, district, upload, started_by=caller.name, preview=preview
        )
    return syncs.run_out(run, district.code)
