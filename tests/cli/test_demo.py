from __future__ import annotations

from pydantic import SecretStr
from sqlalchemy import select

from rostersync.accounts.models import Account
from rostersync.cli.demo import DEMO_CODE, prepare_demo
from rostersync.config import CleverSettings
from rostersync.db import create_database
from rostersync.syncs.models import SyncRun
from tests.conftest import make_settings


async def test_the_demo_district_is_connected_owned_and_synced_once(
    cli_env: dict[str, str], live_clever: tuple[str, str]
) -> None:
    url, token = live_clever
    settings = make_settings(
        cli_env["DATABASE_URL"],
        clever=CleverSettings(
            api_base_url=url, oauth_base_url=url, client_secret=SecretStr("sandbox-secret")
        ),
    )
    database = create_database(cli_env["DATABASE_URL"], pool_size=4)
    try:
        await prepare_demo(database, settings, token)
        await prepare_demo(database, settings, token)  # a restart: no second initial sync
        async with database.sessionmaker() as session:
            runs = (await session.execute(select(SyncRun))).scalars().all()
            owner = (await session.execute(select(Account))).scalar_one()
    finally:
        await database.dispose()
    assert [(r.trigger, r.status, r.started_by) for r in runs] == [
        ("initial", "successful", "system")
    ]
    assert owner.username == "owner"
    assert DEMO_CODE == "DEMO"
