"""Assembly of the sandbox FastAPI app, and serving it with uvicorn."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from ._config import SandboxConfig
from ._control import control_router
from ._data_api import data_router
from ._faults import FaultMiddleware
from ._oauth import authorize_router
from ._oidc import oidc_router
from ._state import SandboxState


def create_sandbox_app(config: SandboxConfig) -> FastAPI:
    """A fake of Clever's Data/Events/OAuth/OIDC APIs over a synthetic district."""
    app = FastAPI(
        title="Clever sandbox",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    state = SandboxState(config)
    app.state.sandbox = state
    # Specific routes first: the data routes match any /v3.x/{resource}.
    app.include_router(oidc_router())
    app.include_router(authorize_router())
    if config.control:
        app.include_router(control_router())
    app.include_router(data_router())
    app.add_middleware(FaultMiddleware, board=state.faults, clock=config.clock)
    # Clever's error bodies are {"message": ...}; keep that shape for unrouted
    # paths and malformed control requests too.
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    return app


async def _http_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, HTTPException):
        raise exc
    return JSONResponse({"message": str(exc.detail)}, status_code=exc.status_code)


async def _invalid_request(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, RequestValidationError):
        raise exc
    problems = "; ".join(
        f"{'.'.join(str(p) for p in err.get('loc', ()))}: {err.get('msg')}" for err in exc.errors()
    )
    return JSONResponse({"message": f"Invalid request: {problems}"}, status_code=400)


def sandbox_state(app: FastAPI) -> SandboxState:
    """The live state behind an app made by create_sandbox_app()."""
    state: SandboxState = app.state.sandbox
    return state
