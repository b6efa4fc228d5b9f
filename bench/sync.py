"""Benchmark of a Clever sync at district scale, against the offline Clever.

Starts `rostersync sandbox` in its own process (rate limits off) and an embedded PostgreSQL in
a fresh temporary directory, then times four phases in this process: reading Clever without
writing, a full sync into an empty roster, a resync with nothing changed, and a resync after
the district changed. Progress goes to stderr; the last line of stdout is one JSON object.

    .venv/bin/python bench/sync.py --students 100000 [--keep] [--port 8100]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import platform
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from rostersync.config import Settings
from rostersync.db import Database, create_database, ensure_database_exists
from rostersync.db.embedded import EmbeddedPostgres
from rostersync.db.migrate import upgrade_to_head
from rostersync.gcpause import bulk_reading
from rostersync.roster.records import Batch, SectionRecord
from rostersync.sources.clever import CleverSource
from rostersync.syncs.clever import clever_client, connect, sync_district
from rostersync.syncs.schemas import SyncRunOut

DISTRICT_CODE = "BENCH"
# Requests per minute per token: high enough never to throttle, so we measure throughput.
RATE_LIMIT_PER_MINUTE = 100_000_000
STARTUP_TIMEOUT_S = 120.0
# Records per control call: the sandbox accepts at most 100,000, and smaller calls keep each
# request short while the sandbox rewrites sections for every unshared or added student.
CHANGE_CHUNK = 10_000
UPDATE_FRACTION, UNSHARE_FRACTION, ADD_FRACTION = 0.02, 0.01, 0.01

# A written roster row is one created or updated: every write path sets updated_at.
ROWS_WRITTEN_SQL = text(
    """
    SELECT 'schools', count(*) FROM schools WHERE created_at >= :t OR updated_at >= :t
    UNION ALL
    SELECT 'users', count(*) FROM users WHERE created_at >= :t OR updated_at >= :t
    UNION ALL
    SELECT 'sections', count(*) FROM sections WHERE created_at >= :t OR updated_at >= :t
    UNION ALL
    SELECT 'enrollments', count(*) FROM enrollments WHERE created_at >= :t OR updated_at >= :t
    """
)


class BenchError(Exception):
    """A phase failed; the message says which and why."""


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- the offline Clever, in its own process -------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def sandbox_command(students: int, port: int) -> list[str]:
    # The console script next to this interpreter: the CLI package has no __main__.
    script = Path(sys.executable).parent / "rostersync"
    return [
        str(script),
        "sandbox",
        "--port",
        str(port),
        "--students",
        str(students),
        "--control",
        "--rate-limit",
        str(RATE_LIMIT_PER_MINUTE),
    ]


def wait_until_ready(process: subprocess.Popen[bytes], url: str, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    with httpx.Client(timeout=5) as client:
        while True:
            if process.poll() is not None:
                raise BenchError(f"the sandbox exited with {process.returncode}:\n{tail(log_path)}")
            with contextlib.suppress(httpx.TransportError):
                if client.get(f"{url}/_sandbox/state").status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise BenchError(
                    f"the sandbox did not answer within {STARTUP_TIMEOUT_S:.0f} s:\n"
                    f"{tail(log_path)}"
                )
            time.sleep(0.2)


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def sandbox_process(students: int, port: int, log_path: Path) -> Iterator[tuple[str, float, int]]:
    """Yield the sandbox's URL, its start-up seconds and pid; it is stopped on any exit."""
    url = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    with log_path.open("wb") as out:
        process = subprocess.Popen(
            sandbox_command(students, port),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_ready(process, url, log_path)
        yield url, time.perf_counter() - started, process.pid
    finally:
        stop_process(process)


@contextlib.contextmanager
def embedded_postgres(data_dir: Path) -> Iterator[EmbeddedPostgres]:
    server = EmbeddedPostgres(data_dir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux; it covers this process only (not PostgreSQL, not the sandbox).
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat_fields(pid: int | str) -> list[str]:
    """/proc/PID/stat after the command name (which may hold spaces): state, ppid, ..."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _proc_cpu_s(pid: int, *, children: bool = False) -> float:
    """utime + stime of a process (and of its children it has waited for), from /proc."""
    fields = _stat_fields(pid)
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / CLOCK_TICKS


def _child_pids(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                if int(_stat_fields(entry.name)[1]) == pid:
                    found.append(int(entry.name))
    return found


@dataclass
class CpuMeter:
    """CPU seconds used so far by this process, the sandbox and PostgreSQL (Linux /proc).

    PostgreSQL's figure is its postmaster with every backend, live or ended (the postmaster
    has waited for the ended ones), so parallel workers and autovacuum count too.
    """

    sandbox_pid: int
    postgres_dir: Path

    def sample(self) -> dict[str, float] | None:
        try:
            postmaster = int((self.postgres_dir / "postmaster.pid").read_text().split()[0])
            postgres = _proc_cpu_s(postmaster, children=True)
            for child in _child_pids(postmaster):
                with contextlib.suppress(OSError, IndexError):
                    postgres += _proc_cpu_s(child)
            usage = resource.getrusage(resource.RUSAGE_SELF)
            return {
                "sync": usage.ru_utime + usage.ru_stime,
                "sandbox": _proc_cpu_s(self.sandbox_pid),
                "postgres": postgres,
            }
        except (OSError, ValueError, IndexError):
            return None  # not Linux, or a process gone: the figures are left out


# --- the phases, run in this process ----------------------------------------------------------


@dataclass
class Figures:
    meter: CpuMeter
    records: int = 0
    clever_objects: int = 0
    fetch_only_s: float = 0.0
    full_sync_s: float = 0.0
    noop_resync_s: float = 0.0
    changed_resync_s: float = 0.0
    rows_written_noop: int = 0
    rows_written_changed: dict[str, int] = field(default_factory=dict)
    changes: dict[str, int] = field(default_factory=dict)
    changes_s: float = 0.0
    changed_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    district_counts: dict[str, int] = field(default_factory=dict)
    # Peak RSS so far after each phase: the peak only grows, so this shows which phase set it.
    rss_after_mb: dict[str, float] = field(default_factory=dict)
    # CPU seconds each process spent in each phase (what the machine's cores did meanwhile).
    cpu_s: dict[str, dict[str, float]] = field(default_factory=dict)
    _cpu_before: dict[str, float] | None = None

    def start(self) -> None:
        self._cpu_before = self.meter.sample()

    def mark(self, phase: str) -> None:
        self.rss_after_mb[phase] = peak_rss_mb()
        after = self.meter.sample()
        if after is not None and self._cpu_before is not None:
            self.cpu_s[phase] = {k: round(after[k] - self._cpu_before[k], 1) for k in after}


def make_settings(sandbox_url: str, database_url: str) -> Settings:
    # Explicit values, not the environment: a developer's .env must not redirect the run.
    return Settings.model_validate(
        {
            "environment": "test",
            "database": {"database_url": database_url},
            "clever": {"api_base_url": sandbox_url, "oauth_base_url": sandbox_url},
        }
    )


async def sandbox_district(http: httpx.AsyncClient, sandbox_url: str) -> dict[str, Any]:
    """The first district of `GET /_sandbox/state`: id, token and counts per type."""
    response = await http.get(f"{sandbox_url}/_sandbox/state")
    response.raise_for_status()
    district: dict[str, Any] = response.json()["districts"][0]
    return district


async def count_records(batches: AsyncIterator[Batch]) -> int:
    """Records in the batches, a section's enrollments (its members) included."""
    total = 0
    async for batch in batches:
        total += len(batch)
        total += sum(
            len(r.student_clever_ids) + len(r.teacher_clever_ids)
            for r in batch
            if isinstance(r, SectionRecord)
        )
    return total


async def fetch_only(http: httpx.AsyncClient, settings: Settings, token: str) -> tuple[int, int]:
    """Read every collection as the engine does, discarding batches: (records, objects)."""
    source = CleverSource(clever_client(http, settings, token))
    with bulk_reading():  # as SyncEngine.stage reads
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(count_records(b)) for b in source.collections().values()]
    objects = sum(progress.records for progress in source.progress.values())
    return sum(task.result() for task in tasks), objects


async def database_now(database: Database) -> datetime:
    async with database.engine.connect() as conn:
        now: datetime = (await conn.execute(text("SELECT now()"))).scalar_one()
        return now


async def rows_written_since(database: Database, since: datetime) -> dict[str, int]:
    async with database.engine.connect() as conn:
        rows = (await conn.execute(ROWS_WRITTEN_SQL, {"t": since})).all()
    return {str(table): int(n) for table, n in rows}


async def timed_sync(
    database: Database, http: httpx.AsyncClient, settings: Settings, label: str
) -> tuple[float, SyncRunOut, dict[str, int]]:
    """Run one sync; return its seconds, the run and the roster rows it wrote."""
    since = await database_now(database)
    started = time.perf_counter()
    run = await sync_district(database, http, settings, DISTRICT_CODE, started_by="bench")
    elapsed = time.perf_counter() - started
    if run.status != "successful":
        raise BenchError(f"{label} ended {run.status}: {run.error}")
    written = await rows_written_since(database, since)
    log(f"{label}: {elapsed:.2f} s, rows written {written}")
    return elapsed, run, written


def change_plan(counts: dict[str, int], students: int) -> list[tuple[str, str, int]]:
    """(operation, type, count): 2% updated (students and teachers pro rata), 1% unshared,
    1% added, all as fractions of the district's students."""
    updates = max(1, round(students * UPDATE_FRACTION))
    teachers = round(updates * counts["teachers"] / (counts["students"] + counts["teachers"]))
    return [
        ("update", "students", updates - teachers),
        ("update", "teachers", teachers),
        ("unshare", "students", max(1, round(students * UNSHARE_FRACTION))),
        ("add", "students", max(1, round(students * ADD_FRACTION))),
    ]


async def control(
    http: httpx.AsyncClient, sandbox_url: str, operation: str, kind: str, count: int
) -> int:
    """Apply one change in chunks through the control API; return how many records it hit."""
    done = 0
    for start in range(0, count, CHANGE_CHUNK):
        body = {"type": kind, "count": min(CHANGE_CHUNK, count - start)}
        response = await http.post(f"{sandbox_url}/_sandbox/{operation}", json=body)
        if response.status_code != 200:
            raise BenchError(f"POST /_sandbox/{operation} {body}: {response.text}")
        done += len(response.json()["ids"])
    return done


async def change_district(
    http: httpx.AsyncClient, sandbox_url: str, counts: dict[str, int], students: int
) -> dict[str, int]:
    changes: dict[str, int] = {}
    for operation, kind, count in change_plan(counts, students):
        if count > 0:
            changes[f"{operation}_{kind}"] = await control(
                http, sandbox_url, operation, kind, count
            )
    return changes


def nonzero_counts(run: SyncRunOut) -> dict[str, dict[str, int]]:
    """What a run did, without the unchanged rows and empty entities."""
    return {
        entity: {action: n for action, n in actions.items() if n and action != "unchanged"}
        for entity, actions in run.counts.items()
        if any(n for action, n in actions.items() if action != "unchanged")
    }


async def prepare(database: Database, database_url: str) -> None:
    await ensure_database_exists(database_url)
    await upgrade_to_head(database.engine)


async def run_phases(
    sandbox_url: str, database_url: str, students: int, meter: CpuMeter
) -> Figures:
    database = create_database(database_url)
    figures = Figures(meter=meter)
    try:
        await prepare(database, database_url)
        log("database `bench` created and migrated")
        async with httpx.AsyncClient(timeout=httpx.Timeout(120, connect=10)) as http:
            settings = make_settings(sandbox_url, database_url)
            await measure(database, http, settings, students, figures)
    finally:
        await database.dispose()
    return figures


async def measure(
    database: Database,
    http: httpx.AsyncClient,
    settings: Settings,
    students: int,
    figures: Figures,
) -> None:
    sandbox_url = settings.clever.api_url
    district = await sandbox_district(http, sandbox_url)
    figures.district_counts = {k: v for k, v in district["counts"].items() if v}
    log(f"sandbox district {district['id']}: {figures.district_counts}")
    token: str = district["token"]
    async with database.sessionmaker.begin() as session:
        await connect(session, http, settings, DISTRICT_CODE, token)

    log("phase 1/4: reading Clever without writing")
    figures.start()
    started = time.perf_counter()
    figures.records, figures.clever_objects = await fetch_only(http, settings, token)
    figures.fetch_only_s = time.perf_counter() - started
    figures.mark("fetch_only")
    log(f"fetch only: {figures.fetch_only_s:.2f} s, {figures.records} records")

    log("phase 2/4: full sync into the empty roster")
    figures.start()
    figures.full_sync_s, _, _ = await timed_sync(database, http, settings, "full sync")
    figures.mark("full_sync")

    log("phase 3/4: resync with nothing changed")
    figures.start()
    figures.noop_resync_s, _, noop = await timed_sync(database, http, settings, "no-op resync")
    figures.rows_written_noop = sum(noop.values())
    figures.mark("noop_resync")

    log("phase 4/4: changing the district, then resyncing")
    started = time.perf_counter()
    figures.changes = await change_district(http, sandbox_url, district["counts"], students)
    figures.changes_s = time.perf_counter() - started
    log(f"changes made in {figures.changes_s:.2f} s: {figures.changes}")
    figures.start()
    elapsed, run, written = await timed_sync(database, http, settings, "changed resync")
    figures.changed_resync_s, figures.rows_written_changed = elapsed, written
    figures.changed_counts = nonzero_counts(run)
    figures.mark("changed_resync")
    log(f"changed resync counts: {figures.changed_counts}")


# --- the report --------------------------------------------------------------------------------


def memory_total_mb() -> int | None:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    return None


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "memory_mb": memory_total_mb(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def code_revision() -> dict[str, Any]:
    """The commit measured, and whether src/ had uncommitted changes (others edit it live)."""
    root = Path(__file__).resolve().parents[1]

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True)
        return done.stdout.strip()

    try:
        return {
            "commit": git("rev-parse", "--short", "HEAD"),
            "src_dirty": bool(git("status", "--porcelain", "--", "src")),
        }
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "src_dirty": None}


def ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 2) if whole > 0 else None


def report(students: int, figures: Figures, startup_s: float, total_s: float) -> dict[str, Any]:
    return {
        "students": students,
        "records": figures.records,
        "fetch_only_s": round(figures.fetch_only_s, 2),
        "full_sync_s": round(figures.full_sync_s, 2),
        "noop_resync_s": round(figures.noop_resync_s, 2),
        "changed_resync_s": round(figures.changed_resync_s, 2),
        "full_vs_fetch": ratio(figures.full_sync_s, figures.fetch_only_s),
        "noop_vs_fetch": ratio(figures.noop_resync_s, figures.fetch_only_s),
        "rows_written_noop": figures.rows_written_noop,
        "peak_rss_mb": peak_rss_mb(),
        "clever_objects": figures.clever_objects,
        "district_counts": figures.district_counts,
        "changes": figures.changes,
        "changes_s": round(figures.changes_s, 2),
        "changed_counts": figures.changed_counts,
        "rows_written_changed": figures.rows_written_changed,
        "rss_after_mb": figures.rss_after_mb,
        "cpu_s": figures.cpu_s,
        "sandbox_startup_s": round(startup_s, 2),
        "sandbox_rate_limit_per_minute": RATE_LIMIT_PER_MINUTE,
        "total_s": round(total_s, 2),
        "machine": machine(),
    }


# --- entry point -------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--students", type=int, default=100_000, help="students in the district")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--port", type=int, default=None, help="sandbox port (default: free)")
    args = parser.parse_args(argv)
    if args.students < 1:
        parser.error("--students must be at least 1")
    return args


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    started = time.perf_counter()
    # Taken at start, just after rostersync was imported: later edits do not affect this run.
    revision = code_revision()
    port = args.port or free_port()
    log(f"starting the offline Clever on port {port} with {args.students} students")
    log(f"sandbox rate limit {RATE_LIMIT_PER_MINUTE}/min per token: effectively off")
    sandbox = sandbox_process(args.students, port, workdir / "sandbox.log")
    with sandbox as (url, startup_s, sandbox_pid):
        log(f"sandbox answered after {startup_s:.2f} s")
        with embedded_postgres(workdir / "pg") as server:
            log(f"embedded PostgreSQL started in {workdir / 'pg'}")
            meter = CpuMeter(sandbox_pid, server.data_dir)
            figures = asyncio.run(run_phases(url, server.url("bench"), args.students, meter))
    result = report(args.students, figures, startup_s, time.perf_counter() - started)
    return {**result, "code": revision}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Warnings from rostersync (a failed sync, retries) are worth seeing next to progress.
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    workdir = Path(tempfile.mkdtemp(prefix="rostersync-bench-"))
    log(f"working directory {workdir}")
    try:
        result = run(args, workdir)
    except BenchError as exc:
        log(f"FAILED: {exc}")
        return 1
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
