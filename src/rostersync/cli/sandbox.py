"""`rostersync sandbox`: the offline Clever, for development, tests and demos."""

from __future__ import annotations

import os
from typing import Annotated

import typer
import uvicorn
from fastapi import FastAPI

from rostersync.cli._runtime import load_settings
from rostersync.sandbox import SandboxConfig, create_sandbox_app, sandbox_state


def register(app: typer.Typer) -> None:
    app.command()(sandbox)


def _default(name: str, fallback: str) -> str:
    return os.environ.get(name) or fallback


def sandbox(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8100,
    students: Annotated[int, typer.Option(min=1, help="Students per district.")] = 200,
    districts: Annotated[int, typer.Option(min=1, help="How many districts.")] = 1,
    seed: Annotated[int, typer.Option(min=0, help="Same seed, same districts.")] = 1,
    client_id: Annotated[
        str | None,
        typer.Option(help="OAuth client id [default: $CLEVER_CLIENT_ID or sandbox-client]"),
    ] = None,
    client_secret: Annotated[
        str | None,
        typer.Option(help="OAuth client secret [default: $CLEVER_CLIENT_SECRET or sandbox-secret]"),
    ] = None,
    redirect_uri: Annotated[
        list[str] | None,
        typer.Option(help="Allowed Instant Login redirect URI (repeatable; default: any)."),
    ] = None,
    rate_limit: Annotated[
        int, typer.Option(min=1, help="Requests per minute per token, as Clever enforces.")
    ] = 1200,
    control: Annotated[
        bool, typer.Option(help="Serve the /_sandbox control and fault endpoints.")
    ] = False,
) -> None:
    """Serve an offline Clever (Data, Events, OAuth and OIDC APIs) from synthetic districts.

    Point rostersync at it with CLEVER_API_BASE_URL and CLEVER_OAUTH_BASE_URL set to its URL.
    """
    load_settings(quiet=False)
    config = SandboxConfig(
        students=students,
        districts=districts,
        seed=seed,
        client_id=client_id or _default("CLEVER_CLIENT_ID", "sandbox-client"),
        client_secret=client_secret or _default("CLEVER_CLIENT_SECRET", "sandbox-secret"),
        redirect_uris=tuple(redirect_uri or ()),
        rate_limit_per_minute=rate_limit,
        control=control,
    )
    app = create_sandbox_app(config)
    _print_banner(sandbox_state(app).district_ids, app, config, f"http://{host}:{port}")
    uvicorn.run(app, host=host, port=port, log_config=None, server_header=False)


def _print_banner(district_ids: list[str], app: FastAPI, config: SandboxConfig, url: str) -> None:
    state = sandbox_state(app)
    typer.echo(f"Offline Clever on {url} (client id {config.client_id})", err=True)
    for district_id in district_ids:
        typer.echo(f"  district {district_id}: token {state.district_token(district_id)}", err=True)
    typer.echo(
        f"Point rostersync at it: CLEVER_API_BASE_URL={url} CLEVER_OAUTH_BASE_URL={url}", err=True
    )
