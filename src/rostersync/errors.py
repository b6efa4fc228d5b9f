"""One error type for the whole service, and its one handler."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError

from rostersync.db.errors import violated_constraint

logger = logging.getLogger(__name__)


class AppError(Exception):
    """An error whose message is safe and useful to show the caller."""

    status_code: int = 400

    def __init__(self, message: str, status_code: int | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code
        self.extra = extra
        self.headers: dict[str, str] = {}  # e.g. Retry-After


class NotFoundError(AppError):
    status_code = 404


class ConflictError(AppError):
    status_code = 409


class UnauthorizedError(AppError):
    status_code = 401


class ForbiddenError(AppError):
    status_code = 403


def app_error_response(exc: AppError) -> JSONResponse:
    """The answer to an AppError; a route returns it (not raises) when its writes must commit."""
    headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else {}
    headers.update(exc.headers)
    return JSONResponse(
        {"detail": exc.message, **exc.extra}, status_code=exc.status_code, headers=headers or None
    )


async def _handle_app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return app_error_response(exc)


async def _handle_integrity_error(request: Request, exc: Exception) -> JSONResponse:
    # A constraint caught what a service check missed: still the caller's conflict, not a 500.
    assert isinstance(exc, IntegrityError)
    constraint = violated_constraint(exc)
    logger.warning("constraint violated", extra={"constraint": constraint})
    return JSONResponse(
        {"detail": f"The change conflicts with existing data ({constraint or 'constraint'})."},
        status_code=409,
    )


async def _handle_unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error", extra={"path": request.url.path})
    return JSONResponse(
        {"detail": "Internal error; the request id in X-Request-ID helps us find it."},
        status_code=500,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _handle_app_error)
    app.add_exception_handler(IntegrityError, _handle_integrity_error)
    app.add_exception_handler(Exception, _handle_unexpected)


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the AppErrors a route may raise."""
    descriptions = {
        400: "Invalid request",
        401: "Missing or invalid credentials",
        403: "Not allowed for this caller",
        404: "Not found (or not visible to this caller)",
        409: "Conflicts with the current state",
        422: "Validation error",
        429: "Too many attempts; retry after the Retry-After header's seconds",
        503: "Not ready",
    }
    return {
        code: {
            "description": descriptions.get(code, "Error"),
            "content": {
                "application/json": {"example": {"detail": descriptions.get(code, "Error")}}
            },
        }
        for code in codes
    }
