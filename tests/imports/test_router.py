"""POST /districts/{code}/imports: who may upload, what is accepted, what is refused and how."""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from sqlalchemy import select

from rostersync.config import Settings
from rostersync.db import Database
from rostersync.districts.models import District
from rostersync.roster.models import User
from tests.imports.conftest import (
    UPLOAD_LIMIT,
    add_district,
    parts,
    run_count,
    stored_chunks,
    work,
)
from tests.sources.oneroster.files import HEADERS, csv_text, user
from tests.sources.oneroster.files import District as Files
from tests.syncs.conftest import bearer, roster_dump

URL = "/districts/SELFSERV/imports"


async def emails(database: Database) -> dict[str, str | None]:
    async with database.sessionmaker() as session:
        rows = await session.execute(select(User.clever_id, User.email))
        return dict(rows.all())


async def test_multipart_upload_queues_an_upload_run_that_a_worker_imports(
    api: httpx.AsyncClient,
    database: Database,
    settings: Settings,
    owner: dict[str, str],
    tmp_path: Path,
) -> None:
    files = Files.small()
    files.rows["users.csv"][0]["email"] = "Ana.Lopez@Springfield.K12.us"
    files.rows["users.csv"].append(user("p1", "parent"))
    response = await api.post(URL, headers=owner, files=parts(files.write(tmp_path / "csv")))

    assert response.status_code == 202, response.text
    queued = response.json()
    assert (queued["trigger"], queued["started_by"], queued["status"]) == (
        "upload",
        "admin",
        "queued",
    )
    run_id = uuid.UUID(queued["id"])
    assert await stored_chunks(database, run_id) > 0

    run = await work(database, settings, run_id)
    assert run.status == "successful", run.error
    assert run.counts["students"]["created"] == 1
    assert run.counts["teachers"]["created"] == 1
    assert run.counts["schools"]["created"] == 2
    assert run.counts["enrollments"]["created"] == 2
    assert run.skipped == {"users.csv: role parent": 1, "orgs.csv: type district": 1}
    assert await emails(database) == {"u1": "ana.lopez@springfield.k12.us", "u2": None}
    # The files were only kept until the run ended.
    assert await stored_chunks(database) == 0

    seen = await api.get(f"/syncs/{run_id}", headers=owner)
    assert seen.json()["skipped"] == run.skipped


async def test_a_zip_body_and_a_zip_part_are_both_accepted(
    api: httpx.AsyncClient,
    database: Database,
    settings: Settings,
    owner: dict[str, str],
    tmp_path: Path,
) -> None:
    archive = Files.small().zip(tmp_path / "roster.zip", folder="export/")
    body = await api.post(
        URL,
        headers={**owner, "Content-Type": "application/zip"},
        content=archive.read_bytes(),
    )
    assert body.status_code == 202, body.text
    first = await work(database, settings, uuid.UUID(body.json()["id"]))
    assert first.status == "successful", first.error

    part = await api.post(
        URL, headers=owner, files={"file": ("roster.zip", archive.read_bytes(), "application/zip")}
    )
    assert part.status_code == 202, part.text
    second = await work(database, settings, uuid.UUID(part.json()["id"]))
    assert second.status == "successful", second.error
    assert second.counts["students"]["unchanged"] == 1  # the same roster, nothing written


async def test_bom_semicolons_and_crlf_import_like_plain_csv(
    api: httpx.AsyncClient,
    database: Database,
    settings: Settings,
    owner: dict[str, str],
    tmp_path: Path,
) -> None:
    written = Files.small().write(tmp_path / "excel", delimiter=";", newline="\r\n", bom=True)
    response = await api.post(URL, headers=owner, files=parts(written))
    assert response.status_code == 202, response.text
    run = await work(database, settings, uuid.UUID(response.json()["id"]))
    assert run.status == "successful", run.error
    assert run.counts["students"]["created"] == 1
    assert run.counts["enrollments"]["created"] == 2


def problems_of(response: httpx.Response) -> list[tuple[str | None, int | None, str | None]]:
    return [(p["file"], p["line"], p["column"]) for p in response.json()["problems"]]


async def test_missing_files_and_columns_are_listed_and_nothing_is_queued(
    api: httpx.AsyncClient,
    database: Database,
    owner: dict[str, str],
    tmp_path: Path,
) -> None:
    files = Files.small()
    del files.rows["enrollments.csv"]
    headers = {"users.csv": [c for c in HEADERS["users.csv"] if c != "familyName"]}
    written = files.write(tmp_path / "csv", headers=headers)
    response = await api.post(URL, headers=owner, files=parts(written))

    assert response.status_code == 422
    assert set(problems_of(response)) == {
        ("users.csv", 1, "familyName"),
        ("enrollments.csv", None, None),
    }
    assert "familyName" in response.json()["detail"]
    assert await run_count(database) == 0
    assert await stored_chunks(database) == 0


async def test_a_header_that_is_not_utf8_is_refused_with_its_place(
    api: httpx.AsyncClient, database: Database, owner: dict[str, str], tmp_path: Path
) -> None:
    written = Files.small().write(tmp_path / "csv")
    users = written["users.csv"]
    users.write_bytes(users.read_bytes().replace(b"givenName", b"given\xe9Name", 1))
    response = await api.post(URL, headers=owner, files=parts(written))
    assert response.status_code == 422
    (problem,) = response.json()["problems"]
    assert (problem["file"], problem["line"]) == ("users.csv", 1)
    assert "UTF-8" in problem["message"]
    assert await run_count(database) == 0


async def test_an_upload_over_the_limit_is_refused_with_413_declared_or_streamed(
    api: httpx.AsyncClient, database: Database, owner: dict[str, str], tmp_path: Path
) -> None:
    files = Files.small()
    files.rows["users.csv"] += [user(f"x{n}", "student") for n in range(UPLOAD_LIMIT // 40)]
    written = files.write(tmp_path / "big")
    assert sum(p.stat().st_size for p in written.values()) > UPLOAD_LIMIT

    declared = await api.post(URL, headers=owner, files=parts(written))
    assert declared.status_code == 413
    assert "UPLOAD_MAX_BYTES" in declared.json()["detail"] or declared.json()["problems"]

    too_long = b"x" * (UPLOAD_LIMIT + (2 << 20))

    async def chunked() -> AsyncIterator[bytes]:
        for start in range(0, len(too_long), 1 << 16):
            yield too_long[start : start + (1 << 16)]

    streamed = await api.post(
        URL, headers={**owner, "Content-Type": "application/zip"}, content=chunked()
    )
    assert streamed.status_code == 413
    assert "UPLOAD_MAX_BYTES" in streamed.json()["detail"]
    assert await run_count(database) == 0


async def test_a_zip_bomb_and_a_zip_slip_are_refused(
    api: httpx.AsyncClient, database: Database, owner: dict[str, str], tmp_path: Path
) -> None:
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, rows in Files.small().rows.items():
            padding = "\n" * (UPLOAD_LIMIT * 4) if name == "users.csv" else ""
            zf.writestr(name, csv_text(HEADERS[name], rows) + padding)
    assert len(bomb.getvalue()) < UPLOAD_LIMIT  # small on the wire, huge unzipped
    refused = await api.post(
        URL, headers={**owner, "Content-Type": "application/zip"}, content=bomb.getvalue()
    )
    assert refused.status_code in (413, 422)
    assert refused.json()["problems"]

    slip = io.BytesIO()
    with zipfile.ZipFile(slip, "w") as zf:
        zf.writestr("../../etc/orgs.csv", "sourcedId,name,type\n")
    escaped = await api.post(
        URL, headers={**owner, "Content-Type": "application/zip"}, content=slip.getvalue()
    )
    assert escaped.status_code == 422
    assert any(p["file"] == "../../etc/orgs.csv" for p in escaped.json()["problems"])
    assert not (tmp_path.parent / "etc").exists()
    assert await run_count(database) == 0


async def test_requests_that_are_not_uploads_get_a_clear_error(
    api: httpx.AsyncClient, database: Database, owner: dict[str, str], tmp_path: Path
) -> None:
    as_json = await api.post(URL, headers=owner, json={"users": []})
    assert as_json.status_code == 415
    assert "multipart/form-data" in as_json.json()["detail"]

    form = await api.post(URL, headers=owner, data={"note": "hello"})
    assert form.status_code == 415
    fields_only = (
        b'--xyz\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n--xyz--\r\n'
    )
    no_files = await api.post(
        URL,
        headers={**owner, "Content-Type": "multipart/form-data; boundary=xyz"},
        content=fields_only,
    )
    assert no_files.status_code == 422
    assert "orgs.csv" in no_files.json()["detail"]

    written = Files.small().write(tmp_path / "csv")
    archive = Files.small().zip(tmp_path / "roster.zip")
    mixed = [*parts(written), ("file", ("roster.zip", archive.read_bytes(), "application/zip"))]
    both = await api.post(URL, headers=owner, files=mixed)
    assert both.status_code == 422
    assert "roster.zip" in both.json()["detail"]

    twice = [
        *parts(written),
        ("again", ("users.csv", written["users.csv"].read_bytes(), "text/csv")),
    ]
    repeated = await api.post(URL, headers=owner, files=twice)
    assert repeated.status_code == 422
    assert "second users.csv" in repeated.json()["detail"]

    garbage = await api.post(
        URL,
        headers={**owner, "Content-Type": "multipart/form-data; boundary=xyz"},
        content=b"--xyz\r\nnot a part",
    )
    assert garbage.status_code == 400
    assert await run_count(database) == 0


async def test_who_may_upload_and_for_which_district(
    api: httpx.AsyncClient,
    database: Database,
    owner: dict[str, str],
    operator_headers: dict[str, str],
    tmp_path: Path,
) -> None:
    files = parts(Files.small().write(tmp_path / "csv"))
    api.cookies.clear()  # signing in left a session cookie
    anonymous = await api.post(URL, files=files)
    assert anonymous.status_code == 401, anonymous.text

    other = await add_district(database, "OTHER")
    other_owner = await bearer(api, database, other)
    hidden = await api.post(URL, headers=other_owner, files=files)
    assert hidden.status_code == 404  # another district's is invisible, not forbidden

    clever = await add_district(database, "CLEVERSD", source="clever")
    assert clever.source == "clever"
    refused = await api.post("/districts/CLEVERSD/imports", headers=operator_headers, files=files)
    assert refused.status_code == 409
    assert "oneroster_csv" in refused.json()["detail"]

    by_operator = await api.post(URL, headers=operator_headers, files=files)
    assert by_operator.status_code == 202, by_operator.text
    busy = await api.post(URL, headers=owner, files=files)
    assert busy.status_code == 409
    assert busy.json()["active_sync_id"] == by_operator.json()["id"]
    assert await run_count(database) == 1


async def test_a_paused_district_cannot_upload(
    api: httpx.AsyncClient,
    database: Database,
    district: District,
    owner: dict[str, str],
    operator_headers: dict[str, str],
    tmp_path: Path,
) -> None:
    paused = await api.patch(
        f"/districts/{district.code}", headers=operator_headers, json={"status": "paused"}
    )
    assert paused.status_code == 200
    response = await api.post(URL, headers=owner, files=parts(Files.small().write(tmp_path)))
    assert response.status_code == 409
    assert "paused" in response.json()["detail"]
    assert await roster_dump(database) == [[], [], [], []]


async def test_the_upload_route_is_documented_with_its_bodies_and_errors(
    api: httpx.AsyncClient,
) -> None:
    schema = (await api.get("/openapi.json")).json()
    route = schema["paths"]["/districts/{code}/imports"]["post"]
    assert set(route["requestBody"]["content"]) == {"multipart/form-data", "application/zip"}
    assert {"202", "409", "413", "415", "422"} <= set(route["responses"])
    example = route["responses"]["422"]["content"]["application/json"]["example"]
    assert example["problems"][0].keys() == {"file", "line", "column", "message"}


async def test_sync_now_on_an_upload_district_says_to_upload_instead(
    api: httpx.AsyncClient, owner: dict[str, str]
) -> None:
    response = await api.post("/syncs", headers=owner, json={})
    assert response.status_code == 409
    assert "POST /districts/SELFSERV/imports" in response.json()["detail"]
