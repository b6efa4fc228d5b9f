"""Sign in with Google as a person a OneRoster CSV import rostered (issue #8).

The roster comes from a real import: users.csv is opened, queued and executed by the sync
engine, which commits through its own connections. The district and the import are
therefore committed here (and truncated afterwards), while the sign-in itself runs in the
app's rolled-back test transaction, which sees what the import committed.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rostersync.config import Settings
from rostersync.db import Database
from rostersync.districts import service as districts
from rostersync.imports import service as imports
from rostersync.imports.opener import upload_opener
from rostersync.roster.models import User
from rostersync.sso.models import GoogleLink
from rostersync.syncs import service as syncs
from rostersync.syncs.schemas import SyncRunOut
from rostersync.syncs.worker import execute_inline
from tests.sources.oneroster.files import District as Files
from tests.sources.oneroster.files import user
from tests.sso.conftest import add_district, login_error, who
from tests.sso.test_google import google_account, sign_in
from tests.syncs.conftest import database

__all__ = ["database"]  # committed for real, as the import engine commits; emptied after

CODE = "CSVD"


def roster_files(**overrides: dict[str, str]) -> Files:
    """The small district, its users.csv holding people with and without emails."""
    files = Files.small()
    people = {
        "u1": user(
            "u1",
            "student",
            givenName="Bo",
            familyName="Student",
            email="Bo.Student@Springfield.K12.us",
        ),
        "u2": user(
            "u2",
            "teacher",
            givenName="Ana",
            familyName="Teacher",
            email="Ana.Teacher@Springfield.k12.us",
        ),
        "u3": user(
            "u3",
            "student",
            givenName="Cy",
            familyName="Disabled",
            email="cy.disabled@springfield.k12.us",
            enabledUser="false",
        ),
        "u4": user("u4", "student", givenName="Di", familyName="Noemail", email=""),
        # A second teacher: disabling Ana later leaves teachers (an emptied role is held).
        "u5": user("u5", "teacher", email="eve.teacher@springfield.k12.us"),
    }
    for uid, row in overrides.items():
        people[uid] = people[uid] | row
    files.rows["users.csv"] = list(people.values())
    return files


async def import_files(
    database: Database, settings: Settings, files: Files, directory: Path
) -> SyncRunOut:
    """Import the files as `rostersync import` does: open, queue, execute; it must succeed."""
    async with imports.scratch_dir(settings.upload) as workdir:
        upload = await imports.open_received(files.write(directory), workdir, settings.upload)
        async with database.sessionmaker.begin() as session:
            district = await districts.get_district(session, CODE)
            run = await imports.queue_import(session, district, upload, started_by="tester")
    opener = upload_opener(database, settings.upload)
    assert await execute_inline(database, settings.worker.lease_seconds, run.id, opener)
    result = await syncs.load_run(database, run.id)
    assert (result.status, result.error) == ("successful", None)
    return result


@pytest.fixture
async def imported(database: Database, settings: Settings, tmp_path: Path) -> Database:
    """District CSVD (OneRoster CSV, committed), its users.csv imported."""
    async with database.sessionmaker.begin() as session:
        district = await add_district(session, CODE, None)
        assert district.source == "oneroster_csv"
    run = await import_files(database, settings, roster_files(), tmp_path / "first")
    assert run.counts["students"]["created"] == 2  # Bo and Di; Cy is disabled
    assert run.skipped["users.csv: enabledUser false"] == 1
    return database


async def rostered(session: AsyncSession, sourced_id: str) -> User:
    found = await session.scalar(
        select(User).where(User.clever_id == sourced_id).execution_options(populate_existing=True)
    )
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("google_email", "sourced_id", "name", "roles"),
    [
        ("ana.teacher@springfield.k12.us", "u2", "Ana Teacher", ["teacher"]),
        ("BO.STUDENT@springfield.k12.US", "u1", "Bo Student", ["student"]),
    ],
)
async def test_person_from_users_csv_signs_in_with_their_email_in_any_case(
    imported: Database,
    browser: httpx.AsyncClient,
    google_server: str,
    session: AsyncSession,
    google_email: str,
    sourced_id: str,
    name: str,
    roles: list[str],
) -> None:
    person = await rostered(session, sourced_id)
    assert person.email == google_email.lower()  # stored lower-cased by the import
    sub = await google_account(google_server, email=google_email)

    assert login_error(await sign_in(browser, sub, CODE)) is None

    shown = (await who(browser)).json()
    assert (shown["kind"], shown["district"], shown["name"], shown["roles"]) == (
        "user",
        CODE,
        name,
        roles,
    )
    link = await session.scalar(select(GoogleLink).where(GoogleLink.google_sub == sub))
    assert link is not None
    assert link.user_id == person.id


async def test_disabled_or_emailless_people_of_users_csv_cannot_sign_in(
    imported: Database, browser: httpx.AsyncClient, google_server: str, session: AsyncSession
) -> None:
    assert await session.scalar(select(User).where(User.clever_id == "u3")) is None
    assert (await rostered(session, "u4")).email is None
    disabled = await google_account(google_server, email="cy.disabled@springfield.k12.us")
    emailless = await google_account(google_server, email="di.noemail@springfield.k12.us")

    assert login_error(await sign_in(browser, disabled, CODE)) == "not_rostered"
    assert login_error(await sign_in(browser, emailless, CODE)) == "not_rostered"
    assert (await who(browser)).status_code == 401
    assert await session.scalar(select(GoogleLink)) is None


async def test_person_disabled_by_a_later_import_is_refused_as_deactivated(
    imported: Database,
    settings: Settings,
    tmp_path: Path,
    browser: httpx.AsyncClient,
    google_server: str,
    session: AsyncSession,
) -> None:
    sub = await google_account(google_server, email="Ana.Teacher@Springfield.k12.us")
    assert login_error(await sign_in(browser, sub, CODE)) is None

    files = roster_files(u2={"enabledUser": "FALSE"})
    run = await import_files(imported, settings, files, tmp_path / "second")
    assert run.counts["teachers"]["deactivated"] == 1

    assert (await rostered(session, "u2")).active is False
    assert login_error(await sign_in(browser, sub, CODE)) == "deactivated"
    fresh = await google_account(google_server, email="ana.teacher@springfield.k12.us")
    assert login_error(await sign_in(browser, fresh, CODE)) == "deactivated"
