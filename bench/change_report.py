"""Stream a run's change report of ROWS rows as CSV and print time and memory as JSON.

    .venv/bin/python bench/change_report.py --rows 1000000

An embedded PostgreSQL in a temporary directory gets one district, one run and ROWS
`sync_changes` rows (a fifth of them updates of two fields, the rest creations), written
by SQL. The report is then streamed exactly as `GET /syncs/{id}/changes` streams it, and
counted, never kept. `peak_rss_mb` is this process's peak resident memory after streaming,
`rss_before_mb` the same just before it: their difference is what streaming cost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import text

from rostersync.db import Database, create_database, ensure_database_exists
from rostersync.db.embedded import EmbeddedPostgres
from rostersync.db.migrate import upgrade_to_head
from rostersync.syncs.report import change_report_csv


def rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


async def seed(database: Database, rows: int) -> uuid.UUID:
    async with database.sessionmaker.begin() as session:
        district_id = (
            await session.execute(
                text("INSERT INTO districts (code, name) VALUES ('BENCH', 'Bench') RETURNING id")
            )
        ).scalar_one()
        run_id: uuid.UUID = (
            await session.execute(
                text(
                    "INSERT INTO sync_runs (district_id, trigger, started_by, status, started_at,"
                    " finished_at) VALUES (:d, 'on_demand', 'bench', 'successful', now(), now())"
                    " RETURNING id"
                ),
                {"d": district_id},
            )
        ).scalar_one()
        await session.execute(
            text(
                """
                INSERT INTO sync_changes (sync_run_id, entity, clever_id, action, changes)
                SELECT :r, 'user', lpad(to_hex(n), 24, '0'),
                       CASE WHEN n % 5 = 0 THEN 'updated' ELSE 'created' END,
                       CASE WHEN n % 5 = 0 THEN jsonb_build_object(
                           'name_last', jsonb_build_array('Old' || n, 'New' || n),
                           'grade', jsonb_build_array('4', '5')) END
                FROM generate_series(1, :rows) AS n
                """
            ),
            {"r": run_id, "rows": rows},
        )
    return run_id


async def stream(database: Database, run_id: uuid.UUID) -> dict[str, Any]:
    before = rss_mb()
    started = time.perf_counter()
    chunks = lines = size = 0
    async for chunk in change_report_csv(database, run_id):
        chunks += 1
        size += len(chunk)
        lines += chunk.count(b"\r\n")
    return {
        "stream_s": round(time.perf_counter() - started, 2),
        "csv_lines": lines,
        "csv_mb": round(size / 1e6, 1),
        "chunks": chunks,
        "rss_before_mb": before,
        "peak_rss_mb": rss_mb(),
    }


async def measure(url: str, rows: int) -> dict[str, Any]:
    await ensure_database_exists(url)
    database = create_database(url)
    try:
        await upgrade_to_head(database.engine)
        started = time.perf_counter()
        run_id = await seed(database, rows)
        seeded = round(time.perf_counter() - started, 2)
        return {"rows": rows, "seed_s": seeded, **await stream(database, run_id)}
    finally:
        await database.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000, help="change report rows")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="rostersync-bench-report-"))
    server = EmbeddedPostgres(workdir / "pg")
    server.start()
    try:
        result = asyncio.run(measure(server.url("bench"), args.rows))
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
