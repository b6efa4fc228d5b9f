"""The Clever commands against the offline Clever served over real HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Iterator

import httpx
import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from rostersync.cli import app
from rostersync.config import CleverSettings, DatabaseSettings, Settings, WorkerSettings
from rostersync.db import create_database
from rostersync.syncs import clever as clever_sync
from rostersync.syncs.worker import SyncWorker


@pytest.fixture
def env(cli_env: dict[str, str], live_clever: tuple[str, str]) -> dict[str, str]:
    url, _ = live_clever
    return {
        **cli_env,
        "CLEVER_API_BASE_URL": url,
        "CLEVER_OAUTH_BASE_URL": url,
        "CLEVER_CLIENT_ID": "sandbox-client",
        "CLEVER_CLIENT_SECRET": "sandbox-secret",
    }


def test_discover_connects_the_apps_districts(runner: CliRunner, env: dict[str, str]) -> None:
    result = runner.invoke(app, ["clever", "discover"], env=env)
    assert result.exit_code == 0, result.output
    assert "CLINTON\tClinton Unified School District\tconnected" in result.output  # seed 7
    again = runner.invoke(app, ["clever", "discover"], env=env)
    assert "token refreshed" in again.output


def test_connect_reads_the_token_from_stdin_and_sync_prints_the_run(
    runner: CliRunner, env: dict[str, str], live_clever: tuple[str, str]
) -> None:
    _, token = live_clever
    connected = runner.invoke(
        app,
        ["district", "connect", "--code", "demo", "--clever-token", "-"],
        env=env,
        input=token + "\n",
    )
    assert connected.exit_code == 0, connected.output
    assert "as DEMO" in connected.output
    synced = runner.invoke(app, ["sync", "--district", "DEMO", "--json"], env=env)
    assert synced.exit_code == 0, synced.output
    run = json.loads(synced.output.strip().splitlines()[-1])
    assert run["status"] == "successful"
    assert run["district"] == "DEMO"
    assert run["counts"]["students"]["created"] == 60


def test_preview_applies_nothing_and_says_so(
    runner: CliRunner, env: dict[str, str], live_clever: tuple[str, str]
) -> None:
    _, token = live_clever
    runner.invoke(app, ["district", "connect", "--code", "DEMO", "--clever-token", token], env=env)
    previewed = runner.invoke(app, ["sync", "--district", "DEMO", "--preview"], env=env)
    assert previewed.exit_code == 0, previewed.output
    assert "Previewed DEMO" in previewed.output
    real = runner.invoke(app, ["sync", "--district", "DEMO", "--json"], env=env)
    assert json.loads(real.output.strip().splitlines()[-1])["counts"]["students"]["created"] == 60


def test_sync_of_a_district_without_clever_explains_what_to_do(
    runner: CliRunner, env: dict[str, str]
) -> None:
    runner.invoke(
        app, ["district", "add", "CSV", "--name", "Csv", "--source", "oneroster_csv"], env=env
    )
    runner.invoke(app, ["district", "add", "LATER", "--name", "Later"], env=env)
    csv = runner.invoke(app, ["sync", "--district", "CSV"], env=env)
    assert csv.exit_code == 1
    assert "OneRoster CSV" in csv.output
    later = runner.invoke(app, ["sync", "--district", "LATER"], env=env)
    assert later.exit_code == 1
    assert "rostersync district connect" in later.output


def test_a_bad_token_is_refused_at_connect(runner: CliRunner, env: dict[str, str]) -> None:
    result = runner.invoke(
        app, ["district", "connect", "--code", "DEMO", "--clever-token", "not-a-token"], env=env
    )
    assert result.exit_code == 1
    assert "Clever rejected the district's token (401)" in result.output
    assert "not-a-token" not in result.output


@contextlib.contextmanager
def worker_in_another_process_like_thread(env: dict[str, str]) -> Iterator[None]:
    """A `rostersync serve`-style worker on its own event loop, as another process would be."""
    ready, stop = threading.Event(), threading.Event()

    async def serve_worker() -> None:
        settings = Settings(
            database=DatabaseSettings(database_url=SecretStr(env["DATABASE_URL"])),
            clever=CleverSettings(
                api_base_url=env["CLEVER_API_BASE_URL"],
                oauth_base_url=env["CLEVER_OAUTH_BASE_URL"],
            ),
            worker=WorkerSettings(poll_seconds=0.1),
        )
        database = create_database(env["DATABASE_URL"], pool_size=4)
        async with httpx.AsyncClient() as http:
            opener = clever_sync.source_opener(database, http, settings)
            worker = SyncWorker(database, settings.worker, opener)
            await worker.start()
            ready.set()
            await asyncio.to_thread(stop.wait)
            await worker.stop()
        await database.dispose()

    thread = threading.Thread(target=asyncio.run, args=(serve_worker(),), daemon=True)
    thread.start()
    assert ready.wait(timeout=30)
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)


def test_sync_goes_through_a_running_servers_worker(
    runner: CliRunner, env: dict[str, str], live_clever: tuple[str, str]
) -> None:
    _, token = live_clever
    runner.invoke(app, ["district", "connect", "--code", "DEMO", "--clever-token", token], env=env)
    with worker_in_another_process_like_thread(env):
        followed = runner.invoke(app, ["sync", "--district", "DEMO"], env=env)
        inline = runner.invoke(app, ["sync", "--district", "DEMO", "--inline"], env=env)
    assert followed.exit_code == 0, followed.output
    assert "a rostersync worker is running it" in followed.output
    assert "Synced DEMO" in followed.output
    assert inline.exit_code == 0, inline.output
    assert "worker is running it" not in inline.output
    assert "Synced DEMO" in inline.output


@pytest.mark.parametrize("through_worker", [False, True])
def test_a_sync_over_the_license_stops_on_hold_and_says_what_next(
    runner: CliRunner, env: dict[str, str], live_clever: tuple[str, str], through_worker: bool
) -> None:
    _, token = live_clever
    runner.invoke(app, ["district", "connect", "--code", "DEMO", "--clever-token", token], env=env)
    runner.invoke(app, ["district", "update", "DEMO", "--license-limit", "50"], env=env)
    guard = (
        worker_in_another_process_like_thread(env) if through_worker else contextlib.nullcontext()
    )
    with guard:
        held = runner.invoke(app, ["sync", "--district", "DEMO"], env=env)

    assert held.exit_code == 1, held.output
    assert "is on hold: Clever shares 60 students; the license covers 50." in held.output
    assert "/approve" in held.output
