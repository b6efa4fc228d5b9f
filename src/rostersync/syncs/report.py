"""A run's change report as CSV, streamed from PostgreSQL a few thousand rows at a time.

One line per created, deactivated, reactivated or rejected record, and one per changed
field of an updated record (old and new value). Cells that a spreadsheet would run as a
formula (=, +, -, @) are prefixed with a quote: names come from SIS data.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator, Iterable
from typing import Any

from sqlalchemy import select

from rostersync.db import Database
from rostersync.syncs.models import SyncChange

COLUMNS = ("entity", "source_id", "action", "field", "old_value", "new_value", "reason")
ROWS_PER_CHUNK = 5000
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


async def change_report_csv(database: Database, run_id: uuid.UUID) -> AsyncIterator[bytes]:
    """The report, in the order it was written, as UTF-8 CSV chunks (header first)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    query = (
        select(
            SyncChange.entity,
            SyncChange.clever_id,
            SyncChange.action,
            SyncChange.changes,
            SyncChange.reason,
        )
        .where(SyncChange.sync_run_id == run_id)
        .order_by(SyncChange.id)
        .execution_options(yield_per=ROWS_PER_CHUNK)
    )
    async with database.sessionmaker() as session:
        rows = await session.stream(query)
        async for chunk in rows.partitions():
            for row in chunk:
                writer.writerows(_lines(*row))
            yield _drain(buffer)
    yield _drain(buffer)


def _lines(
    entity: str, source_id: str, action: str, changes: dict[str, Any] | None, reason: str | None
) -> Iterable[list[str]]:
    if action == "updated" and changes:
        for field, (old, new) in changes.items():
            yield [entity, _safe(source_id), action, field, _cell(old), _cell(new), ""]
        return
    yield [entity, _safe(source_id), action, "", "", "", _safe(reason or "")]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return _safe(" ".join(str(item) for item in value))
    return _safe(str(value))


def _safe(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _drain(buffer: io.StringIO) -> bytes:
    data = buffer.getvalue().encode()
    buffer.seek(0)
    buffer.truncate()
    return data
