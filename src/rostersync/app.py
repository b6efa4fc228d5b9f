"""The FastAPI application: `create_app()` wires the features; `lifespan` owns resources."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from rostersync import __version__
from rostersync.accounts.router import router as auth_router
from rostersync.config import Settings, get_settings
from rostersync.db import Database, create_database, open_database_url
from rostersync.db.engine import libpq_dsn
from rostersync.db.migrate import head_revision
from rostersync.districts.router import router as districts_router
from rostersync.errors import install_error_handlers
from rostersync.health.router import router as health_router
from rostersync.imports.opener import upload_opener
from rostersync.imports.router import router as imports_router
from rostersync.logs import stamp_request_ids
from rostersync.middleware import RequestContextMiddleware
from rostersync.sso.providers import build_sign_ins
from rostersync.sso.router import router as sso_router
from rostersync.syncs import clever as clever_sync
from rostersync.syncs.events import RunEvents
from rostersync.syncs.router import router as syncs_router
from rostersync.syncs.scheduler import SyncScheduler
from rostersync.syncs.worker import SyncWorker, by_trigger

DESCRIPTION = """
rostersync keeps the platform's roster in step with each district's Clever Secure Sync
(or OneRoster CSV uploads) and signs people in with Clever Instant Login and Google.

Errors are JSON `{"detail": "..."}`; every response carries an `X-Request-ID`.
"""


HTTP_TIMEOUT = httpx.Timeout(60.0, connect=10.0)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The database, the HTTP client, live run events, and the worker and scheduler roles."""
    settings: Settings = app.state.settings
    app.state.expected_revision = head_revision()
    async with contextlib.AsyncExitStack() as stack:
        url = await stack.enter_async_context(open_database_url(settings))
        database = create_database(url, pool_size=settings.database.database_pool_size)
        stack.push_async_callback(database.dispose)
        http = await stack.enter_async_context(
            httpx.AsyncClient(timeout=HTTP_TIMEOUT, follow_redirects=False)
        )
        events = RunEvents(libpq_dsn(url))
        await events.start()
        stack.push_async_callback(events.stop)
        app.state.database, app.state.http, app.state.run_events = database, http, events
        app.state.sign_ins = build_sign_ins(http, settings)
        await _start_roles(app, stack, settings, database, http, events)
        yield


async def _start_roles(
    app: FastAPI,
    stack: contextlib.AsyncExitStack,
    settings: Settings,
    database: Database,
    http: httpx.AsyncClient,
    events: RunEvents,
) -> None:
    if settings.worker.enabled:
        opener = by_trigger(
            clever_sync.source_opener(database, http, settings),
            upload=upload_opener(database, settings.upload),
        )
        worker = SyncWorker(database, settings.worker, opener, events)
        await worker.start()
        stack.push_async_callback(worker.stop)
    if settings.scheduler.enabled:
        scheduler = SyncScheduler(database, http, settings)
        scheduler.start()
        stack.callback(scheduler.shutdown)
        app.state.scheduler = scheduler


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
    if app.state.settings.api_enabled:
        app.include_router(districts_router)
        app.include_router(imports_router)
        app.include_router(auth_router)
        app.include_router(syncs_router)
        app.include_router(sso_router)
    return app
