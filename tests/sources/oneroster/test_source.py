"""The source as the engine reads it: streaming a large upload, and cleaning up after itself."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, AsyncIterator
from pathlib import Path

from rostersync.roster.records import Batch, SectionRecord
from rostersync.sources.oneroster import OneRosterSource, open_upload
from tests.sources.oneroster.files import HEADERS, District, drain, listing

USERS = 50_000
SCHOOLS = 20
CLASSES = 2_000
CLASSES_PER_STUDENT = 4


def write_large_district(directory: Path) -> dict[str, Path]:
    """A district of USERS people: one teacher in 25, everyone in CLASSES_PER_STUDENT classes."""
    directory.mkdir()
    lines: dict[str, list[str]] = {name: [",".join(HEADERS[name])] for name in HEADERS}
    lines["orgs.csv"] += [f"s{s},,,School {s},school,{s}" for s in range(SCHOOLS)]
    lines["classes.csv"] += [
        f"c{c},,Class {c},05,,C{c},scheduled,s{c % SCHOOLS},,Math,1" for c in range(CLASSES)
    ]
    for u in range(USERS):
        role = "teacher" if u % 25 == 0 else "student"
        lines["users.csv"].append(
            f"u{u},,,true,s{u % SCHOOLS},{role},,G{u},F{u},,{u},u{u}@x.example,05"
        )
        for k in range(CLASSES_PER_STUDENT):
            cls = (u * 7 + k * 13) % CLASSES
            lines["enrollments.csv"].append(f"e{u}-{k},c{cls},s0,u{u},{role},false")
    paths = {}
    for name in ("orgs.csv", "users.csv", "classes.csv", "enrollments.csv"):
        paths[name] = directory / name
        paths[name].write_text("\n".join(lines[name]) + "\n")
    return paths


async def test_a_large_upload_streams_with_the_right_counts(parts_dir: Path, workdir: Path) -> None:
    upload = await open_upload(write_large_district(parts_dir), workdir=workdir, max_bytes=10**8)
    started = time.monotonic()
    batches: list[int] = []
    counts = {"schools": 0, "users": 0, "sections": 0, "members": 0}

    async def read(name: str, collection: AsyncIterator[Batch]) -> None:
        async for batch in collection:
            batches.append(len(batch))
            counts[name] += len(batch)
            if name == "sections":
                counts["members"] += sum(
                    len(s.student_clever_ids) + len(s.teacher_clever_ids)
                    for s in batch
                    if isinstance(s, SectionRecord)
                )

    async with OneRosterSource(upload) as source:
        await asyncio.gather(*(read(name, it) for name, it in source.collections().items()))

    assert counts == {
        "schools": SCHOOLS,
        "users": USERS,
        "sections": CLASSES,
        "members": USERS * CLASSES_PER_STUDENT,
    }
    assert max(batches) <= 5_000
    assert time.monotonic() - started < 10


async def test_the_index_is_removed_when_the_source_closes(parts_dir: Path, workdir: Path) -> None:
    upload = await open_upload(District.small().write(parts_dir), workdir=workdir, max_bytes=10**6)

    async with OneRosterSource(upload) as source:
        await drain(source)
        assert [Path(name).suffix for name in listing(workdir)] == [".sqlite"]

    assert listing(workdir) == []


async def test_closing_while_collections_are_read_stops_cleanly(
    parts_dir: Path, workdir: Path
) -> None:
    upload = await open_upload(write_large_district(parts_dir), workdir=workdir, max_bytes=10**8)
    source = OneRosterSource(upload)
    users = source.collections()["users"]

    first = await anext(users)
    await source.aclose()
    assert isinstance(users, AsyncGenerator)
    await users.aclose()

    assert len(first) == 5_000
    assert listing(workdir) == []
