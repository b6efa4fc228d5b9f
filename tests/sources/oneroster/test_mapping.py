"""OneRoster rows -> roster records: every field, every skip, every rejection's file/line/column."""

from __future__ import annotations

from pathlib import Path

from rostersync.roster.records import RejectedRecord, SchoolRecord, SectionRecord, UserRecord
from tests.sources.oneroster.files import District, enrollment, read_upload, user


def full_district() -> District:
    return District(
        {
            "orgs.csv": [
                {"sourcedId": "d1", "name": "Springfield District", "type": "district"},
                {
                    "sourcedId": "s1",
                    "name": " Lincoln Elementary ",
                    "type": "School",
                    "identifier": "101",
                },
                {"sourcedId": "s2", "name": "Adams Middle", "type": "school"},
            ],
            "academicSessions.csv": [
                {"sourcedId": "t1", "title": "Fall 2026", "type": "semester"},
                {"sourcedId": "t2", "title": "Spring 2027", "type": "semester"},
            ],
            "courses.csv": [{"sourcedId": "co1", "title": "Math 3"}],
            "users.csv": [
                user(
                    "u1",
                    "student",
                    givenName="Ada",
                    middleName="K",
                    familyName="Lovelace",
                    identifier="S-001",
                    email=" Ada@School.Example ",
                    grades="03",
                ),
                user(
                    "u2",
                    "Teacher",
                    "s1, s2",
                    givenName="Grace",
                    familyName="Hopper",
                    identifier="T-002",
                    email="grace@school.example",
                    grades="03,04",
                ),
                user(
                    "u3",
                    "administrator",
                    "d1,s2",
                    givenName="Alan",
                    familyName="Turing",
                    identifier="A-3",
                ),
                user("u4", "parent"),
                user("u5", "student", enabledUser="FALSE"),
            ],
            "classes.csv": [
                {
                    "sourcedId": "c1",
                    "title": "Math 3A",
                    "classCode": "M3A",
                    "schoolSourcedId": "s1",
                    "courseSourcedId": "co1",
                    "termSourcedIds": "t1,t2",
                    "periods": "2",
                    "subjects": "Math",
                    "grades": "03",
                }
            ],
            "enrollments.csv": [
                enrollment("e1", "c1", "u1", "student"),
                enrollment("e2", "c1", "u2", "teacher", "TRUE"),
                enrollment("e3", "c1", "u5", "student"),
                enrollment("e4", "c1", "u3", "administrator"),
            ],
        }
    )


async def test_every_field_is_mapped(parts_dir: Path, workdir: Path) -> None:
    drained, skipped = await read_upload(full_district().write(parts_dir), workdir)

    assert drained.schools == [
        SchoolRecord("s1", "Lincoln Elementary", school_number="101"),
        SchoolRecord("s2", "Adams Middle"),
    ]
    assert drained.users == [
        UserRecord(
            "u1",
            ["student"],
            "Ada",
            "K",
            "Lovelace",
            email="ada@school.example",
            student_number="S-001",
            grade="03",
            school_clever_ids=["s1"],
        ),
        UserRecord(
            "u2",
            ["teacher"],
            "Grace",
            None,
            "Hopper",
            email="grace@school.example",
            teacher_number="T-002",
            school_clever_ids=["s1", "s2"],
        ),
        UserRecord(
            "u3", ["staff"], "Alan", None, "Turing", staff_id="A-3", school_clever_ids=["s2"]
        ),
    ]
    assert drained.sections == [
        SectionRecord(
            "c1",
            "s1",
            "Math 3A",
            section_number="M3A",
            subject="Math",
            grade="03",
            period="2",
            term_name="Fall 2026, Spring 2027",
            course_name="Math 3",
            student_clever_ids=["u1"],
            teacher_clever_ids=["u2"],
            primary_teacher_clever_id="u2",
        )
    ]
    assert drained.rejected == []
    assert skipped == {
        "orgs.csv: type district": 1,
        "users.csv: role parent": 1,
        "users.csv: enabledUser false": 1,
        "enrollments.csv: user with enabledUser false": 1,
        "enrollments.csv: role administrator": 1,
    }


async def test_unknown_role_is_rejected_with_file_line_and_column(
    parts_dir: Path, workdir: Path
) -> None:
    district = District.small()
    district.rows["users.csv"].append(user("u3", "princpal"))

    drained, _ = await read_upload(district.write(parts_dir), workdir)

    assert drained.rejected == [
        RejectedRecord(
            "user",
            "u3",
            "users.csv line 4, column role: unknown role 'princpal'; "
            "use student, teacher or administrator",
        )
    ]


async def test_user_pointing_at_an_unknown_org_is_rejected(parts_dir: Path, workdir: Path) -> None:
    district = District.small()
    district.rows["users.csv"].append(user("u3", "teacher", "s1,s9"))

    drained, _ = await read_upload(district.write(parts_dir), workdir)

    assert drained.rejected == [
        RejectedRecord(
            "user",
            "u3",
            "users.csv line 4, column orgSourcedIds: unknown org 's9'; it is not in orgs.csv",
            ["teacher"],
        )
    ]


async def test_repeated_sourced_ids_keep_the_first_row(parts_dir: Path, workdir: Path) -> None:
    district = District.small()
    district.rows["orgs.csv"].append({"sourcedId": "s1", "name": "Lincoln again", "type": "school"})
    district.rows["users.csv"].append(user("u1", "teacher", givenName="Other"))
    district.rows["classes.csv"].append(
        {"sourcedId": "c1", "title": "Again", "schoolSourcedId": "s2"}
    )
    district.rows["enrollments.csv"].append(enrollment("e1", "c1", "u2", "student"))

    drained, _ = await read_upload(district.write(parts_dir), workdir)

    assert [(s.clever_id, s.name) for s in drained.schools] == [("s1", "Lincoln"), ("s2", "Adams")]
    assert drained.user("u1").name_first == "Fu1"
    assert drained.section("c1").name == "Math 3A"
    assert drained.section("c1").student_clever_ids == ["u1"]
    keep = "the first row is kept, remove or renumber this one"
    assert sorted((r.entity, r.clever_id, r.reason) for r in drained.rejected) == [
        (
            "enrollment",
            "e1",
            f"enrollments.csv line 4, column sourcedId: 'e1' repeats line 2; {keep}",
        ),
        ("school", "s1", f"orgs.csv line 5, column sourcedId: 's1' repeats line 3; {keep}"),
        ("section", "c1", f"classes.csv line 3, column sourcedId: 'c1' repeats line 2; {keep}"),
        ("user", "u1", f"users.csv line 4, column sourcedId: 'u1' repeats line 2; {keep}"),
    ]


async def test_a_user_without_names_is_rejected_with_their_role(
    parts_dir: Path, workdir: Path
) -> None:
    district = District.small()
    district.rows["users.csv"].append(user("u3", "administrator", givenName="", familyName=" "))

    drained, _ = await read_upload(district.write(parts_dir), workdir)

    assert drained.rejected == [
        RejectedRecord(
            "user",
            "u3",
            "users.csv line 4, column givenName, familyName: missing; every row needs a value here",
            ["staff"],
        )
    ]


async def test_an_email_that_is_no_address_is_kept_raw_not_used(
    parts_dir: Path, workdir: Path
) -> None:
    district = District.small()
    district.rows["users.csv"][0]["email"] = "ada at school"

    drained, _ = await read_upload(district.write(parts_dir), workdir)

    assert (drained.user("u1").email, drained.user("u1").email_raw) == (None, "ada at school")


async def test_a_value_too_long_for_the_roster_is_rejected(parts_dir: Path, workdir: Path) -> None:
    district = District.small()
    district.rows["users.csv"][0]["grades"] = "G" * 40
    district.rows["classes.csv"][0]["subjects"] = "S" * 101

    drained, _ = await read_upload(district.write(parts_dir), workdir)

    assert drained.reasons("user") == {
        "u1": "users.csv line 2, column grades: 40 characters, at most 32; shorten it"
    }
    assert drained.reasons("section") == {
        "c1": "classes.csv line 2, column subjects: 101 characters, at most 100; shorten it"
    }


async def test_an_unknown_org_type_is_rejected(parts_dir: Path, workdir: Path) -> None:
    district = District.small()
    district.rows["orgs.csv"].append({"sourcedId": "s3", "name": "Typo", "type": "shcool"})

    drained, _ = await read_upload(district.write(parts_dir), workdir)

    assert drained.reasons("school") == {
        "s3": "orgs.csv line 5, column type: unknown org type 'shcool'; "
        "use school, district, department, local, state, national"
    }


async def test_a_class_must_name_a_school_in_orgs_csv(parts_dir: Path, workdir: Path) -> None:
    district = District.small()
    district.rows["classes.csv"] += [
        {"sourcedId": "c2", "title": "Lost", "schoolSourcedId": "s9"},
        {"sourcedId": "c3", "title": "District-wide", "schoolSourcedId": "d1"},
        {"sourcedId": "c4", "title": "", "schoolSourcedId": "s1"},
    ]
    district.rows["enrollments.csv"].append(enrollment("e3", "c2", "u1", "student"))

    drained, skipped = await read_upload(district.write(parts_dir), workdir)

    assert [s.clever_id for s in drained.sections] == ["c1"]
    assert drained.reasons("section") == {
        "c2": "classes.csv line 3, column schoolSourcedId: org 's9' is not in orgs.csv; "
        "name the class's school",
        "c3": "classes.csv line 4, column schoolSourcedId: org 'd1' is a district, not a "
        "school; name the class's school",
        "c4": "classes.csv line 5, column title: missing; every row needs a value here",
    }
    assert skipped["enrollments.csv: class rejected"] == 1


async def test_bad_enrollments_are_rejected_and_the_rest_kept(
    parts_dir: Path, workdir: Path
) -> None:
    district = District.small()
    district.rows["users.csv"].append(user("u3", "teacher"))
    district.rows["enrollments.csv"] += [
        enrollment("e3", "c9", "u1", "student"),
        enrollment("e4", "c1", "u9", "student"),
        enrollment("e5", "c1", "u1", "learner"),
        enrollment("e6", "c1", "u3", "teacher", "true"),
        enrollment("", "c1", "u1", "student"),
    ]

    drained, _ = await read_upload(district.write(parts_dir), workdir)

    section = drained.section("c1")
    assert (section.student_clever_ids, section.teacher_clever_ids) == (["u1"], ["u2", "u3"])
    assert section.primary_teacher_clever_id == "u2"  # the first primary teacher listed
    assert sorted(drained.reasons("enrollment").items()) == [
        (
            "(missing sourcedId)",
            "enrollments.csv line 8, column sourcedId: missing; every row needs a value here",
        ),
        (
            "e3",
            "enrollments.csv line 4, column classSourcedId: unknown class 'c9'; "
            "it is not in classes.csv",
        ),
        (
            "e4",
            "enrollments.csv line 5, column userSourcedId: unknown user 'u9'; "
            "it is not in users.csv",
        ),
        (
            "e5",
            "enrollments.csv line 6, column role: unknown role 'learner'; use student or teacher",
        ),
    ]


def oneroster_12() -> District:
    district = District.small()
    for row in district.rows["users.csv"]:
        del row["role"], row["orgSourcedIds"]
    district.rows["users.csv"] += [
        {"sourcedId": "u3", "givenName": "Both", "familyName": "Ways", "identifier": "X-3"},
        {"sourcedId": "u4", "givenName": "Dana", "familyName": "Admin"},
        {"sourcedId": "u5", "givenName": "Pat", "familyName": "Parent"},
        {"sourcedId": "u6", "givenName": "No", "familyName": "Role"},
        {"sourcedId": "u7", "givenName": "Typo", "familyName": "Role"},
    ]
    district.rows["roles.csv"] = [
        {"userSourcedId": "u1", "roleType": "primary", "role": "student", "orgSourcedId": "s1"},
        {"userSourcedId": "u2", "roleType": "primary", "role": "teacher", "orgSourcedId": "s1"},
        {"userSourcedId": "u3", "roleType": "primary", "role": "teacher", "orgSourcedId": "s2"},
        {"userSourcedId": "u3", "roleType": "secondary", "role": "principal", "orgSourcedId": "s1"},
        {
            "userSourcedId": "u4",
            "roleType": "primary",
            "role": "districtAdministrator",
            "orgSourcedId": "d1",
        },
        {"userSourcedId": "u5", "roleType": "primary", "role": "guardian", "orgSourcedId": "s1"},
        {"userSourcedId": "u7", "roleType": "primary", "role": "teacher", "orgSourcedId": "s1"},
        {"userSourcedId": "u7", "roleType": "secondary", "role": "janitor", "orgSourcedId": "s1"},
        {"userSourcedId": "u8", "roleType": "primary", "role": "student", "orgSourcedId": "s1"},
    ]
    return district


async def test_oneroster_12_roles_give_every_role_and_school(
    parts_dir: Path, workdir: Path
) -> None:
    users_header = ("sourcedId", "enabledUser", "givenName", "familyName", "identifier", "email")
    paths = oneroster_12().write(parts_dir, headers={"users.csv": users_header})

    drained, skipped = await read_upload(paths, workdir)

    assert [(u.clever_id, u.roles, u.school_clever_ids) for u in drained.users] == [
        ("u1", ["student"], ["s1"]),
        ("u2", ["teacher"], ["s1"]),
        ("u3", ["teacher", "staff"], ["s1", "s2"]),
        ("u4", ["district_admin"], []),
    ]
    both = drained.user("u3")
    assert (both.teacher_number, both.staff_id, both.student_number) == ("X-3", "X-3", None)
    assert skipped["roles.csv: role guardian"] == 1
    assert drained.rejected == [
        RejectedRecord(
            "user",
            "u6",
            "users.csv line 7, column sourcedId: no row of roles.csv names this user; "
            "add their role there",
        ),
        RejectedRecord(
            "user",
            "u7",
            "roles.csv line 9, column role: unknown role 'janitor'; "
            "use student, teacher or administrator",
            ["teacher"],
        ),
        RejectedRecord(
            "user",
            "u8",
            "roles.csv line 10, column userSourcedId: unknown user 'u8'; it is not in users.csv",
            ["student"],
        ),
    ]
