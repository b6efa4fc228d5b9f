"""The FastAPI application: `create_app()` wires the features; `lifespan` owns resources."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from rostersync import __version__
from rostersync.config import Settings, get_settings
from rostersync.db import create_database, open_database_url
from rostersync.db.migrate import head_revision
from rostersync.districts.router import router as districts_router
from rostersync.errors import install_error_handlers
from rostersync.health.router import router as health_router
from rostersync.logs import stamp_request_ids
from rostersync.middleware import RequestContextMiddleware

DESCRIPTION = """
rostersync keeps the platform's roster in step with each district's Clever Secure Sync
(or OneRoster CSV uploads) and signs people in with Clever Instant Login and Google.

Errors are JSON `{"detail": "..."}`; every response carries an `X-Request-ID`.
"""


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    app.state.expected_revision = head_revision()
    async with open_database_url(settings) as url:
        database = create_database(url, pool_size=settings.database.database_pool_size)
        app.state.database = database
        try:
            yield
        finally:
            await database.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    app = FastAPI(
        title="rostersync",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings or get_settings()
    stamp_request_ids()
    install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware)
    app.include_router(health_router)
    app.include_router(districts_router)
    return app
