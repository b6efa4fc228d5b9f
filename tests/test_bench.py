"""The benchmark still runs end to end: sandbox process, embedded PostgreSQL, four phases."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from tests.conftest import PROJECT_ROOT


def run_bench(script: str, *args: str) -> dict[str, Any]:
    """Run bench/`script` in its own process; the JSON of its last line."""
    result = subprocess.run(  # noqa: S603 - our own script, fixed arguments
        [sys.executable, str(PROJECT_ROOT / "bench" / script), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=PROJECT_ROOT,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    figures: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def test_a_small_benchmark_reports_every_figure_and_writes_nothing_when_nothing_changed() -> None:
    figures = run_bench("sync.py", "--students", "300")
    assert list(figures)[:10] == [
        "students",
        "records",
        "fetch_only_s",
        "full_sync_s",
        "noop_resync_s",
        "changed_resync_s",
        "full_vs_fetch",
        "noop_vs_fetch",
        "rows_written_noop",
        "peak_rss_mb",
    ]
    assert figures["students"] == 300
    assert figures["rows_written_noop"] == 0
    assert figures["changed_counts"]["students"]["created"] == 3
    assert figures["changed_counts"]["students"]["deactivated"] == 3
    # CPU seconds per phase and process (tenths of a second: too coarse to compare at 300).
    phases = ["fetch_only", "full_sync", "noop_resync", "changed_resync"]
    assert list(figures["cpu_s"]) == phases
    for spent in figures["cpu_s"].values():
        assert set(spent) == {"sync", "sandbox", "postgres"}
        assert all(seconds >= 0 for seconds in spent.values())


def test_a_small_oneroster_import_benchmark_imports_everything_and_leaves_nothing() -> None:
    figures = run_bench("oneroster.py", "--users", "500")
    assert list(figures)[:11] == [
        "users",
        "enrollments",
        "file_bytes",
        "generate_s",
        "store_s",
        "import_s",
        "reimport_noop_s",
        "rows_written_noop",
        "peak_rss_mb",
        "status",
        "within_clever_bound",
    ]
    assert (figures["users"], figures["status"], figures["reimport_status"]) == (
        500,
        "successful",
        "successful",
    )
    assert figures["import_counts"]["students"] == {"created": 475}
    assert figures["import_counts"]["enrollments"] == {"created": figures["enrollments"]}
    assert figures["rows_written_noop"] == 0
    assert figures["noop_counts"] == {}
    for run in figures["leftovers"].values():
        assert run == {"upload_chunks": 0, "staging_tables": 0, "scratch_entries": 0}
