"""`rostersync serve --demo`: the whole product on one laptop, as `make run` starts it.

The offline Clever serves a demo district next to the API; it is connected as District ID
DEMO with the Account Owner `admin`, and its initial sync is queued when it is first
connected, for the server's worker to run.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Iterator

import typer
import uvicorn
from pydantic import SecretStr

from rostersync.accounts import service as accounts
from rostersync.cli._runtime import fail
from rostersync.cli.clever import http_client
from rostersync.config import CleverSettings, Settings
from rostersync.db import Database
from rostersync.districts import service as districts
from rostersync.sandbox import SandboxConfig, create_sandbox_app, sandbox_state
from rostersync.syncs import clever as clever_sync
from rostersync.syncs import service as syncs

DEMO_CODE = "DEMO"
DEMO_OWNER = "admin"
DEMO_STUDENTS = 1000
PASSWORD_FILE = "demo-admin-password"  # noqa: S105 - a file name, not a password


class _SidecarServer(uvicorn.Server):
    """The sandbox's server leaves Ctrl-C to the API server, which stops it in turn."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def offline_clever(
    settings: Settings, port: int, *, api_url: str
) -> AsyncIterator[tuple[Settings, str]]:
    """Serve the offline Clever on `port`: settings pointing at it (Instant Login coming back
    to `api_url`), and the demo's token."""
    if settings.is_production:
        fail("--demo starts a fake Clever and is refused with ENVIRONMENT=production", code=2)
    config = SandboxConfig(students=DEMO_STUDENTS)
    app = create_sandbox_app(config)
    server = _SidecarServer(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
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
        redirect_uri=f"{api_url}/sso/clever/callback",
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


async def prepare_demo(database: Database, settings: Settings, token: str) -> str:
    """Connect DEMO and its Account Owner; queue its initial sync the first time. The password."""
    password = demo_password(settings)
    async with (
        http_client() as http,
        database.sessionmaker.begin() as session,
    ):
        is_new = await districts.find_district(session, DEMO_CODE) is None
        district = await clever_sync.connect(session, http, settings, DEMO_CODE, token)
        await accounts.ensure_account_owner(session, district, DEMO_OWNER, password)
        if is_new:
            await syncs.create_run(session, district, trigger="initial", started_by="system")
    if is_new:
        typer.echo(
            "The initial sync of DEMO is queued; the worker starts it in a moment.", err=True
        )
    typer.echo(
        f"Demo district: District ID {DEMO_CODE}, username {DEMO_OWNER}, password {password}",
        err=True,
    )
    return password


def demo_password(settings: Settings) -> str:
    """DEMO_ADMIN_PASSWORD when set; else the one saved under DATA_DIR, made the first time."""
    if settings.demo_admin_password is not None:
        return settings.demo_admin_password.get_secret_value()
    saved = settings.database.data_dir / PASSWORD_FILE
    if saved.exists():
        return saved.read_text().strip()
    password = secrets.token_urlsafe(15)
    saved.parent.mkdir(parents=True, exist_ok=True)
    saved.touch(mode=0o600)
    saved.write_text(password + "\n")
    return password
