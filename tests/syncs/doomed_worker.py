"""A worker process for `test_a_killed_worker_process_has_its_run_recovered`.

`python -m tests.syncs.doomed_worker DATABASE_URL RUN_ID` claims the run as worker
`doomed` with a one-second lease, stages a first page, then hangs until it is killed.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from rostersync.db import create_database
from rostersync.roster.records import Batch, SchoolRecord
from rostersync.roster.sources import RosterSource
from rostersync.syncs.executor import Owner, claim
from rostersync.syncs.queue import ClaimedRun
from rostersync.syncs.worker import execute_claimed


class Hanging:
    def collections(self) -> Mapping[str, AsyncIterator[Batch]]:
        return {"schools": self._schools()}

    async def _schools(self) -> AsyncIterator[Batch]:
        yield [SchoolRecord("s1", "School s1")]
        await asyncio.Event().wait()


async def main(url: str, run_id: uuid.UUID) -> None:
    database = create_database(url, pool_size=4)
    owner = Owner("doomed", lease_seconds=1.0)
    claimed = await claim(database, owner, run_id)
    assert claimed is not None

    @asynccontextmanager
    async def open_source(run: ClaimedRun) -> AsyncIterator[RosterSource]:
        yield Hanging()

    await execute_claimed(database, owner, claimed, open_source)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], uuid.UUID(sys.argv[2])))
