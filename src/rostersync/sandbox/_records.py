"""Builders for districts, schools, terms, courses and sections, and version views."""

from __future__ import annotations

from typing import Any

from ._hashing import iso_ms, object_id, pick, smix
from ._layout import SNAPSHOT, USER_KINDS, DistrictLayout
from ._users import Record, build_user, name_object, name_parts
from ._vocab import (
    CITIES,
    GRADES,
    LOGIN_METHODS,
    SCHOOL_LEVELS,
    SCHOOL_WORDS,
    SIS_TYPES,
    STREETS,
    SUBJECT_TITLES,
    SUBJECTS,
    TERM_NAMES,
)

# Fields Clever added in v3.1; the v3.0 view leaves them out.
_V31_TOP = frozenset({"lms_status", "last_attendance_sync", "lms_state", "lms_type"})
_V31_STUDENT = frozenset(
    {
        "disability",
        "frl_status",
        "gifted_status",
        "home_language",
        "home_language_code",
        "iep_status",
        "preferred_name",
        "section_504_status",
    }
)


def _stamps(lay: DistrictLayout, kind: str, i: int, h: int) -> tuple[str, str]:
    ts = lay.seqs[kind].ts(i)
    modified = ts + (h >> 12) % max(SNAPSHOT - ts, 1)
    return iso_ms(ts, (h >> 4) % 1000), iso_ms(modified, (h >> 22) % 1000)


def build_district(lay: DistrictLayout, v31: bool) -> Record:
    h = lay.h("district", 0)
    first, last = name_parts(h)
    slug = lay.domain.split(".")[0]
    rec: Record = {
        "id": lay.district_id,
        "name": lay.name,
        "district_contact": {
            "district": lay.district_id,
            "email": f"it-director@{lay.domain}",
            "id": object_id(lay.seqs["district"].ts(0), lay.tag("district-contact"), 0),
            "name": name_object(first, last, h),
            "title": "IT Director",
        },
        "error": "",
        "last_sync": iso_ms(SNAPSHOT - 3_600, h % 1000),
        "launch_date": "2019-07-15",
        "login_methods": list(LOGIN_METHODS[: 1 + h % 3]),
        "mdr_number": f"{h % 90_000_000 + 10_000_000}",
        "nces_id": f"{(h >> 28) % 9_000_000 + 1_000_000}",
        "pause_end": None,
        "pause_start": None,
        "portal_url": f"https://clever.com/in/{slug}",
        "sis_type": pick(SIS_TYPES, h >> 8),
        "state": "success",
    }
    if v31:
        rec.update({"last_attendance_sync": None, "lms_state": None, "lms_type": None})
    return rec


def build_school(lay: DistrictLayout, s: int) -> Record:
    h = lay.h("school", s)
    h2 = smix(h)
    level = lay.level(s)
    lo, hi = lay.grade_range(s)
    word = SCHOOL_WORDS[s % len(SCHOOL_WORDS)]
    ordinal = s // len(SCHOOL_WORDS)
    city, state, zip3 = pick(CITIES, h2)
    created, modified = _stamps(lay, "school", s, h)
    first, last = name_parts(h2 >> 8)
    return {
        "id": lay.school_ids[s],
        "district": lay.district_id,
        "name": f"{word} {SCHOOL_LEVELS[level]}" + (f" {ordinal + 1}" if ordinal else ""),
        "created": created,
        "last_modified": modified,
        "high_grade": GRADES[hi],
        "low_grade": GRADES[lo],
        "location": {
            "address": f"{100 + (h2 >> 20) % 8900} {pick(STREETS, h2 >> 34)}",
            "city": city,
            "state": state,
            "zip": f"{zip3}{(h2 >> 40) % 100:02d}",
            "lat": f"{38 + (h2 >> 12) % 400 / 100:.2f}",
            "lon": f"{-90 - (h2 >> 16) % 400 / 100:.2f}",
        },
        "mdr_number": None if h % 5 == 0 else f"{(h >> 10) % 90_000_000 + 10_000_000}",
        "nces_id": None if h % 7 == 0 else f"{(h >> 14) % 900_000_000_000 + 100_000_000_000}",
        "phone": None if h % 11 == 0 else f"(555) 02{h % 10}-{(h >> 30) % 10_000:04d}",
        "principal": {
            "name": f"{pick_name(first, last)}",
            "email": f"principal{s + 1}@{lay.domain}",
        },
        "school_number": f"{100 + s}",
        "sis_id": f"{1000 + s}",
        "state_id": None if h % 3 == 0 else f"SCH-{(h >> 36) % 900_000 + 100_000}",
    }


def pick_name(first: int, last: int) -> str:
    name = name_object(first, last, 0)
    return f"{name['first']} {name['last']}"


def build_term(lay: DistrictLayout, i: int) -> Record:
    name, start, end = TERM_NAMES[i]
    return {
        "id": lay.term_ids[i],
        "district": lay.district_id,
        "name": name,
        "start_date": start,
        "end_date": end,
    }


def build_course(lay: DistrictLayout, c: int) -> Record:
    grade, subject = divmod(c, len(SUBJECTS))
    title = SUBJECT_TITLES[SUBJECTS[subject]]
    label = "K" if grade == 0 else str(grade)
    return {
        "id": lay.course_ids[c],
        "district": lay.district_id,
        "name": f"{title} {label}",
        "number": None if lay.h("course", c) % 13 == 0 else f"{title[:4].upper()}-{label}",
    }


def build_section(lay: DistrictLayout, k: int, v31: bool) -> Record:
    h = lay.h("section", k)
    s, group, slot = lay.section_place(k)
    grade, subject = lay.group_grade(s, group), lay.slot_subject(group, slot)
    teachers = lay.seqs["teacher"].ids(lay.section_teachers(k))
    created, modified = _stamps(lay, "section", k, h)
    label = "K" if grade == 0 else str(grade)
    rec: Record = {
        "id": lay.seqs["section"][k],
        "district": lay.district_id,
        "school": lay.school_ids[s],
        "name": f"{SUBJECT_TITLES[SUBJECTS[subject]]} {label} - Period {slot + 1}",
        "created": created,
        "last_modified": modified,
        "course": None if h % 50 == 0 else lay.course_ids[grade * len(SUBJECTS) + subject],
        "grade": GRADES[grade],
        "period": None if h % 33 == 0 else str(slot + 1),
        "sis_id": f"SEC{lay.number(k)}",
        "students": lay.group_student_ids(s, group, slot),
        "subject": SUBJECTS[subject] if h % 40 else None,
        "teacher": teachers[0],
        "teachers": teachers,
        "term_id": lay.term_ids[lay.slot_term(group, slot)],
    }
    if h % 10:
        rec["section_number"] = f"{group + 1:03d}-{slot + 1}"
    if v31:
        rec["lms_status"] = None if h % 4 else {"synced_in_lms": bool(h & 16)}
    return rec


def build(lay: DistrictLayout, kind: str, i: int, v31: bool) -> Record:
    """The seed state of record i of ``kind``."""
    if kind in USER_KINDS:
        return build_user(lay, kind, i, v31)
    if kind == "section":
        return build_section(lay, i, v31)
    if kind == "school":
        return build_school(lay, i)
    if kind == "term":
        return build_term(lay, i)
    if kind == "course":
        return build_course(lay, i)
    return build_district(lay, v31)


def to_v30(rec: Record) -> Record:
    """The v3.0 view of a (v3.1-shaped, possibly partial) record."""
    out = {k: v for k, v in rec.items() if k not in _V31_TOP}
    roles: Any = out.get("roles")
    if isinstance(roles, dict) and isinstance(roles.get("student"), dict):
        student = {k: v for k, v in roles["student"].items() if k not in _V31_STUDENT}
        out["roles"] = {**roles, "student": student}
    return out
