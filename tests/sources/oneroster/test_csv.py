"""Reading CSV as districts' systems write it, and refusing what is not CSV or not UTF-8."""

from __future__ import annotations

from pathlib import Path

import pytest

from rostersync.sources.oneroster import OneRosterError, OneRosterSource, Problem, open_upload
from tests.sources.oneroster.files import HEADERS, District, csv_text, drain, read_upload, user


def users_file(paths: dict[str, Path], text: str) -> None:
    paths["users.csv"].write_bytes(text.encode())


@pytest.mark.parametrize(
    ("options", "label"),
    [
        ({"bom": True}, "UTF-8 with a BOM"),
        ({"delimiter": ";"}, "semicolons"),
        ({"newline": "\r\n"}, "Windows line endings"),
        ({"delimiter": "\t", "newline": "\r\n", "bom": True}, "tabs, CRLF and a BOM"),
    ],
)
async def test_common_csv_dialects_read_alike(
    parts_dir: Path, workdir: Path, options: dict[str, object], label: str
) -> None:
    district = District.small()
    district.rows["users.csv"][1]["orgSourcedIds"] = "s1,s2"  # a list, unquoted with ";"

    drained, _ = await read_upload(district.write(parts_dir, **options), workdir)  # type: ignore[arg-type]

    assert [s.clever_id for s in drained.schools] == ["s1", "s2"], label
    assert drained.user("u2").school_clever_ids == ["s1", "s2"], label
    assert drained.user("u1").name_first == "Fu1", label
    assert drained.section("c1").teacher_clever_ids == ["u2"], label
    assert drained.rejected == [], label


async def test_header_names_tolerate_surrounding_whitespace(parts_dir: Path, workdir: Path) -> None:
    paths = District.small().write(parts_dir)
    header, *rows = paths["orgs.csv"].read_text().splitlines()
    spaced = ",".join(f" {name}  " for name in header.split(","))
    paths["orgs.csv"].write_text("\n".join([spaced, *rows]))

    drained, _ = await read_upload(paths, workdir)

    assert [s.name for s in drained.schools] == ["Lincoln", "Adams"]


async def test_a_quoted_line_break_keeps_later_line_numbers_right(
    parts_dir: Path, workdir: Path
) -> None:
    district = District.small()
    district.rows["users.csv"] = [
        user("u1", "student", familyName="Van\nDer Berg"),
        user("u2", "student", givenName=""),
    ]

    drained, _ = await read_upload(district.write(parts_dir), workdir)

    assert drained.user("u1").name_last == "Van\nDer Berg"
    assert drained.reasons("user") == {
        "u2": "users.csv line 4, column givenName: missing; every row needs a value here"
    }


async def test_blank_lines_are_skipped(parts_dir: Path, workdir: Path) -> None:
    paths = District.small().write(parts_dir)
    text = paths["users.csv"].read_text()
    header, first, second = text.splitlines()
    users_file(paths, f"{header}\n\n{first}\n,,,,,,,,,,,,\n\n{second}\n\n")

    drained, _ = await read_upload(paths, workdir)

    assert [u.clever_id for u in drained.users] == ["u1", "u2"]
    assert drained.rejected == []


async def test_a_row_with_more_values_than_the_header_is_rejected(
    parts_dir: Path, workdir: Path
) -> None:
    paths = District.small().write(parts_dir)
    header, first, second = paths["users.csv"].read_text().splitlines()
    users_file(paths, f"{header}\n{first}\n{second.replace('Fu2', 'Fu2,Jr')}\n")

    drained, _ = await read_upload(paths, workdir)

    assert [u.clever_id for u in drained.users] == ["u1"]
    assert drained.reasons("user") == {
        "u2": "users.csv line 3: has 14 values where the header has 13 columns; "
        "quote values that contain ',' or a line break"
    }
    assert [r.roles for r in drained.rejected] == [["teacher"]]


async def test_a_header_that_is_not_utf8_is_refused_when_opening(
    parts_dir: Path, workdir: Path
) -> None:
    paths = District.small().write(parts_dir)
    paths["orgs.csv"].write_bytes("sourcedId,name,type,Stra\u00dfe\n".encode("latin-1"))

    with pytest.raises(OneRosterError) as caught:
        await open_upload(paths, workdir=workdir, max_bytes=10**6)

    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.column) == ("orgs.csv", 1, None)
    assert problem.message.startswith("is not UTF-8 (byte 0xDF at position 25); save the file as")


async def test_a_utf16_file_is_refused_as_not_utf8(parts_dir: Path, workdir: Path) -> None:
    paths = District.small().write(parts_dir)
    paths["users.csv"].write_bytes(paths["users.csv"].read_text().encode("utf-16-le"))

    with pytest.raises(OneRosterError) as caught:
        await open_upload(paths, workdir=workdir, max_bytes=10**6)

    (problem,) = caught.value.problems
    assert (problem.file, problem.line) == ("users.csv", 1)
    assert problem.message.startswith("is not UTF-8 (byte 0x00 at position 2)")


async def test_a_row_that_is_not_utf8_fails_the_collections_with_line_and_column(
    parts_dir: Path, workdir: Path
) -> None:
    district = District.small()
    district.rows["users.csv"].append(user("u3", "student", givenName="Zo\u00eb"))
    paths = district.write(parts_dir)
    text = csv_text(HEADERS["users.csv"], district.rows["users.csv"])
    paths["users.csv"].write_bytes(text.encode("latin-1"))  # a cp1252/latin-1 export
    upload = await open_upload(paths, workdir=workdir, max_bytes=10**6)

    async with OneRosterSource(upload) as source:
        with pytest.raises(OneRosterError) as caught:
            await drain(source)

    assert caught.value.problems == [
        Problem(
            "users.csv",
            4,
            "givenName",
            "is not UTF-8 (byte 0xEB at position 25); save the file as UTF-8 "
            "(Excel: 'CSV UTF-8') and upload it again",
        )
    ]


async def test_a_line_that_never_ends_is_refused(parts_dir: Path, workdir: Path) -> None:
    paths = District.small().write(parts_dir)
    with paths["enrollments.csv"].open("a") as out:
        out.write("e9," + "x" * (1 << 20) + "\n")
    upload = await open_upload(paths, workdir=workdir, max_bytes=10**7)

    async with OneRosterSource(upload) as source:
        with pytest.raises(OneRosterError) as caught:
            await drain(source)

    assert [(p.file, p.line) for p in caught.value.problems] == [("enrollments.csv", 4)]
    assert "is longer than 1 MiB" in caught.value.message
