"""Live run events: one LISTEN connection per process, fanned out to local subscribers.

Runs announce every status and progress change with NOTIFY (see queue.py), so a client
connected to any replica hears about a run executed by any other. A notification only
says "run X changed": subscribers read the run itself, so a missed or coalesced
notification costs nothing but a little latency, and the keep-alive tick re-reads anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Iterator

import asyncpg
import orjson

from rostersync.syncs.queue import CHANNEL

logger = logging.getLogger(__name__)

RECONNECT_DELAYS_S = (0.5, 1.0, 2.0, 5.0, 10.0)
_ANY_RUN = None
KINDS = ("status", "progress")


class RunEvents:
    """Subscriptions to run changes, fed by a LISTEN connection that reconnects by itself."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._subscribers: dict[uuid.UUID | None, dict[asyncio.Queue[str], frozenset[str]]] = {}
        self._task: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen_forever(), name="run events")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._listening.wait(), timeout=10)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    @contextlib.contextmanager
    def subscribe(
        self, run_id: uuid.UUID | None = _ANY_RUN, kinds: tuple[str, ...] = KINDS
    ) -> Iterator[asyncio.Queue[str]]:
        """A queue of change kinds ('status', 'progress') for one run, or for every run."""
        queue: asyncio.Queue[str] = asyncio.Queue(maxsize=16)
        self._subscribers.setdefault(run_id, {})[queue] = frozenset(kinds)
        try:
            yield queue
        finally:
            subscribers = self._subscribers.get(run_id, {})
            subscribers.pop(queue, None)
            if not subscribers:
                self._subscribers.pop(run_id, None)

    async def _listen_forever(self) -> None:
        failures = 0
        while True:
            try:
                await self._listen_once()
                failures = 0
            except (OSError, asyncpg.PostgresError) as exc:
                delay = RECONNECT_DELAYS_S[min(failures, len(RECONNECT_DELAYS_S) - 1)]
                failures += 1
                logger.warning("run events connection lost", extra={"error": type(exc).__name__})
                await asyncio.sleep(delay)

    async def _listen_once(self) -> None:
        closed = asyncio.Event()
        conn = await asyncpg.connect(
            self._dsn, server_settings={"application_name": "rostersync events"}
        )
        try:
            conn.add_termination_listener(lambda _: closed.set())
            await conn.add_listener(CHANNEL, self._on_notify)
            self._listening.set()
            self._wake_everyone("status")  # whatever happened while we were not listening
            await closed.wait()
        finally:
            self._listening.clear()
            await conn.close(timeout=5)
        raise OSError("the LISTEN connection closed")

    def _on_notify(self, _conn: object, _pid: int, _channel: str, payload: object) -> None:
        try:
            message = orjson.loads(str(payload))
            run_id = uuid.UUID(message["id"])
            kind = str(message["kind"])
        except (orjson.JSONDecodeError, KeyError, ValueError, TypeError):
            logger.warning("ignored a malformed run notification")
            return
        for key in (run_id, _ANY_RUN):
            for queue, kinds in self._subscribers.get(key, {}).items():
                if kind in kinds:
                    _offer(queue, kind)

    def _wake_everyone(self, kind: str) -> None:
        for subscribers in self._subscribers.values():
            for queue in subscribers:
                _offer(queue, kind)


def _offer(queue: asyncio.Queue[str], kind: str) -> None:
    # A full queue already holds a wake-up; the subscriber re-reads the run either way.
    with contextlib.suppress(asyncio.QueueFull):
        queue.put_nowait(kind)


async def next_change(queue: asyncio.Queue[str], within: float) -> bool:
    """Wait for a change (draining any backlog); False when `within` seconds passed first."""
    try:
        async with asyncio.timeout(within):
            await queue.get()
    except TimeoutError:
        return False
    while not queue.empty():
        queue.get_nowait()
    return True
