"""The Clever commands against the offline Clever served over real HTTP."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from rostersync.cli import app


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
