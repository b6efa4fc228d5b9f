"""OneRoster CSV fixtures written by the tests, and draining a source like the engine does."""

from __future__ import annotations

import asyncio
import csv
import io
import zipfile
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rostersync.roster.records import (
    Batch,
    RejectedRecord,
    SchoolRecord,
    SectionRecord,
    UserRecord,
)
from rostersync.roster.sources import RosterSource
from rostersync.sources.oneroster import OneRosterSource, open_upload

Row = Mapping[str, str]

HEADERS: dict[str, tuple[str, ...]] = {
    "orgs.csv": ("sourcedId", "status", "dateLastModified", "name", "type", "identifier"),
    "users.csv": (
        "sourcedId",
        "status",
        "dateLastModified",
        "enabledUser",
        "orgSourcedIds",
        "role",
        "username",
        "givenName",
        "familyName",
        "middleName",
        "identifier",
        "email",
        "grades",
    ),
    "classes.csv": (
        "sourcedId",
        "status",
        "title",
        "grades",
        "courseSourcedId",
        "classCode",
        "classType",
        "schoolSourcedId",
        "termSourcedIds",
        "subjects",
        "periods",
    ),
    "enrollments.csv": (
        "sourcedId",
        "classSourcedId",
        "schoolSourcedId",
        "userSourcedId",
        "role",
        "primary",
    ),
    "academicSessions.csv": ("sourcedId", "title", "type", "schoolYear"),
    "courses.csv": ("sourcedId", "title", "orgSourcedId"),
    "roles.csv": ("sourcedId", "userSourcedId", "roleType", "role", "orgSourcedId"),
    "manifest.csv": ("propertyName", "value"),
}


def user(uid: str, role: str, orgs: str = "s1", **fields: str) -> dict[str, str]:
    return {
        "sourcedId": uid,
        "enabledUser": "true",
        "orgSourcedIds": orgs,
        "role": role,
        "givenName": "F" + uid,
        "familyName": "L" + uid,
        **fields,
    }


def enrollment(eid: str, cls: str, uid: str, role: str, primary: str = "false") -> dict[str, str]:
    return {
        "sourcedId": eid,
        "classSourcedId": cls,
        "userSourcedId": uid,
        "role": role,
        "primary": primary,
    }


@dataclass
class District:
    """The rows of each file; `write` puts them on disk as a district's SIS would."""

    rows: dict[str, list[dict[str, str]]] = field(default_factory=dict)

    @classmethod
    def small(cls) -> District:
        return cls(
            {
                "orgs.csv": [
                    {"sourcedId": "d1", "name": "Springfield District", "type": "district"},
                    {"sourcedId": "s1", "name": "Lincoln", "type": "school", "identifier": "101"},
                    {"sourcedId": "s2", "name": "Adams", "type": "school"},
                ],
                "users.csv": [user("u1", "student"), user("u2", "teacher")],
                "classes.csv": [{"sourcedId": "c1", "title": "Math 3A", "schoolSourcedId": "s1"}],
                "enrollments.csv": [
                    enrollment("e1", "c1", "u1", "student"),
                    enrollment("e2", "c1", "u2", "teacher", "true"),
                ],
            }
        )

    def write(
        self,
        directory: Path,
        *,
        delimiter: str = ",",
        newline: str = "\n",
        bom: bool = False,
        headers: Mapping[str, Sequence[str]] | None = None,
    ) -> dict[str, Path]:
        directory.mkdir(parents=True, exist_ok=True)
        paths = {}
        for name, rows in self.rows.items():
            header = (headers or {}).get(name, HEADERS[name])
            text = csv_text(header, rows, delimiter=delimiter, newline=newline)
            paths[name] = directory / name
            paths[name].write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
        return paths

    def zip(self, path: Path, *, folder: str = "") -> Path:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, rows in self.rows.items():
                zf.writestr(folder + name, csv_text(HEADERS[name], rows))
        return path


def listing(directory: Path) -> list[str]:
    """The names in a directory (the workdir: what a reader left behind)."""
    return sorted(path.name for path in directory.iterdir())


def csv_text(
    header: Sequence[str], rows: Iterable[Row], *, delimiter: str = ",", newline: str = "\n"
) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline)
    writer.writerow(header)
    writer.writerows([row.get(column, "") for column in header] for row in rows)
    return out.getvalue()


@dataclass
class Drained:
    schools: list[SchoolRecord] = field(default_factory=list)
    users: list[UserRecord] = field(default_factory=list)
    sections: list[SectionRecord] = field(default_factory=list)
    rejected: list[RejectedRecord] = field(default_factory=list)

    def user(self, uid: str) -> UserRecord:
        return next(u for u in self.users if u.clever_id == uid)

    def section(self, cid: str) -> SectionRecord:
        return next(s for s in self.sections if s.clever_id == cid)

    def reasons(self, entity: str) -> dict[str, str]:
        return {r.clever_id: r.reason for r in self.rejected if r.entity == entity}


async def drain(source: RosterSource) -> Drained:
    """Every collection read to its end, concurrently, as the sync engine reads them."""
    drained = Drained()

    async def read(batches: AsyncIterator[Batch]) -> None:
        async for batch in batches:
            for record in batch:
                _sort(drained, record)

    await asyncio.gather(*(read(it) for it in source.collections().values()))
    return drained


def _sort(drained: Drained, record: object) -> None:
    if isinstance(record, SchoolRecord):
        drained.schools.append(record)
    elif isinstance(record, UserRecord):
        drained.users.append(record)
    elif isinstance(record, SectionRecord):
        drained.sections.append(record)
    else:
        assert isinstance(record, RejectedRecord)
        drained.rejected.append(record)


async def read_upload(
    upload: Path | Mapping[str, Path], workdir: Path, *, max_bytes: int = 100_000_000
) -> tuple[Drained, dict[str, int]]:
    """Open the upload and drain its source: the records, and what was skipped."""
    opened = await open_upload(upload, workdir=workdir, max_bytes=max_bytes)
    async with OneRosterSource(opened) as source:
        return await drain(source), dict(source.skipped)
