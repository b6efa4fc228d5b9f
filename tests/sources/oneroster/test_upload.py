"""Opening an upload: files found, sizes bounded, zips distrusted, headers checked."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from rostersync.sources.oneroster import OneRosterError, Problem, open_upload
from tests.sources.oneroster.files import District, csv_text, listing, read_upload


async def refused(upload: Path | dict[str, Path], workdir: Path, **limits: int) -> OneRosterError:
    with pytest.raises(OneRosterError) as caught:
        await open_upload(
            upload, workdir=workdir, max_bytes=limits.pop("max_bytes", 10**8), **limits
        )
    return caught.value


async def test_parts_are_matched_by_file_name_in_any_case_and_extras_are_noted(
    parts_dir: Path, workdir: Path
) -> None:
    paths = District.small().write(parts_dir)
    (parts_dir / "demographics.csv").write_text("sourcedId\n")
    parts = {"ORGS.CSV": paths["orgs.csv"], "export\\Users.csv": paths["users.csv"]}
    parts |= {"classes.csv": paths["classes.csv"], "enrollments.csv": paths["enrollments.csv"]}
    parts["demographics.csv"] = parts_dir / "demographics.csv"

    upload = await open_upload(parts, workdir=workdir, max_bytes=10_000)

    assert sorted(upload.files) == ["classes.csv", "enrollments.csv", "orgs.csv", "users.csv"]
    assert upload.ignored == ("demographics.csv",)
    assert upload.files["users.csv"].path == paths["users.csv"]


async def test_zip_in_a_folder_is_read(tmp_path: Path, workdir: Path) -> None:
    archive = District.small().zip(tmp_path / "roster.zip", folder="export-2026/")

    drained, _ = await read_upload(archive, workdir)

    assert [s.clever_id for s in drained.schools] == ["s1", "s2"]
    assert [u.clever_id for u in drained.users] == ["u1", "u2"]
    assert drained.section("c1").student_clever_ids == ["u1"]


async def test_missing_required_files_are_each_named(parts_dir: Path, workdir: Path) -> None:
    paths = District.small().write(parts_dir)
    del paths["classes.csv"], paths["enrollments.csv"]

    error = await refused(paths, workdir)

    assert [(p.file, p.line, p.column) for p in error.problems] == [
        ("classes.csv", None, None),
        ("enrollments.csv", None, None),
    ]
    assert error.status_code == 422
    assert "classes.csv: is missing" in error.message


async def test_missing_column_is_named_with_its_file(parts_dir: Path, workdir: Path) -> None:
    header = ("sourcedId", "status", "name", "Type")
    paths = District.small().write(parts_dir, headers={"orgs.csv": header})

    error = await refused(paths, workdir)

    assert error.problems == [
        Problem(
            "orgs.csv",
            1,
            "type",
            "missing from the header (found 'Type': column names are case-sensitive); "
            "add the column",
        )
    ]
    assert error.extra["problems"][0]["column"] == "type"


async def test_users_without_a_role_column_need_roles_csv(parts_dir: Path, workdir: Path) -> None:
    header = ("sourcedId", "orgSourcedIds", "givenName", "familyName")
    paths = District.small().write(parts_dir, headers={"users.csv": header})

    error = await refused(paths, workdir)

    assert [(p.file, p.column) for p in error.problems] == [("users.csv", "role")]
    assert "or upload roles.csv" in error.message


async def test_a_column_given_twice_is_refused(parts_dir: Path, workdir: Path) -> None:
    header = ("sourcedId", "name", "type", "name")
    paths = District.small().write(parts_dir, headers={"orgs.csv": header})

    error = await refused(paths, workdir)

    assert error.problems == [
        Problem("orgs.csv", 1, "name", "appears twice in the header; keep one")
    ]


async def test_an_empty_file_is_refused(parts_dir: Path, workdir: Path) -> None:
    paths = District.small().write(parts_dir)
    paths["classes.csv"].write_bytes(b"\xef\xbb\xbf\r\n")

    error = await refused(paths, workdir)

    assert [(p.file, p.line) for p in error.problems] == [("classes.csv", None)]
    assert "is empty" in error.message


async def test_parts_over_the_size_limit_are_refused(parts_dir: Path, workdir: Path) -> None:
    paths = District.small().write(parts_dir)
    paths["users.csv"].write_text(csv_text(["sourcedId"], [{"sourcedId": "u" * 2000}]))

    error = await refused(paths, workdir, max_bytes=1500)

    assert error.status_code == 413
    assert error.problems[0].file == "users.csv"
    assert "limited to 1,500 bytes" in error.message


async def test_a_zip_over_the_size_limit_is_refused(tmp_path: Path, workdir: Path) -> None:
    archive = District.small().zip(tmp_path / "roster.zip")

    error = await refused(archive, workdir, max_bytes=archive.stat().st_size - 1)

    assert error.status_code == 413
    assert error.problems[0].file == "roster.zip"


async def test_a_zip_whose_files_expand_past_the_limit_is_refused(
    tmp_path: Path, workdir: Path
) -> None:
    district = District.small()
    district.rows["users.csv"] *= 200  # compresses far below the limit, expands above it
    archive = district.zip(tmp_path / "roster.zip")

    error = await refused(archive, workdir, max_bytes=5_000)

    assert error.status_code == 413
    assert "expand to" in error.message


@pytest.mark.parametrize(
    "entry", ["../users.csv", "/etc/users.csv", "C:/temp/users.csv", "a\\..\\..\\users.csv"]
)
async def test_a_zip_entry_outside_the_archive_is_refused(
    tmp_path: Path, workdir: Path, entry: str
) -> None:
    archive = District.small().zip(tmp_path / "roster.zip")
    with zipfile.ZipFile(archive, "a") as zf:
        zf.writestr(zipfile.ZipInfo(entry), "sourcedId\n")

    error = await refused(archive, workdir)

    assert [p.file for p in error.problems] == [entry]
    assert not (tmp_path / "users.csv").exists()
    assert listing(workdir) == []  # nothing was extracted


async def test_a_zip_symlink_entry_is_refused(tmp_path: Path, workdir: Path) -> None:
    archive = District.small().zip(tmp_path / "roster.zip")
    link = zipfile.ZipInfo("courses.csv")
    link.external_attr = (0o120777 << 16) | 0x20
    with zipfile.ZipFile(archive, "a") as zf:
        zf.writestr(link, "/etc/passwd")

    error = await refused(archive, workdir)

    assert error.problems == [
        Problem("courses.csv", None, None, "is a symbolic link; zip the files themselves")
    ]


async def test_a_zip_bomb_is_refused(tmp_path: Path, workdir: Path) -> None:
    archive = District.small().zip(tmp_path / "roster.zip")
    with zipfile.ZipFile(archive, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("courses.csv", "sourcedId,title\n" + "," * 8_000_000)  # ~1000:1

    error = await refused(archive, workdir, max_bytes=100_000_000, max_ratio=100)

    assert error.status_code == 413
    assert error.problems[0].file == "courses.csv"
    assert "expands more than 100 times" in error.message
    assert (workdir / "courses.csv").stat().st_size < 2_000_000  # stopped early


async def test_a_zip_that_lies_about_sizes_is_refused(tmp_path: Path, workdir: Path) -> None:
    archive = District.small().zip(tmp_path / "roster.zip")
    with zipfile.ZipFile(archive, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("courses.csv", "sourcedId,title\n" + "c,Math\n" * 100_000)
    data = bytearray(archive.read_bytes())
    central = data.rindex(b"courses.csv") - 46  # its central directory entry (read last)
    assert data[central : central + 4] == b"PK\x01\x02"
    data[central + 24 : central + 28] = (100).to_bytes(4, "little")  # "100 bytes, honest"
    archive.write_bytes(bytes(data))

    error = await refused(archive, workdir, max_bytes=100_000)

    assert error.problems[0].file == "roster.zip"
    assert "not a zip archive we can read" in error.message


async def test_a_zip_with_an_unbounded_compression_method_is_refused(
    tmp_path: Path, workdir: Path
) -> None:
    archive = District.small().zip(tmp_path / "roster.zip")
    with zipfile.ZipFile(archive, "a", zipfile.ZIP_BZIP2) as zf:
        zf.writestr("courses.csv", "sourcedId,title\n")

    error = await refused(archive, workdir)

    assert [p.file for p in error.problems] == ["courses.csv"]
    assert "compression method" in error.message


async def test_a_file_that_is_not_a_zip_is_refused(tmp_path: Path, workdir: Path) -> None:
    archive = tmp_path / "roster.zip"
    archive.write_text("sourcedId,name\n")

    error = await refused(archive, workdir)

    assert error.problems[0].file == "roster.zip"
    assert error.status_code == 422


async def test_a_manifest_announcing_delta_files_is_refused(parts_dir: Path, workdir: Path) -> None:
    district = District.small()
    district.rows["manifest.csv"] = [
        {"propertyName": "manifest.version", "value": "1.0"},
        {"propertyName": "file.users", "value": "delta"},
        {"propertyName": "file.courses", "value": "bulk"},
        {"propertyName": "file.demographics", "value": "bulk"},
    ]

    error = await refused(district.write(parts_dir), workdir)

    assert [(p.file, p.line, p.column) for p in error.problems] == [
        ("manifest.csv", 3, "value"),
        ("manifest.csv", 4, "value"),
    ]
    assert "file.users is 'delta'; upload a bulk export" in error.message
    assert "file.courses is 'bulk' but the upload has no courses.csv" in error.message


async def test_an_upload_of_headers_only_is_valid_and_yields_nothing(
    parts_dir: Path, workdir: Path
) -> None:
    district = District({name: [] for name in District.small().rows})

    drained, skipped = await read_upload(district.write(parts_dir), workdir)

    assert (drained.schools, drained.users, drained.sections, drained.rejected) == ([], [], [], [])
    assert skipped == {}
