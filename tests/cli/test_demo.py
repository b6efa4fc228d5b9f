from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr
from sqlalchemy import select

from rostersync.accounts.models import Account
from rostersync.accounts.passwords import verify_password
from rostersync.cli.demo import DEMO_CODE, PASSWORD_FILE, prepare_demo
from rostersync.config import CleverSettings, DatabaseSettings, Settings
from rostersync.db import create_database
from rostersync.syncs.models import SyncRun
from tests.conftest import make_settings


def demo_settings(url: str, clever_url: str, data_dir: Path, **overrides: object) -> Settings:
    return make_settings(
        url,
        database=DatabaseSettings(database_url=SecretStr(url), data_dir=data_dir),
        clever=CleverSettings(
            api_base_url=clever_url,
            oauth_base_url=clever_url,
            client_secret=SecretStr("sandbox-secret"),
        ),
        **overrides,
    )


async def demo_state(url: str) -> tuple[list[SyncRun], Account]:
    database = create_database(url, pool_size=2)
    try:
        async with database.sessionmaker() as session:
            runs = list((await session.execute(select(SyncRun))).scalars())
            owner = (await session.execute(select(Account))).scalar_one()
    finally:
        await database.dispose()
    return runs, owner


async def prepare(settings: Settings, token: str) -> str:
    assert settings.database.database_url is not None
    database = create_database(settings.database.database_url.get_secret_value(), pool_size=4)
    try:
        return await prepare_demo(database, settings, token)
    finally:
        await database.dispose()


async def test_the_demo_district_is_connected_owned_and_queued_for_one_initial_sync(
    cli_env: dict[str, str], live_clever: tuple[str, str], tmp_path: Path
) -> None:
    url, token = live_clever
    settings = demo_settings(cli_env["DATABASE_URL"], url, tmp_path)

    password = await prepare(settings, token)
    again = await prepare(settings, token)  # a restart: same password, no second initial sync

    runs, owner = await demo_state(cli_env["DATABASE_URL"])
    assert [(r.trigger, r.status, r.started_by) for r in runs] == [("initial", "queued", "system")]
    assert (owner.username, again) == ("admin", password)
    assert len(password) >= 12
    assert verify_password(owner.password_hash, password)
    saved = tmp_path / PASSWORD_FILE
    assert saved.read_text().strip() == password
    assert saved.stat().st_mode & 0o077 == 0
    assert DEMO_CODE == "DEMO"


async def test_demo_admin_password_sets_the_owners_password(
    cli_env: dict[str, str], live_clever: tuple[str, str], tmp_path: Path
) -> None:
    url, token = live_clever
    await prepare(demo_settings(cli_env["DATABASE_URL"], url, tmp_path), token)
    chosen = "a-password-of-my-own-choosing"
    settings = demo_settings(
        cli_env["DATABASE_URL"], url, tmp_path, demo_admin_password=SecretStr(chosen)
    )

    assert await prepare(settings, token) == chosen

    _, owner = await demo_state(cli_env["DATABASE_URL"])
    assert verify_password(owner.password_hash, chosen)
