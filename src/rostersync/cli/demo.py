"""`rostersync serve --demo`: the whole product on one laptop, as `make run` starts it.

The offline Clever serves a demo district next to the API; it is connected as District ID
DEMO with an Account Owner, and synced once when first connected.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator

import httpx
import typer
import uvicorn
from pydantic import SecretStr

from rostersync.accounts import service as accounts
from rostersync.cli._runtime import fail
from rostersync.config import CleverSettings, Settings
from rostersync.db import Database
from rostersync.districts import service as districts
from rostersync.sandbox import SandboxConfig, create_sandbox_app, sandbox_state
from rostersync.syncs import clever as clever_sync

DEMO_CODE = "DEMO"
DEMO_OWNER = "owner"
# A published demo credential for a local, development-only district.
DEMO_PASSWORD = "demo-owner-password"  # noqa: S105
DEMO_STUDENTS = 500


class _SidecarServer(uvicorn.Server):
    """The sandbox's server leaves Ctrl-C to the API server, which stops it in turn."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def offline_clever(settings: Settings, port: int) -> AsyncIterator[tuple[Settings, str]]:
    """Serve the offline Clever on `port`: settings pointing at it, and the demo's token."""
    if settings.is_production:
        fail("--demo starts a fake Clever and is refused with ENVIRONMENT=production", code=2)
    config = SandboxConfig(students=DEMO_STUDENTS)
    app = create_sandbox_app(config)
    server = _SidecarServer(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            fail(f"the offline Clever could not listen on port {port}; choose --demo-clever-port")
        await asyncio.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    clever = CleverSettings(
        api_base_url=url,
        oauth_base_url=url,
        client_id=config.client_id,
        client_secret=SecretStr(config.client_secret),
    )
    state = sandbox_state(app)
    try:
        yield (
            settings.model_copy(update={"clever": clever}),
            state.district_token(state.district_ids[0]),
        )
    finally:
        server.should_exit = True
        await task


async def prepare_demo(database: Database, settings: Settings, token: str) -> None:
    """Connect DEMO with its Account Owner; sync it once, the first time."""
    async with httpx.AsyncClient(timeout=httpx.Timeout(60.0, connect=10.0)) as http:
        async with database.sessionmaker.begin() as session:
            is_new = await districts.find_district(session, DEMO_CODE) is None
            district = await clever_sync.connect(session, http, settings, DEMO_CODE, token)
            if is_new:
                await accounts.create_account_owner(session, district, DEMO_OWNER, DEMO_PASSWORD)
        if is_new:
            typer.echo("Running the initial sync of DEMO...", err=True)
            run = await clever_sync.sync_district(
                database, http, settings, DEMO_CODE, started_by="system", trigger="initial"
            )
            typer.echo(f"Initial sync {run.status}.", err=True)
    typer.echo(
        f"Demo district: District ID {DEMO_CODE}, username {DEMO_OWNER}, password {DEMO_PASSWORD}",
        err=True,
    )
