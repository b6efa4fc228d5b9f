from __future__ import annotations

from typing import Any

import pytest

from rostersync.roster.records import (
    RejectedRecord,
    SchoolRecord,
    SectionRecord,
    UserRecord,
)
from rostersync.sources.clever import map_school, map_section, map_user


def user(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "u1",
        "district": "d1",
        "email": "ada@school.example",
        "name": {"first": "Ada", "middle": "K", "last": "Lovelace"},
        "roles": {"teacher": {"schools": ["s2"], "teacher_number": "T-7", "sis_id": "tsis"}},
    }
    return base | fields


def mapped(obj: dict[str, Any]) -> UserRecord:
    record = map_user(obj)
    assert isinstance(record, UserRecord)
    return record


def test_school_keeps_its_optional_fields() -> None:
    obj = {
        "id": "s1",
        "name": " Lincoln Elementary ",
        "sis_id": "101",
        "state_id": None,
        "school_number": "",
        "low_grade": "Kindergarten",
        "high_grade": "5",
        "location": {"city": "Springfield"},
    }
    assert map_school(obj) == SchoolRecord(
        clever_id="s1",
        name="Lincoln Elementary",
        sis_id="101",
        low_grade="Kindergarten",
        high_grade="5",
    )


@pytest.mark.parametrize(
    ("obj", "rejected"),
    [
        ({"id": "s1"}, RejectedRecord("school", "s1", "missing name")),
        ({"id": "s1", "name": "   "}, RejectedRecord("school", "s1", "missing name")),
        ({"name": "Lincoln"}, RejectedRecord("school", "(missing id)", "missing id")),
    ],
)
def test_school_without_id_or_name_is_rejected(obj: dict[str, Any], rejected: Any) -> None:
    assert map_school(obj) == rejected


def test_teacher_who_is_also_staff_keeps_both_roles_and_both_numbers() -> None:
    obj = user(
        roles={
            "staff": {"schools": ["s3", "s1"], "staff_id": "ST-9", "title": "Coach"},
            "teacher": {"school": "s1", "schools": ["s1", "s2"], "teacher_number": "T-7"},
        }
    )
    record = mapped(obj)
    assert record.roles == ["teacher", "staff"]
    assert record.teacher_number == "T-7"
    assert record.staff_id == "ST-9"
    assert record.school_clever_ids == ["s1", "s2", "s3"]


def test_roles_are_ordered_student_teacher_staff_district_admin() -> None:
    roles: dict[str, Any] = {
        "district_admin": {},
        "staff": {},
        "student": {},
        "teacher": {},
        "contact": {},
    }
    assert mapped(user(roles=roles)).roles == ["student", "teacher", "staff", "district_admin"]


def test_student_fields_are_kept_and_the_student_sis_id_wins() -> None:
    obj = user(
        roles={
            "student": {
                "school": "s1",
                "schools": ["s1"],
                "sis_id": "stu-sis",
                "state_id": "ST123",
                "student_number": "1001",
                "grade": "7",
                "dob": "1/2/2012",
            },
            "teacher": {"sis_id": "tch-sis", "state_id": "TST", "teacher_number": "T-1"},
        }
    )
    assert mapped(obj) == UserRecord(
        clever_id="u1",
        roles=["student", "teacher"],
        name_first="Ada",
        name_middle="K",
        name_last="Lovelace",
        email="ada@school.example",
        sis_id="stu-sis",
        state_id="ST123",
        student_number="1001",
        teacher_number="T-1",
        grade="7",
        school_clever_ids=["s1"],
    )


def test_staff_sis_id_is_used_when_no_other_role_has_one() -> None:
    record = mapped(user(roles={"staff": {"sis_id": "staff-sis", "staff_id": "S1"}}))
    assert record.sis_id == "staff-sis"
    assert record.student_number is None
    assert record.grade is None


@pytest.mark.parametrize(
    "roles", [{"contact": {"student_relationships": []}}, {}, {"contact": {}, "student": None}]
)
def test_a_contact_or_a_user_without_roster_roles_is_ignored(roles: dict[str, Any]) -> None:
    assert map_user(user(roles=roles)) is None
    assert map_user({"id": "c1", "roles": roles}) is None


def test_a_user_without_a_roles_object_is_ignored() -> None:
    assert map_user({"id": "u1", "name": {"first": "A", "last": "B"}}) is None


@pytest.mark.parametrize(
    ("changes", "clever_id", "reason"),
    [
        ({"name": {"last": "Lovelace"}}, "u1", "missing name.first"),
        ({"name": {"first": None, "last": "Lovelace"}}, "u1", "missing name.first"),
        ({"name": {"first": "  ", "last": "Lovelace"}}, "u1", "missing name.first"),
        ({"name": {"first": "Ada", "last": ""}}, "u1", "missing name.last"),
        ({"name": None}, "u1", "missing name.first, name.last"),
        ({"id": None}, "(missing id)", "missing id"),
        ({"id": " "}, "(missing id)", "missing id"),
    ],
)
def test_a_user_missing_a_mandatory_field_is_rejected_with_the_reason(
    changes: dict[str, Any], clever_id: str, reason: str
) -> None:
    assert map_user(user(**changes)) == RejectedRecord("user", clever_id, reason, ["teacher"])


def test_names_are_stripped_and_a_blank_middle_name_is_none() -> None:
    record = mapped(user(name={"first": " Ada ", "middle": " ", "last": "Lovelace\t"}))
    assert (record.name_first, record.name_middle, record.name_last) == ("Ada", None, "Lovelace")


@pytest.mark.parametrize(
    ("raw", "email", "email_raw"),
    [
        ("Ada.Lovelace@School.Example", "ada.lovelace@school.example", None),
        ("  ada@school.example \n", "ada@school.example", None),
        ("ada@localhost", None, "ada@localhost"),
        ("ada@@school.example", None, "ada@@school.example"),
        ("@school.example", None, "@school.example"),
        ("ada lovelace@school.example", None, "ada lovelace@school.example"),
        ("ada@school..example", None, "ada@school..example"),
        ("ada@school.example.", None, "ada@school.example."),
        ("not an email", None, "not an email"),
        ("", None, None),
        (None, None, None),
    ],
)
def test_emails_are_lower_cased_and_malformed_ones_kept_only_as_raw(
    raw: str | None, email: str | None, email_raw: str | None
) -> None:
    record = mapped(user(email=raw))
    assert (record.email, record.email_raw) == (email, email_raw)


def test_a_missing_email_is_just_absent() -> None:
    obj = user()
    del obj["email"]
    assert (mapped(obj).email, mapped(obj).email_raw) == (None, None)


TERMS = {"t1": "Fall 2024"}
COURSES = {"c1": "Algebra I"}


def section(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "sec1",
        "school": "s1",
        "name": "Algebra I - P2",
        "sis_id": "ALG-2",
        "section_number": "2",
        "subject": "math",
        "grade": "9",
        "period": "2",
        "term_id": "t1",
        "course": "c1",
        "students": ["u3", "u4", "u3"],
        "teachers": ["u1", "u2", "u1"],
        "teacher": "u2",
    }
    return base | fields


def test_section_carries_its_members_and_primary_teacher() -> None:
    assert map_section(section(), TERMS, COURSES) == SectionRecord(
        clever_id="sec1",
        school_clever_id="s1",
        name="Algebra I - P2",
        sis_id="ALG-2",
        section_number="2",
        subject="math",
        grade="9",
        period="2",
        term_name="Fall 2024",
        course_name="Algebra I",
        student_clever_ids=["u3", "u4"],
        teacher_clever_ids=["u1", "u2"],
        primary_teacher_clever_id="u2",
    )


def test_a_primary_teacher_missing_from_teachers_is_still_a_teacher() -> None:
    record = map_section(section(teachers=["u1"], teacher="u9", students=[]), TERMS, COURSES)
    assert isinstance(record, SectionRecord)
    assert record.teacher_clever_ids == ["u1", "u9"]
    assert record.primary_teacher_clever_id == "u9"


def test_member_ids_are_stripped_deduplicated_and_blanks_dropped() -> None:
    obj = section(students=[" u3", "u3", "", None, 7, "u4 "], teachers=["u1", "u1"], teacher=None)
    record = map_section(obj, TERMS, COURSES)
    assert isinstance(record, SectionRecord)
    assert (record.student_clever_ids, record.teacher_clever_ids) == (["u3", "u4"], ["u1"])


def test_unknown_term_and_course_leave_the_names_empty() -> None:
    record = map_section(section(term_id="t9", course=None), TERMS, COURSES)
    assert isinstance(record, SectionRecord)
    assert (record.term_name, record.course_name) == (None, None)


def test_a_section_without_rosters_has_no_members() -> None:
    obj = section(students=None, teachers=None, teacher=None)
    record = map_section(obj, TERMS, COURSES)
    assert isinstance(record, SectionRecord)
    assert (record.student_clever_ids, record.teacher_clever_ids) == ([], [])
    assert record.primary_teacher_clever_id is None


@pytest.mark.parametrize(
    ("changes", "rejected"),
    [
        ({"school": None}, RejectedRecord("section", "sec1", "missing school")),
        ({"name": ""}, RejectedRecord("section", "sec1", "missing name")),
        ({"id": None, "name": None}, RejectedRecord("section", "(missing id)", "missing id, name")),
    ],
)
def test_a_section_without_school_or_name_is_rejected_without_enrollments(
    changes: dict[str, Any], rejected: RejectedRecord
) -> None:
    assert map_section(section(**changes), TERMS, COURSES) == rejected
