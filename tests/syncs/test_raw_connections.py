"""The raw asyncpg connections the sync engine borrows from the pool."""

from __future__ import annotations

import asyncio
import random

from rostersync.db import Database
from rostersync.syncs.engine import raw_connection


async def test_a_cancelled_block_never_hands_on_its_transaction(database: Database) -> None:
    """A sync cancelled mid-statement (its run taken over, Ctrl-C) must not leave the pool a
    connection inside its transaction: the next borrower would inherit its locks, and its
    own writes would never commit."""
    chance = random.Random(4)

    async def busy() -> None:
        async with raw_connection(database.engine) as conn:
            while True:
                async with conn.transaction():
                    await conn.execute("SET LOCAL work_mem = '8MB'")
                    await conn.execute("SELECT 1")

    inherited = 0
    for _ in range(300):
        task = asyncio.create_task(busy())
        await asyncio.sleep(chance.random() * 0.003)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        async with raw_connection(database.engine) as conn:
            if conn.is_in_transaction():
                inherited += 1
                await conn.execute("ROLLBACK")
            async with conn.transaction():  # asyncpg's own bookkeeping agrees
                await conn.execute("SELECT 1")
    assert inherited == 0
