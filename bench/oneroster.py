"""Benchmark of a OneRoster CSV import at district scale: time, and memory against Clever's bound.

Writes a synthetic OneRoster 1.1 bulk export of N users (95 % students, 5 % teachers) in a
child process, then, in this process and against an embedded PostgreSQL in a fresh
temporary directory, times what an upload does: checking and storing the files with a
queued run (`queue_import`), executing that run in-process into the empty roster
(`execute_inline`, as `rostersync import --inline` does), and the same again with the same
files (a no-op resync). Progress goes to stderr; the last line of stdout is one JSON object.

    .venv/bin/python bench/oneroster.py --users 1000000 [--keep] [--no-reimport]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import json
import logging
import math
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sync import (
    BenchError,
    code_revision,
    database_now,
    embedded_postgres,
    log,
    machine,
    nonzero_counts,
    peak_rss_mb,
    prepare,
    rows_written_since,
)

from rostersync.config import Settings
from rostersync.db import Database, create_database
from rostersync.districts.schemas import DistrictCreate
from rostersync.districts.service import create_district, get_district
from rostersync.imports.opener import upload_opener
from rostersync.imports.service import open_received, queue_import, scratch_dir
from rostersync.sandbox._vocab import FIRST_NAMES, LAST_NAMES, SCHOOL_LEVELS, SCHOOL_WORDS, slug
from rostersync.sources.oneroster import OneRosterError
from rostersync.syncs.schemas import SyncRunOut
from rostersync.syncs.service import load_run
from rostersync.syncs.staging import SCHEMA as STAGING_SCHEMA
from rostersync.syncs.worker import execute_inline

DISTRICT_CODE = "BENCH"
# Issue #4: a Clever sync's peak RSS stays within 400 MB (and 1.3 x its 100k figure).
CLEVER_BOUND_MB = 400.0

# --- the synthetic district ---------------------------------------------------------------------

DOMAIN = "district.example.org"
TEACHER_SHARE = 0.05
SCHOOL_STUDENTS = 2_500  # students per school: 380 schools for a million users
CLASS_SIZE = 25
PERIODS = ("English", "Mathematics", "Science", "Social Studies", "Physical Education", "Art")
# CEDS grade codes, as OneRoster writes them; the three school levels' ranges (inclusive).
GRADES = ("KG", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12")
LEVEL_GRADES = ((0, 5), (6, 8), (9, 12))
# Students of a grade sit together in period 1, then are spread by these multipliers (each
# period is another permutation of the grade), so classmates differ from period to period.
MULTIPLIERS = (1, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73)
SCHOOL_YEAR, TERM_ID = "2027", "term-2026-2027"

# The OneRoster 1.1 bulk headers. In a bulk file `status` and `dateLastModified` are blank.
HEADERS: dict[str, tuple[str, ...]] = {
    "manifest.csv": ("propertyName", "value"),
    "orgs.csv": (
        "sourcedId", "status", "dateLastModified", "name", "type", "identifier",
        "parentSourcedId",
    ),
    "academicSessions.csv": (
        "sourcedId", "status", "dateLastModified", "title", "type", "startDate", "endDate",
        "parentSourcedId", "schoolYear",
    ),
    "courses.csv": (
        "sourcedId", "status", "dateLastModified", "schoolYearSourcedId", "title",
        "courseCode", "grades", "orgSourcedId", "subjects", "subjectCodes",
    ),
    "users.csv": (
        "sourcedId", "status", "dateLastModified", "enabledUser", "orgSourcedIds", "role",
        "username", "userIds", "givenName", "familyName", "middleName", "identifier", "email",
        "sms", "phone", "agentSourcedIds", "grades", "password",
    ),
    "classes.csv": (
        "sourcedId", "status", "dateLastModified", "title", "grades", "courseSourcedId",
        "classCode", "classType", "location", "schoolSourcedId", "termSourcedIds", "subjects",
        "subjectCodes", "periods",
    ),
    "enrollments.csv": (
        "sourcedId", "status", "dateLastModified", "classSourcedId", "schoolSourcedId",
        "userSourcedId", "role", "primary", "beginDate", "endDate",
    ),
}  # fmt: skip
MANIFEST = (
    ("manifest.version", "1.0"),
    ("oneroster.version", "1.1"),
    ("file.academicSessions", "bulk"),
    ("file.categories", "absent"),
    ("file.classes", "bulk"),
    ("file.classResources", "absent"),
    ("file.courses", "bulk"),
    ("file.courseResources", "absent"),
    ("file.demographics", "absent"),
    ("file.enrollments", "bulk"),
    ("file.lineItems", "absent"),
    ("file.orgs", "bulk"),
    ("file.resources", "absent"),
    ("file.results", "absent"),
    ("file.users", "bulk"),
    ("source.systemName", "Bench SIS"),
)


@dataclass(frozen=True)
class Layout:
    """Who is where, computed from indices: nothing of the district is held in memory."""

    users: int

    @property
    def teachers(self) -> int:
        return max(1, round(self.users * TEACHER_SHARE))

    @property
    def students(self) -> int:
        return self.users - self.teachers

    @property
    def schools(self) -> int:
        return max(1, min(math.ceil(self.students / SCHOOL_STUDENTS), self.teachers))

    def school_students(self, school: int) -> range:
        return _share(self.students, self.schools, school)

    def school_teachers(self, school: int) -> range:
        return _share(self.teachers, self.schools, school)

    def grade_groups(self, school: int) -> Iterator[tuple[str, range]]:
        """(grade, the school's students in it), by grade; a small school may skip one."""
        students = self.school_students(school)
        low, high = LEVEL_GRADES[school % len(LEVEL_GRADES)]
        for g in range(high - low + 1):
            part = _share(len(students), high - low + 1, g)
            if part:
                yield (
                    GRADES[low + g],
                    range(students.start + part.start, students.start + part.stop),
                )


def _share(total: int, parts: int, i: int) -> range:
    return range(i * total // parts, (i + 1) * total // parts)


def school_id(school: int) -> str:
    return f"sch-{school + 1:04d}"


def student_id(i: int) -> str:
    return f"stu-{i + 1:07d}"


def teacher_id(i: int) -> str:
    return f"tch-{i + 1:06d}"


def person(number: int) -> tuple[str, str, str, str]:
    """(given name, family name, middle name, username) of user `number`; the number in the
    username (and so the email) makes it unique."""
    h = (number * 2_654_435_761) & 0xFFFFFFFF
    first, last = FIRST_NAMES[h % len(FIRST_NAMES)], LAST_NAMES[(h >> 8) % len(LAST_NAMES)]
    middle = FIRST_NAMES[(h >> 16) % len(FIRST_NAMES)] if h % 3 == 0 else ""
    return first, last, middle, f"{slug(first)}.{slug(last)}{number}"


def period_order(size: int, period: int) -> int:
    """The period's permutation of a grade's `size` students: class seat p holds student
    (p * inverse) % size, the inverse of a multiplier coprime to `size`."""
    if size <= 1:
        return 0
    coprime = [m for m in MULTIPLIERS if math.gcd(m, size) == 1]
    return pow(coprime[period % len(coprime)], -1, size)


@dataclass
class Written:
    schools: int = 0
    courses: int = 0
    classes: int = 0
    enrollments: int = 0
    files: dict[str, int] = field(default_factory=dict)  # bytes per file


def write_district(directory: Path, users: int) -> Written:
    """Write the export's files into `directory`, row by row."""
    layout = Layout(users)
    written = Written(schools=layout.schools)
    directory.mkdir(parents=True, exist_ok=True)
    with _writer(directory / "manifest.csv") as manifest:
        manifest.writerows(MANIFEST)
    with _writer(directory / "academicSessions.csv") as sessions:
        title, start, end = "2026-2027 School Year", "2026-08-17", "2027-06-11"
        sessions.writerow([TERM_ID, "", "", title, "schoolYear", start, end, "", SCHOOL_YEAR])
    with _writer(directory / "orgs.csv") as orgs:
        orgs.writerow(["dist-1", "", "", "Springfield Unified School District", "district", "", ""])
        orgs.writerows(_school_row(s) for s in range(layout.schools))
    with _writer(directory / "users.csv") as out:
        out.writerows(_user_rows(layout))
    with (
        _writer(directory / "courses.csv") as courses,
        _writer(directory / "classes.csv") as classes,
        _writer(directory / "enrollments.csv") as enrollments,
    ):
        for school in range(layout.schools):
            _write_school_classes(layout, school, written, courses, classes, enrollments)
    written.files = {path.name: path.stat().st_size for path in sorted(directory.iterdir())}
    return written


@contextlib.contextmanager
def _writer(path: Path) -> Iterator[Any]:
    with path.open("w", newline="", encoding="utf-8", buffering=1 << 20) as file:
        writer = csv.writer(file, lineterminator="\r\n")
        writer.writerow(HEADERS[path.name])
        yield writer


def _school_row(school: int) -> list[str]:
    word = SCHOOL_WORDS[school % len(SCHOOL_WORDS)]
    level = SCHOOL_LEVELS[school % len(SCHOOL_LEVELS)]
    number = school // (len(SCHOOL_WORDS) * len(SCHOOL_LEVELS))
    name = f"{word} {level}" + (f" {number + 1}" if number else "")
    return [school_id(school), "", "", name, "school", str(100 + school), "dist-1"]


def _user_rows(layout: Layout) -> Iterator[list[str]]:
    for school in range(layout.schools):
        for grade, students in layout.grade_groups(school):
            for i in students:
                yield _user_row(student_id(i), school, "student", i, f"S{200_000_000 + i}", grade)
    for school in range(layout.schools):
        for t in layout.school_teachers(school):
            number = layout.students + t
            yield _user_row(teacher_id(t), school, "teacher", number, f"T{500_000 + t}", "")


def _user_row(
    sourced_id: str, school: int, role: str, number: int, identifier: str, grade: str
) -> list[str]:
    first, last, middle, username = person(number)
    return [
        sourced_id, "", "", "true", school_id(school), role, username, "", first, last, middle,
        identifier, f"{username}@{DOMAIN}", "", "", "", grade, "",
    ]  # fmt: skip


def _write_school_classes(
    layout: Layout, school: int, written: Written, courses: Any, classes: Any, enrollments: Any
) -> None:
    """Each grade of the school: a course per period, its classes of CLASS_SIZE, and each
    class's teacher (round robin over the school's teachers) and students."""
    teachers = layout.school_teachers(school)
    org = school_id(school)
    taught = 0
    for grade, students in layout.grade_groups(school):
        size = len(students)
        for period, subject in enumerate(PERIODS):
            written.courses += 1
            course, title = f"crs-{written.courses:06d}", f"{subject} {grade}"
            code = f"{subject[:3].upper()}{grade}"
            courses.writerow([course, "", "", TERM_ID, title, code, grade, org, subject, ""])
            inverse = period_order(size, period)
            for k, start in enumerate(range(0, size, CLASS_SIZE)):
                written.classes += 1
                cls = f"cls-{written.classes:07d}"
                classes.writerow([
                    cls, "", "", f"{title} - {k + 1}", grade, course, f"{code}-{k + 1:02d}",
                    "scheduled", f"Room {100 + k}", org, TERM_ID, subject, "", str(period + 1),
                ])  # fmt: skip
                teacher = teacher_id(teachers[taught % len(teachers)])
                taught += 1
                rows = [_enrollment(written, cls, org, teacher, "teacher", "true")]
                for position in range(start, min(start + CLASS_SIZE, size)):
                    member = students.start + (position * inverse) % size
                    rows.append(_enrollment(written, cls, org, student_id(member), "student"))
                enrollments.writerows(rows)


def _enrollment(
    written: Written, cls: str, org: str, user: str, role: str, primary: str = "false"
) -> list[str]:
    written.enrollments += 1
    return [f"enr-{written.enrollments:08d}", "", "", cls, org, user, role, primary, "", ""]


# --- the measured phases, in this process --------------------------------------------------------


@dataclass
class Figures:
    store_s: float = 0.0
    import_s: float = 0.0
    reimport_store_s: float = 0.0
    reimport_noop_s: float = 0.0
    rows_written_noop: int | None = None
    status: str | None = None
    reimport_status: str | None = None
    error: str | None = None
    import_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    noop_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    # Peak RSS so far after each phase: the peak only grows, so this shows which phase set it.
    rss_after_mb: dict[str, float] = field(default_factory=dict)
    # What a finished run left behind: its stored upload, staging tables, scratch files.
    leftovers: dict[str, dict[str, int]] = field(default_factory=dict)

    def mark(self, phase: str) -> None:
        self.rss_after_mb[phase] = peak_rss_mb()


class WarningLog(logging.Handler):
    """rostersync's warnings during the run, kept for the report."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"{record.name}: {record.getMessage()}")


LEFTOVERS_SQL = text(
    """
    SELECT (SELECT count(*) FROM sync_uploads WHERE sync_run_id = :run),
           (SELECT count(*) FROM pg_tables, sync_runs
            WHERE sync_runs.id = :run AND schemaname = :schema
              AND starts_with(tablename, 'r' || replace(staging_id::text, '-', '') || '_'))
    """
)


async def leftovers(database: Database, run_id: uuid.UUID, scratch: Path) -> dict[str, int]:
    """What the finished run left: its upload chunks still stored, its staging tables (named
    after the run's staging_id), and the entries in the upload scratch directory; all 0
    when the run cleaned up after itself."""
    async with database.engine.connect() as conn:
        params = {"run": run_id, "schema": STAGING_SCHEMA}
        chunks, tables = (await conn.execute(LEFTOVERS_SQL, params)).one()
    entries = await asyncio.to_thread(count_entries, scratch)
    return {"upload_chunks": int(chunks), "staging_tables": int(tables), "scratch_entries": entries}


def count_entries(directory: Path) -> int:
    return len(list(directory.iterdir())) if directory.exists() else 0


def make_settings(database_url: str, scratch: Path) -> Settings:
    # Explicit values, not the environment: a developer's .env must not redirect the run.
    # Uploads are unpacked and indexed under the benchmark's own directory.
    return Settings.model_validate(
        {
            "environment": "test",
            "database": {"database_url": database_url},
            "upload": {"work_dir": str(scratch)},
        }
    )


async def store(database: Database, settings: Settings, files: dict[str, Path]) -> uuid.UUID:
    """Check the files and queue an upload run with them, as `rostersync import` does."""
    async with scratch_dir(settings.upload) as workdir:
        try:
            upload = await open_received(files, workdir, settings.upload)
        except OneRosterError as exc:
            problems = "; ".join(str(problem) for problem in exc.problems[:5])
            raise BenchError(f"the upload was refused: {problems}") from exc
        async with database.sessionmaker.begin() as session:
            district = await get_district(session, DISTRICT_CODE)
            run = await queue_import(session, district, upload, started_by="bench")
            return run.id


async def execute(database: Database, settings: Settings, run_id: uuid.UUID) -> SyncRunOut:
    opener = upload_opener(database, settings.upload)
    if not await execute_inline(database, settings.worker.lease_seconds, run_id, opener):
        raise BenchError(f"run {run_id} was claimed by another worker")
    return await load_run(database, run_id)


async def timed_upload(
    database: Database, settings: Settings, files: dict[str, Path], label: str
) -> tuple[float, float, SyncRunOut, dict[str, int]]:
    """Store and execute one upload: (store seconds, execute seconds, the run, rows written)."""
    started = time.perf_counter()
    run_id = await store(database, settings, files)
    stored = time.perf_counter() - started
    log(f"{label}: stored in {stored:.2f} s (run {run_id})")
    since = await database_now(database)
    started = time.perf_counter()
    run = await execute(database, settings, run_id)
    elapsed = time.perf_counter() - started
    written = await rows_written_since(database, since)
    log(f"{label}: {run.status} in {elapsed:.2f} s, peak RSS {peak_rss_mb()} MB, rows {written}")
    return stored, elapsed, run, written


async def measure(database_url: str, scratch: Path, files: dict[str, Path], noop: bool) -> Figures:
    database = create_database(database_url)
    figures = Figures()
    try:
        await prepare(database, database_url)
        settings = make_settings(database_url, scratch)
        async with database.sessionmaker.begin() as session:
            data = DistrictCreate(code=DISTRICT_CODE, name="Bench", source="oneroster_csv")
            await create_district(session, data)
        log("database `bench` created and migrated, district BENCH takes uploads")
        figures.mark("setup")

        log("phase 1/2: first import into the empty roster")
        figures.store_s, figures.import_s, run, _ = await timed_upload(
            database, settings, files, "import"
        )
        figures.mark("import")
        figures.leftovers["import"] = await leftovers(database, run.id, scratch)
        figures.status, figures.error = run.status, run.error
        figures.import_counts, figures.skipped = nonzero_counts(run), run.skipped
        if run.status != "successful" or not noop:
            return figures

        log("phase 2/2: the same files again (nothing changed)")
        stored, elapsed, run, written = await timed_upload(database, settings, files, "re-import")
        figures.reimport_store_s, figures.reimport_noop_s = stored, elapsed
        figures.mark("reimport_noop")
        figures.leftovers["reimport_noop"] = await leftovers(database, run.id, scratch)
        figures.reimport_status, figures.noop_counts = run.status, nonzero_counts(run)
        figures.rows_written_noop = sum(written.values())
        if run.status != "successful":
            figures.error = run.error
    finally:
        await database.dispose()
    return figures


# --- the report ----------------------------------------------------------------------------------


def report(
    users: int,
    written: Written,
    generate_s: float,
    figures: Figures,
    warnings: list[str],
    total_s: float,
) -> dict[str, Any]:
    layout = Layout(users)
    peak = peak_rss_mb()
    return {
        "users": users,
        "enrollments": written.enrollments,
        "file_bytes": sum(written.files.values()),
        "generate_s": round(generate_s, 2),
        "store_s": round(figures.store_s, 2),
        "import_s": round(figures.import_s, 2),
        "reimport_noop_s": round(figures.reimport_noop_s, 2),
        "rows_written_noop": figures.rows_written_noop,
        "peak_rss_mb": peak,
        "status": figures.status,
        "within_clever_bound": peak <= CLEVER_BOUND_MB,
        "clever_bound_mb": CLEVER_BOUND_MB,
        "students": layout.students,
        "teachers": layout.teachers,
        "schools": written.schools,
        "courses": written.courses,
        "classes": written.classes,
        "files": written.files,
        "reimport_store_s": round(figures.reimport_store_s, 2),
        "reimport_status": figures.reimport_status,
        "error": figures.error,
        "import_counts": figures.import_counts,
        "noop_counts": figures.noop_counts,
        "skipped": figures.skipped,
        "rss_after_mb": figures.rss_after_mb,
        "leftovers": figures.leftovers,
        "warnings": warnings,
        "total_s": round(total_s, 2),
        "machine": machine(),
    }


# --- entry point ---------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--users", type=int, default=1_000_000, help="users in the export")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--no-reimport", action="store_true", help="skip the second (no-op) upload")
    # The child process that writes the files: its memory stays out of the measured process.
    parser.add_argument("--write-files", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.users < 20:
        parser.error("--users must be at least 20")
    return args


def generate(directory: Path, users: int) -> tuple[Written, float]:
    """Write the files in a child process; what it wrote, and its seconds."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--users", str(users), "--write-files", str(directory)],
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise BenchError(f"writing the files failed:\n{done.stderr[-2000:]}")
    return Written(**json.loads(done.stdout.strip().splitlines()[-1])), elapsed


def run(args: argparse.Namespace, workdir: Path) -> tuple[dict[str, Any], bool]:
    started = time.perf_counter()
    # Taken at start, just after rostersync was imported: later edits do not affect this run.
    revision = code_revision()
    log(f"writing a OneRoster export of {args.users} users in a child process")
    written, generate_s = generate(workdir / "export", args.users)
    size = sum(written.files.values())
    log(f"wrote {written.enrollments} enrollments, {size / 1e6:.1f} MB in {generate_s:.2f} s")
    files = {name: workdir / "export" / name for name in written.files}
    warnings = WarningLog()
    logging.getLogger("rostersync").addHandler(warnings)
    with embedded_postgres(workdir / "pg") as server:
        log(f"embedded PostgreSQL started in {workdir / 'pg'}")
        figures = asyncio.run(
            measure(server.url("bench"), workdir / "scratch", files, not args.no_reimport)
        )
    total_s = time.perf_counter() - started
    result = report(args.users, written, generate_s, figures, warnings.messages, total_s)
    ok = figures.status == "successful" and figures.reimport_status in ("successful", None)
    return {**result, "code": revision}, ok


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.write_files is not None:
        written = write_district(args.write_files, args.users)
        print(json.dumps(written.__dict__), flush=True)
        return 0
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    workdir = Path(tempfile.mkdtemp(prefix="rostersync-bench-oneroster-"))
    log(f"working directory {workdir}")
    try:
        result, ok = run(args, workdir)
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
    if not ok:
        log(f"FAILED: the run ended {result['status']}: {result['error']}")
    print(json.dumps(result), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
