"""Upload runs through the engine: holds, rejections, failures that change nothing, recovery."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import httpx
from sqlalchemy import func, select, text

from rostersync.config import Settings
from rostersync.db import Database
from rostersync.imports.opener import upload_opener
from rostersync.roster.models import User
from rostersync.syncs.engine import StageProgress
from rostersync.syncs.executor import Owner, claim
from rostersync.syncs.models import SyncChange
from rostersync.syncs.scheduler import SyncScheduler
from rostersync.syncs.worker import execute_claimed
from tests.imports.conftest import parts, stored_chunks, work
from tests.sources.oneroster.files import District as Files
from tests.sources.oneroster.files import enrollment, user
from tests.syncs.conftest import roster_dump

URL = "/districts/SELFSERV/imports"


def school_of(students: int) -> Files:
    """One school, `students` students in one class with their teacher."""
    files = Files.small()
    kids = [user(f"k{n:03}", "student") for n in range(students)]
    files.rows["users.csv"] = [*kids, user("t1", "teacher")]
    files.rows["enrollments.csv"] = [
        *(enrollment(f"e{k['sourcedId']}", "c1", k["sourcedId"], "student") for k in kids),
        enrollment("et1", "c1", "t1", "teacher", "true"),
    ]
    return files


async def upload(
    api: httpx.AsyncClient, headers: dict[str, str], files: Files, where: Path, **params: str
) -> uuid.UUID:
    response = await api.post(URL, headers=headers, files=parts(files.write(where)), params=params)
    assert response.status_code == 202, response.text
    return uuid.UUID(response.json()["id"])


async def reasons(database: Database, run_id: uuid.UUID) -> dict[str, str]:
    async with database.sessionmaker() as session:
        rows = await session.execute(
            select(SyncChange.clever_id, SyncChange.reason).where(
                SyncChange.sync_run_id == run_id, SyncChange.action == "rejected"
            )
        )
        return {clever_id: reason or "" for clever_id, reason in rows}


async def test_an_upload_of_headers_only_is_held_instead_of_emptying_the_district(
    api: httpx.AsyncClient,
    database: Database,
    settings: Settings,
    owner: dict[str, str],
    tmp_path: Path,
) -> None:
    first = await work(database, settings, await upload(api, owner, school_of(30), tmp_path / "a"))
    assert first.status == "successful", first.error
    before = await roster_dump(database)

    empty = Files({name: [] for name in school_of(30).rows})
    held = await work(database, settings, await upload(api, owner, empty, tmp_path / "b"))

    assert held.status == "on_hold"
    assert held.hold_reason == "deactivation_threshold"
    assert held.counts["students"]["deactivated"] == 30
    assert await roster_dump(database) == before
    assert await stored_chunks(database) == 0  # a held run never reads its files again

    report = await api.get(f"/syncs/{held.id}/changes", headers=owner)
    deactivated = [
        line.split(",")[0] for line in report.text.splitlines() if ",deactivated," in line
    ]
    assert {e: deactivated.count(e) for e in set(deactivated)} == {
        "user": 31,
        "school": 2,
        "section": 1,
        "enrollment": 31,
    }

    # Approved, it applies exactly what it showed, without its (deleted) files.
    approved = await api.post(f"/syncs/{held.id}/approve", headers=owner)
    assert approved.status_code == 202, approved.text
    applied = await work(database, settings, held.id)
    assert applied.status == "successful", applied.error
    async with database.sessionmaker() as session:
        active = await session.scalar(select(func.count()).where(User.active))
    assert active == 0


async def test_bad_rows_are_rejected_with_file_line_and_column_and_the_rest_imported(
    api: httpx.AsyncClient,
    database: Database,
    settings: Settings,
    owner: dict[str, str],
    tmp_path: Path,
) -> None:
    files = school_of(3)
    files.rows["users.csv"] += [
        user("r1", "janitor"),  # line 6: an unknown role
        user("r2", "student", orgs="nowhere"),  # line 7: an org not in orgs.csv
        user("k000", "student", givenName="Again"),  # line 8: a repeated sourcedId
        user("r3", "student", givenName=""),  # line 9: no first name
    ]
    run = await work(database, settings, await upload(api, owner, files, tmp_path))

    assert run.status == "successful", run.error
    assert run.counts["students"]["created"] == 3
    assert run.counts["teachers"]["created"] == 1
    rejected = await reasons(database, run.id)
    assert rejected.keys() == {"r1", "r2", "k000", "r3"}
    assert rejected["r1"].startswith("users.csv line 6, column role")
    assert rejected["r2"].startswith("users.csv line 7, column orgSourcedIds")
    assert rejected["k000"].startswith("users.csv line 8, column sourcedId")
    assert rejected["r3"].startswith("users.csv line 9, column givenName")
    async with database.sessionmaker() as session:
        first = await session.scalar(select(User.name_first).where(User.clever_id == "k000"))
    assert first == "Fk000"  # the first row of a repeated sourcedId wins


async def test_a_file_that_turns_out_not_utf8_fails_the_run_and_changes_nothing(
    api: httpx.AsyncClient,
    database: Database,
    settings: Settings,
    owner: dict[str, str],
    tmp_path: Path,
) -> None:
    await work(database, settings, await upload(api, owner, school_of(5), tmp_path / "a"))
    before = await roster_dump(database)

    changed = school_of(8)
    written = changed.write(tmp_path / "b")
    enrollments = written["enrollments.csv"]
    lines = enrollments.read_bytes().split(b"\n")
    lines[4] = lines[4].replace(b"student", b"stud\xe9nt")
    enrollments.write_bytes(b"\n".join(lines))
    response = await api.post(URL, headers=owner, files=parts(written))
    assert response.status_code == 202  # headers are fine: only reading through finds it
    run = await work(database, settings, uuid.UUID(response.json()["id"]))

    assert run.status == "failed"
    assert run.error is not None
    assert "enrollments.csv line 5" in run.error
    assert "UTF-8" in run.error
    assert await roster_dump(database) == before


async def test_disabled_users_are_deactivated_and_come_back_when_enabled(
    api: httpx.AsyncClient,
    database: Database,
    settings: Settings,
    owner: dict[str, str],
    tmp_path: Path,
) -> None:
    await work(database, settings, await upload(api, owner, school_of(30), tmp_path / "a"))
    disabled = school_of(30)
    disabled.rows["users.csv"][0]["enabledUser"] = "false"
    run = await work(database, settings, await upload(api, owner, disabled, tmp_path / "b"))
    assert run.counts["students"]["deactivated"] == 1
    assert run.skipped["users.csv: enabledUser false"] == 1

    again = await work(database, settings, await upload(api, owner, school_of(30), tmp_path / "c"))
    assert again.counts["students"]["reactivated"] == 1
    async with database.sessionmaker() as session:
        active = await session.scalar(select(User.active).where(User.clever_id == "k000"))
    assert active is True


async def test_a_preview_upload_applies_nothing(
    api: httpx.AsyncClient,
    database: Database,
    settings: Settings,
    owner: dict[str, str],
    tmp_path: Path,
) -> None:
    run_id = await upload(api, owner, school_of(3), tmp_path, preview="true")
    run = await work(database, settings, run_id)
    assert (run.status, run.preview, run.counts["students"]["created"]) == ("successful", True, 3)
    assert await roster_dump(database) == [[], [], [], []]


async def test_an_interrupted_run_keeps_its_upload_and_is_imported_when_claimed_again(
    api: httpx.AsyncClient,
    database: Database,
    settings: Settings,
    owner: dict[str, str],
    tmp_path: Path,
) -> None:
    run_id = await upload(api, owner, school_of(3), tmp_path)
    staging = asyncio.Event()

    async def stall(progress: StageProgress) -> None:
        staging.set()
        await asyncio.Event().wait()  # the worker is stopped while it stages

    owner_ = Owner("doomed", lease_seconds=60.0)
    claimed = await claim(database, owner_, run_id)
    assert claimed is not None
    opener = upload_opener(database, settings.upload)
    execution = asyncio.create_task(
        execute_claimed(database, owner_, claimed, opener, listener=stall)
    )
    await asyncio.wait_for(staging.wait(), 30)
    execution.cancel()
    await asyncio.gather(execution, return_exceptions=True)

    assert await stored_chunks(database, run_id) > 0  # given back to the queue: still needed
    run = await work(database, settings, run_id)
    assert run.status == "successful", run.error
    assert run.counts["students"]["created"] == 3
    assert await stored_chunks(database) == 0
    assert not any(settings.upload.work_dir.iterdir())  # type: ignore[union-attr]


async def test_a_run_whose_upload_is_gone_fails_with_what_to_do(
    api: httpx.AsyncClient,
    database: Database,
    settings: Settings,
    owner: dict[str, str],
    tmp_path: Path,
) -> None:
    run_id = await upload(api, owner, school_of(3), tmp_path)
    async with database.sessionmaker.begin() as session:
        await session.execute(text("DELETE FROM sync_uploads"))
    run = await work(database, settings, run_id)
    assert run.status == "failed"
    assert run.error is not None
    assert "upload them again" in run.error


async def test_the_reaper_deletes_the_uploads_of_runs_that_ended(
    api: httpx.AsyncClient,
    database: Database,
    settings: Settings,
    owner: dict[str, str],
    tmp_path: Path,
) -> None:
    run_id = await upload(api, owner, school_of(3), tmp_path)
    async with httpx.AsyncClient() as http:
        reaper = SyncScheduler(database, http, settings)
        await reaper.recover()
        assert await stored_chunks(database, run_id) > 0  # queued: kept
        async with database.sessionmaker.begin() as session:
            await session.execute(
                text(
                    "UPDATE sync_runs SET status = 'failed', started_at = now(), "
                    "finished_at = now() WHERE id = :id"
                ),
                {"id": run_id},
            )
        await reaper.recover()
    assert await stored_chunks(database, run_id) == 0
