from __future__ import annotations

import json
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from rostersync.cli import accounts as accounts_cli
from rostersync.cli import app


def invoke(runner: CliRunner, env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    result = runner.invoke(app, list(args), env=env, input=stdin)
    return f"{result.exit_code}|{result.output}"


def all_command_paths() -> list[list[str]]:
    root = typer.main.get_command(app)
    paths: list[list[str]] = [[]]

    def walk(command: Any, prefix: list[str]) -> None:
        # Typer vendors its own click, so look for sub-commands rather than a class.
        for name, sub in getattr(command, "commands", {}).items():
            paths.append([*prefix, name])
            walk(sub, [*prefix, name])

    walk(root, [])
    return paths


@pytest.mark.parametrize("path", all_command_paths(), ids=lambda p: " ".join(p) or "rostersync")
def test_every_command_has_help(runner: CliRunner, path: list[str]) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_add_then_list_districts(runner: CliRunner, cli_env: dict[str, str]) -> None:
    added = invoke(runner, cli_env, "district", "add", "demo", "--name", "Demo District")
    assert added.startswith("0|Added district DEMO")
    listed = runner.invoke(app, ["district", "list", "--json"], env=cli_env)
    assert listed.exit_code == 0
    [district] = json.loads(listed.output)
    assert district["code"] == "DEMO"
    assert district["student_license_limit"] is None


def test_duplicate_district_is_a_message_not_a_traceback(
    runner: CliRunner, cli_env: dict[str, str]
) -> None:
    invoke(runner, cli_env, "district", "add", "DEMO", "--name", "Demo")
    result = runner.invoke(app, ["district", "add", "demo", "--name", "Again"], env=cli_env)
    assert result.exit_code == 1
    assert "already taken" in result.output
    assert "Traceback" not in result.output


def test_invalid_code_is_explained(runner: CliRunner, cli_env: dict[str, str]) -> None:
    result = runner.invoke(app, ["district", "add", "no spaces", "--name", "X"], env=cli_env)
    assert result.exit_code == 2
    assert "invalid district" in result.output
    assert "CODE" in result.output


def test_update_sets_and_removes_the_license_limit(
    runner: CliRunner, cli_env: dict[str, str]
) -> None:
    invoke(runner, cli_env, "district", "add", "DEMO", "--name", "Demo")
    limited = invoke(runner, cli_env, "district", "update", "demo", "--license-limit", "1500")
    assert "license limit 1,500" in limited
    paused = invoke(runner, cli_env, "district", "update", "DEMO", "--status", "paused")
    assert "status paused" in paused
    assert "license limit 1,500" in paused
    unlimited = invoke(runner, cli_env, "district", "update", "DEMO", "--no-license-limit")
    assert "license limit none" in unlimited


def test_update_of_an_unknown_district_fails_clearly(
    runner: CliRunner, cli_env: dict[str, str]
) -> None:
    result = invoke(runner, cli_env, "district", "update", "GHOST", "--status", "paused")
    assert result.startswith("1|")
    assert "No district with District ID 'GHOST'" in result


def test_update_without_changes_says_so(runner: CliRunner, cli_env: dict[str, str]) -> None:
    result = invoke(runner, cli_env, "district", "update", "DEMO")
    assert result.startswith("2|")
    assert "nothing to change" in result


def test_account_owner_from_stdin(runner: CliRunner, cli_env: dict[str, str]) -> None:
    invoke(runner, cli_env, "district", "add", "DEMO", "--name", "Demo")
    args = ("account", "create", "--district", "demo", "--username", "Owner", "--password-stdin")
    created = invoke(runner, cli_env, *args, stdin="a-long-enough-password\n")
    assert created.startswith("0|Created Account Owner 'owner' for district DEMO")
    again = invoke(runner, cli_env, *args, stdin="a-long-enough-password\n")
    assert again.startswith("1|")
    assert "already has its Account Owner" in again


def test_a_weak_password_is_refused(runner: CliRunner, cli_env: dict[str, str]) -> None:
    invoke(runner, cli_env, "district", "add", "DEMO", "--name", "Demo")
    args = ("account", "create", "--district", "DEMO", "--username", "o", "--password-stdin")
    result = invoke(runner, cli_env, *args, stdin="short\n")
    assert result.startswith("1|")
    assert "at least 12 characters" in result


def test_without_a_terminal_the_password_must_come_from_stdin(
    runner: CliRunner, cli_env: dict[str, str]
) -> None:
    result = invoke(runner, cli_env, "account", "create", "--district", "DEMO", "--username", "o")
    assert result.startswith("2|")
    assert "--password-stdin" in result


def test_the_prompt_asks_again_after_a_weak_password(
    runner: CliRunner, cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    invoke(runner, cli_env, "district", "add", "DEMO", "--name", "Demo")
    monkeypatch.setattr(accounts_cli, "_stdin_is_terminal", lambda: True)
    answers = "short\nshort\nlong-enough-secret\nlong-enough-secret\n"
    result = invoke(
        runner, cli_env, "account", "create", "--district", "DEMO", "--username", "o", stdin=answers
    )
    assert result.startswith("0|")
    assert "won't do" in result
    assert "long-enough-secret" not in result


def test_password_is_never_an_option(runner: CliRunner) -> None:
    result = runner.invoke(app, ["account", "create", "--help"])
    assert "--password " not in result.output
    assert "--password-stdin" in result.output


def test_migrate_reports_the_revision(runner: CliRunner, cli_env: dict[str, str]) -> None:
    result = invoke(runner, cli_env, "migrate")
    assert result.startswith("0|")
    assert "up to date" in result


def test_bad_configuration_names_the_setting(runner: CliRunner, cli_env: dict[str, str]) -> None:
    env = {**cli_env, "ENVIRONMENT": "production", "SECRET_KEY": "", "DATABASE_URL": ""}
    result = invoke(runner, env, "district", "list")
    assert result.startswith("2|")
    assert "SECRET_KEY" in result
    assert "DATABASE_URL" in result


def test_commands_refuse_an_unmigrated_database(
    runner: CliRunner, cli_env: dict[str, str], postgres_server_url: str
) -> None:
    from sqlalchemy.engine import make_url

    url = make_url(postgres_server_url).set(database="postgres")
    env = {**cli_env, "DATABASE_URL": url.render_as_string(hide_password=False)}
    result = invoke(runner, env, "district", "list")
    assert result.startswith("1|")
    assert "rostersync migrate" in result
