"""The worker: claims queued runs, executes them under a heartbeat, recovers nothing itself.

Any number of workers (replicas, or `rostersync sync` running a run inline) share one
queue in PostgreSQL. A claimed run is kept alive by heartbeats that renew its lease; if the
heartbeat finds the run taken away (the lease expired and the reaper recovered it), the
execution is cancelled, and every write it would still make is refused by the fence.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Literal

from rostersync.config import WorkerSettings
from rostersync.db import Database
from rostersync.errors import AppError
from rostersync.roster.sources import RosterSource
from rostersync.syncs import queue
from rostersync.syncs.events import RunEvents, next_change
from rostersync.syncs.exceptions import RunOwnershipLostError
from rostersync.syncs.executor import (
    Owner,
    ProgressListener,
    QueueRun,
    RunExecutor,
    claim,
    queue_claimed,
)
from rostersync.syncs.queue import ClaimedRun

logger = logging.getLogger(__name__)

# Opens a claimed run's source, and closes it (removing what it kept) when the run is done.
SourceOpener = Callable[[ClaimedRun], AbstractAsyncContextManager[RosterSource]]
INTERRUPTED = "the sync was interrupted before it finished; the roster was left unchanged"


def by_trigger(default: SourceOpener, **openers: SourceOpener) -> SourceOpener:
    """The opener for a run's trigger (`upload=...`), else `default`."""

    def open_source(run: ClaimedRun) -> AbstractAsyncContextManager[RosterSource]:
        return openers.get(run.trigger, default)(run)

    return open_source


def new_worker_id(role: str = "worker") -> str:
    return f"{role}:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def execute_claimed(
    database: Database,
    owner: Owner,
    run: ClaimedRun,
    open_source: SourceOpener,
    *,
    listener: ProgressListener | None = None,
    when_interrupted: Literal["release", "fail"] = "release",
) -> None:
    """Execute an owned run to its end, renewing its lease while it runs.

    Cancelled from outside (shutdown, Ctrl-C), the run is given back to the queue or failed;
    cancelled by its own heartbeat (the run was taken away), it just stops.
    """
    executor = RunExecutor(database, owner, listener)
    execution = asyncio.create_task(
        _open_and_execute(executor, run, open_source), name=f"sync {run.id}"
    )
    heartbeat = asyncio.create_task(_keep_lease(database, owner, run.id, execution, executor))
    try:
        await asyncio.shield(execution)
    except asyncio.CancelledError:
        if execution.cancelled() and not _being_cancelled():
            logger.warning("sync run taken over by another worker", extra={"run_id": str(run.id)})
            return
        execution.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await execution
        await _give_back(database, owner, executor, run.id, when_interrupted)
        raise
    except RunOwnershipLostError:
        logger.warning("sync run taken over by another worker", extra={"run_id": str(run.id)})
    finally:
        heartbeat.cancel()


async def _open_and_execute(
    executor: RunExecutor, run: ClaimedRun, open_source: SourceOpener
) -> None:
    """Open the run's source (under the lease: an upload may take a while to fetch), execute,
    and close the source once the run has ended, is held, or was given back."""
    if run.approved:  # it applies the snapshot it was held with: nothing to read
        await executor.execute(run, None)
        return
    async with contextlib.AsyncExitStack() as stack:
        try:
            source = await stack.enter_async_context(open_source(run))
        except Exception as exc:
            await executor.fail(run.id, exc)
            if not isinstance(exc, AppError):
                raise
            return
        await executor.execute(run, source)


async def execute_inline(
    database: Database,
    lease_seconds: float,
    run_id: uuid.UUID,
    open_source: SourceOpener,
    *,
    listener: ProgressListener | None = None,
) -> bool:
    """Claim queued run `run_id` as a one-off worker and execute it here; Ctrl-C fails it.

    False when a worker claimed the run first.
    """
    owner = Owner(new_worker_id("cli"), lease_seconds)
    claimed = await claim(database, owner, run_id)
    if claimed is None:
        return False
    await execute_claimed(
        database, owner, claimed, open_source, listener=listener, when_interrupted="fail"
    )
    return True


async def execute_here(
    database: Database,
    lease_seconds: float,
    queue_run: QueueRun,
    open_source: SourceOpener,
    *,
    listener: ProgressListener | None = None,
) -> uuid.UUID:
    """Queue a run and execute it here as a one-off worker; Ctrl-C fails it.

    The run is claimed in the transaction that queues it, so a running worker cannot take
    it first. Returns the run's id.
    """
    owner = Owner(new_worker_id("cli"), lease_seconds)
    claimed = await queue_claimed(database, owner, queue_run)
    await execute_claimed(
        database, owner, claimed, open_source, listener=listener, when_interrupted="fail"
    )
    return claimed.id


def _being_cancelled() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


async def _give_back(
    database: Database,
    owner: Owner,
    executor: RunExecutor,
    run_id: uuid.UUID,
    how: Literal["release", "fail"],
) -> None:
    if how == "fail":
        await executor.fail(run_id, INTERRUPTED)
        return
    async with database.sessionmaker.begin() as session:
        await queue.release(session, run_id, owner.worker_id)


async def _keep_lease(
    database: Database,
    owner: Owner,
    run_id: uuid.UUID,
    execution: asyncio.Task[None],
    executor: RunExecutor,
) -> None:
    """Renew the lease every quarter of it; cancel the execution if the run was taken.

    Not once the executor is ending the run itself: its fenced transaction holds the run,
    and the run found no longer processing is the one it just ended.
    """
    interval = owner.lease_seconds / 4
    while not execution.done():
        await asyncio.sleep(interval)
        try:
            async with database.sessionmaker.begin() as session:
                owned = await queue.extend_lease(
                    session, run_id, owner.worker_id, owner.lease_seconds
                )
        except (OSError, TimeoutError) as exc:  # the next beat may get through
            logger.warning("heartbeat failed", extra={"error": type(exc).__name__})
            continue
        if not owned:
            if not execution.done() and not executor.ending:
                execution.cancel()
            return


class SyncWorker:
    """Claims queued runs, up to `concurrency` at a time, until stopped."""

    def __init__(
        self,
        database: Database,
        settings: WorkerSettings,
        open_source: SourceOpener,
        events: RunEvents | None = None,
        worker_id: str | None = None,
    ) -> None:
        self._database = database
        self._settings = settings
        self._open_source = open_source
        self._events = events
        self.owner = Owner(worker_id or new_worker_id(), settings.lease_seconds)
        self._running: set[asyncio.Task[None]] = set()
        self._loop_task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._touched = time.monotonic()

    @property
    def running(self) -> int:
        return len(self._running)

    async def start(self) -> None:
        async with self._database.sessionmaker.begin() as session:
            await queue.register_worker(session, self.owner.worker_id)
        self._loop_task = asyncio.create_task(self._loop(), name="sync worker")

    async def stop(self) -> None:
        """Stop claiming; give running runs back to the queue for another replica."""
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
        for task in self._running:
            task.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)
        async with self._database.sessionmaker.begin() as session:
            await queue.remove_worker(session, self.owner.worker_id)

    async def _loop(self) -> None:
        # Only status changes can mean a newly queued run (or a freed district).
        subscription = (
            self._events.subscribe(kinds=("status",))
            if self._events is not None
            else contextlib.nullcontext(None)
        )
        with subscription as changes:
            while True:
                try:
                    await self._claim_what_fits()
                    await self._touch_now_and_then()
                except (OSError, TimeoutError) as exc:
                    logger.warning(
                        "sync worker cannot reach the database", extra={"error": type(exc).__name__}
                    )
                await self._idle(changes)

    async def _idle(self, changes: asyncio.Queue[str] | None) -> None:
        """Until a run changes somewhere, a slot frees up, or the poll interval passes."""
        waits: list[asyncio.Task[bool]] = [asyncio.create_task(self._wake.wait())]
        if changes is not None:
            waits.append(asyncio.create_task(next_change(changes, self._settings.poll_seconds)))
        try:
            await asyncio.wait(
                waits, timeout=self._settings.poll_seconds, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for wait in waits:
                wait.cancel()
        self._wake.clear()

    async def _claim_what_fits(self) -> None:
        while len(self._running) < self._settings.concurrency:
            run = await claim(self._database, self.owner, None)
            if run is None:
                return
            task = asyncio.create_task(self._execute(run), name=f"run {run.id}")
            self._running.add(task)
            task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self._wake.set()

    async def _execute(self, run: ClaimedRun) -> None:
        logger.info("sync started", extra={"run_id": str(run.id), "attempt": run.attempts})
        try:
            await execute_claimed(self._database, self.owner, run, self._open_source)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("sync crashed", extra={"run_id": str(run.id)})
        logger.info("sync ended", extra={"run_id": str(run.id)})

    async def _touch_now_and_then(self) -> None:
        """Tell `rostersync sync` this worker is alive, once per heartbeat interval."""
        now = time.monotonic()
        if now - self._touched < self._settings.heartbeat_seconds:
            return
        self._touched = now
        async with self._database.sessionmaker.begin() as session:
            await queue.register_worker(session, self.owner.worker_id)
