"""`rostersync import`: a district's OneRoster CSV files from a folder, a zip or file paths."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from typer.testing import CliRunner

from rostersync.cli import app
from rostersync.db.engine import libpq_dsn
from tests.sources.oneroster.files import HEADERS, District, user

CODE = "SPRING"


# A terminal wide enough for rich not to wrap the problems nor squeeze the counts table.
WIDE = {"COLUMNS": "200"}


def invoke(runner: CliRunner, env: dict[str, str], *args: str) -> tuple[int, str]:
    """Exit code and output (stdout and stderr), its whitespace made single spaces."""
    result = runner.invoke(app, list(args), env=env | WIDE)
    return result.exit_code, " ".join(result.output.split())


def add_csv_district(runner: CliRunner, env: dict[str, str], code: str = CODE) -> None:
    args = ["district", "add", code, "--name", "Springfield", "--source", "oneroster_csv"]
    added = runner.invoke(app, args, env=env)
    assert added.exit_code == 0, added.output


def fetch(env: dict[str, str], sql: str) -> list[dict[str, Any]]:
    """Rows of the CLI's database, as the CLI committed them."""

    async def query() -> list[dict[str, Any]]:
        conn = await asyncpg.connect(libpq_dsn(env["DATABASE_URL"]))
        try:
            return [dict(row) for row in await conn.fetch(sql)]
        finally:
            await conn.close()

    return asyncio.run(query())


def roster(env: dict[str, str]) -> dict[str, Any]:
    """Active users by sourcedId with their roles, and active schools, sections, enrollments."""
    users = fetch(env, "SELECT clever_id, roles FROM users WHERE active ORDER BY clever_id")
    counts = fetch(
        env,
        "SELECT (SELECT count(*) FROM schools WHERE active) AS schools, "
        "(SELECT count(*) FROM sections WHERE active) AS sections, "
        "(SELECT count(*) FROM enrollments) AS enrollments",
    )[0]
    return {"users": {row["clever_id"]: row["roles"] for row in users}, **counts}


IMPORTED = {
    "users": {"u1": ["student"], "u2": ["teacher"]},
    "schools": 2,
    "sections": 1,
    "enrollments": 2,
}


def runs(env: dict[str, str]) -> list[dict[str, Any]]:
    return fetch(
        env,
        "SELECT trigger, status, preview, started_by FROM sync_runs ORDER BY created_at",
    )


@pytest.fixture
def with_parent() -> District:
    """The small district, and a parent in users.csv (skipped, not rostered)."""
    files = District.small()
    files.rows["users.csv"].append(user("p1", "parent"))
    return files


def test_a_folder_is_imported_then_json_prints_the_run(
    runner: CliRunner, cli_env: dict[str, str], tmp_path: Path, with_parent: District
) -> None:
    add_csv_district(runner, cli_env)
    with_parent.write(tmp_path / "export")

    code, output = invoke(
        runner, cli_env, "import", "--district", "spring", str(tmp_path / "export")
    )

    assert code == 0, output
    assert f"Imported {CODE}: run " in output
    assert "is successful" in output
    assert "Skipped (not rostered): users.csv: role parent: 1 rows" in output
    for heading in ("created", "updated", "unchanged", "deactivated", "reactivated", "rejected"):
        assert heading in output
    assert "students │ 1 │ 0 │ 0" in output
    assert "enrollments │ 2 │" in output
    assert roster(cli_env) == IMPORTED

    again = runner.invoke(
        app, ["import", "--district", CODE, str(tmp_path / "export"), "--json"], env=cli_env
    )

    assert again.exit_code == 0, again.output
    run = json.loads(again.output.strip().splitlines()[-1])
    assert (run["district"], run["status"], run["trigger"], run["preview"]) == (
        CODE,
        "successful",
        "upload",
        False,
    )
    assert run["started_by"] == "operator (cli)"
    assert run["skipped"] == {"orgs.csv: type district": 1, "users.csv: role parent": 1}
    assert run["counts"]["students"]["unchanged"] == 1
    assert run["counts"]["students"]["created"] == 0
    assert roster(cli_env) == IMPORTED
    assert [(r["trigger"], r["status"]) for r in runs(cli_env)] == [("upload", "successful")] * 2
    # Its files are deleted once the run ended.
    assert fetch(cli_env, "SELECT count(*) AS n FROM sync_uploads") == [{"n": 0}]


@pytest.mark.parametrize("given", ["zip", "zip with a folder inside", "files"])
def test_a_zip_or_the_files_themselves_are_imported(
    runner: CliRunner, cli_env: dict[str, str], tmp_path: Path, given: str
) -> None:
    add_csv_district(runner, cli_env)
    files = District.small()
    if given == "files":
        paths = [str(path) for path in files.write(tmp_path / "export").values()]
    else:
        folder = "export/2026-11/" if "folder" in given else ""
        paths = [str(files.zip(tmp_path / "Roster.ZIP", folder=folder))]

    code, output = invoke(runner, cli_env, "import", "--district", CODE, *paths)

    assert code == 0, output
    assert f"Imported {CODE}" in output
    assert roster(cli_env) == IMPORTED


def test_files_with_problems_are_all_listed_and_nothing_is_queued(
    runner: CliRunner, cli_env: dict[str, str], tmp_path: Path
) -> None:
    add_csv_district(runner, cli_env)
    files = District.small()
    del files.rows["enrollments.csv"]
    users_header = tuple(column for column in HEADERS["users.csv"] if column != "familyName")
    files.write(tmp_path / "export", headers={"users.csv": users_header})

    code, output = invoke(runner, cli_env, "import", "--district", CODE, str(tmp_path / "export"))

    assert code == 1, output
    assert "The files cannot be imported; nothing was changed:" in output
    assert "- users.csv line 1, column familyName: missing from the header" in output
    assert "- enrollments.csv: is missing" in output
    assert "Error: 2 problem(s) to fix in the files, then import again" in output
    assert runs(cli_env) == []
    assert fetch(cli_env, "SELECT count(*) AS n FROM sync_uploads") == [{"n": 0}]
    assert roster(cli_env)["users"] == {}


def test_a_clever_district_is_refused_with_what_to_do(
    runner: CliRunner, cli_env: dict[str, str], tmp_path: Path
) -> None:
    runner.invoke(app, ["district", "add", "CLEV", "--name", "Clever District"], env=cli_env)
    District.small().write(tmp_path / "export")

    code, output = invoke(runner, cli_env, "import", "--district", "CLEV", str(tmp_path / "export"))

    assert code == 1, output
    assert "District CLEV is rostered from Clever, not from OneRoster CSV uploads" in output
    assert '{"source": "oneroster_csv"}' in output
    assert runs(cli_env) == []


def test_preview_applies_nothing(
    runner: CliRunner, cli_env: dict[str, str], tmp_path: Path, with_parent: District
) -> None:
    add_csv_district(runner, cli_env)
    with_parent.write(tmp_path / "export")
    args = ["import", "--district", CODE, str(tmp_path / "export"), "--preview"]

    code, output = invoke(runner, cli_env, *args)

    assert code == 0, output
    assert f"Previewed {CODE}: run " in output
    assert "students │ 1 │" in output
    assert roster(cli_env) == {"users": {}, "schools": 0, "sections": 0, "enrollments": 0}
    assert runs(cli_env) == [
        {
            "trigger": "upload",
            "status": "successful",
            "preview": True,
            "started_by": "operator (cli)",
        }
    ]


def test_help_says_what_can_be_imported(runner: CliRunner) -> None:
    result = runner.invoke(app, ["import", "--help"], env=WIDE)

    assert result.exit_code == 0, result.output
    shown = " ".join(result.output.split())
    assert "A zip of the CSV files, a folder holding them, or the CSV files themselves" in shown
    assert "--district" in shown
    assert "--preview" in shown
