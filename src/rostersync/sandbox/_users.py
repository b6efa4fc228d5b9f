"""Builders for Clever ``User`` objects (students, teachers, staff, admins, contacts).

Each field is drawn from bits of the record's hash, so a user is rebuilt
identically whenever it is requested. Records are built in the v3.1 shape when
``v31`` is true; v3.0 simply omits the fields v3.1 added.
"""

from __future__ import annotations

from typing import Any

from ._hashing import iso_ms, mdy, pick, smix
from ._layout import SECTION_SIZE, SNAPSHOT, DistrictLayout
from ._vocab import (
    ADMIN_TITLES,
    CONTACT_TYPES,
    DISABILITIES,
    FIRST_NAMES,
    FIRST_SLUGS,
    FRL_STATUSES,
    GENDERS,
    GRADES,
    LANGUAGES,
    LAST_NAMES,
    LAST_SLUGS,
    PHONE_TYPES,
    RACES,
    RELATIONSHIPS,
    SCHOOL_YEAR,
    STAFF_ROLES,
    TEACHER_TITLES,
    slug,
)

Record = dict[str, Any]
_NF, _NL = len(FIRST_NAMES), len(LAST_NAMES)
_YEAR = 31_556_952
_YN = ("N", "N", "N", "Y")


def name_parts(h: int) -> tuple[int, int]:
    """Indices of first and last name drawn from a record hash."""
    return h % _NF, (h >> 8) % _NL


def name_object(first: int, last: int, h: int) -> Record:
    name: Record = {"first": FIRST_NAMES[first], "last": LAST_NAMES[last]}
    r = (h >> 16) % 10
    # Middle names vary the way SIS exports do: absent, null, empty, initial or full.
    if r == 3:
        name["middle"] = None
    elif r == 4:
        name["middle"] = ""
    elif r in (5, 6, 7):
        name["middle"] = FIRST_NAMES[(h >> 24) % _NF][0]
    elif r > 7:
        name["middle"] = FIRST_NAMES[(h >> 24) % _NF]
    return name


def set_email(rec: Record, first: int, last: int, local_suffix: str, domain: str, h: int) -> None:
    """Set ``email``; ~1% missing, ~0.5% malformed and ~5% in mixed case, as in real rosters."""
    r = (h >> 40) % 1000
    local = f"{FIRST_SLUGS[first]}.{LAST_SLUGS[last]}{local_suffix}"
    if r < 5:
        return
    if r < 10:
        rec["email"] = None
    elif r < 15:
        bad = (f"{local}@", "not-an-email", f"{local}@@{domain}", f"{local} at {domain}", local)
        rec["email"] = bad[r - 10]
    elif r < 65:
        cased = f"{FIRST_NAMES[first]}.{LAST_NAMES[last]}{local_suffix}".replace(" ", "")
        rec["email"] = f"{cased}@{domain.capitalize()}"
    else:
        rec["email"] = f"{local}@{domain}"


def plain_email(first: str, last: str, local_suffix: str, domain: str) -> str:
    """A well-formed address for changed and added users."""
    return f"{slug(first)}.{slug(last)}{local_suffix}@{domain}"


def _base(lay: DistrictLayout, kind: str, i: int, h: int, v31: bool) -> Record:
    seq = lay.seqs[kind]
    ts = seq.ts(i)
    first, last = name_parts(h)
    if kind == "contact":
        # Contacts share the family name of the (first) student they relate to.
        last = name_parts(lay.h("student", lay.contact_students(i)[0]))[1]
    rec: Record = {
        "id": seq[i],
        "district": lay.district_id,
        "name": name_object(first, last, h),
        "created": iso_ms(ts, (h >> 4) % 1000),
        "last_modified": iso_ms(ts + (h >> 12) % max(SNAPSHOT - ts, 1), (h >> 22) % 1000),
    }
    domain = "example.net" if kind == "contact" else lay.domain
    set_email(
        rec, first, last, f"{i + 1}" if kind == "student" else f".{kind[0]}{i + 1}", domain, h
    )
    if v31:
        rec["lms_status"] = None if h % 3 else {"synced_in_lms": bool(h & 8)}
    return rec


def _credentials(first: int, last: int, suffix: int) -> Record:
    return {"district_username": f"{FIRST_SLUGS[first]}{LAST_SLUGS[last][:1]}{suffix}"}


def _location(h: int) -> Record | None:
    if h % 4:
        return None
    return {
        "address": f"{100 + h % 8900} Main St",
        "city": "Springfield",
        "state": "IL",
        "zip": f"627{h % 100:02d}",
        "lat": None,
        "lon": None,
    }


def student_role(lay: DistrictLayout, i: int, h: int, v31: bool) -> Record:
    h2 = smix(h)
    s = lay.student_school(i)
    sid, num = lay.school_ids[s], lay.number(i)
    grade = lay.group_grade(s, (i - lay.stu_start[s]) // SECTION_SIZE)
    first, last = name_parts(h)
    born = SNAPSHOT - (grade + 5) * _YEAR - (h2 % 365) * 86_400 - 200 * 86_400
    role: Record = {
        "dob": None if h2 % 33 == 0 else mdy(born),
        "ell_status": _YN[(h2 >> 9) % 4] if h2 % 19 else "",
        "enrollments": [{"school": sid, "start_date": SCHOOL_YEAR[0], "end_date": SCHOOL_YEAR[1]}],
        "gender": pick(GENDERS, h2 >> 3),
        "grade": GRADES[grade],
        "graduation_year": str(2025 + 12 - grade),
        "hispanic_ethnicity": _YN[(h2 >> 13) % 4],
        "legacy_id": lay.seqs["student"].sibling(i, lay.legacy_tags["student"]),
        "race": pick(RACES, h2 >> 17),
        "school": sid,
        "schools": [sid],
        "sis_id": str(num),
        "state_id": None if h2 % 7 == 0 else f"{(h2 >> 21) % 9_000_000_000 + 1_000_000_000}",
        "student_number": str(num),
    }
    if (h2 >> 5) % 5:
        role["credentials"] = _credentials(first, last, i + 1)
    if (h2 >> 7) % 3 == 0:
        role["location"] = _location(h2 >> 11)
    if v31:
        _student_v31(role, first, last, h2 >> 24)
    return role


def _student_v31(role: Record, first: int, last: int, h: int) -> None:
    code, kind = pick(DISABILITIES, h >> 4)
    has = h % 9 == 0
    role["disability"] = {
        "disability_code": code if has else None,
        "disability_status": "Y" if has else "N",
        "disability_type": kind if has else None,
    }
    language, language_code = LANGUAGES[0] if h % 3 else pick(LANGUAGES, h >> 8)
    role["frl_status"] = pick(FRL_STATUSES, h >> 12)
    role["gifted_status"] = _YN[(h >> 15) % 4]
    role["home_language"], role["home_language_code"] = language, language_code
    role["iep_status"] = "Y" if has else "N"
    preferred = FIRST_NAMES[(h >> 18) % _NF] if h % 11 == 0 else FIRST_NAMES[first]
    role["preferred_name"] = {"first": preferred, "middle": None, "last": LAST_NAMES[last]}
    role["section_504_status"] = _YN[(h >> 21) % 4]


def teacher_role(lay: DistrictLayout, t: int, h: int) -> Record:
    h2 = smix(h ^ 0x7EAC)
    s = lay.teacher_school(t)
    schools = [lay.school_ids[s]]
    if h2 % 20 == 0 and lay.schools > 1:
        schools.append(lay.school_ids[(s + 1) % lay.schools])
    first, last = name_parts(h)
    role: Record = {
        "legacy_id": lay.seqs["teacher"].sibling(t, lay.legacy_tags["teacher"]),
        "school": schools[0],
        "schools": schools,
        "sis_id": f"T{lay.number(t)}",
        "state_id": None if h2 % 6 == 0 else f"TCH{(h2 >> 8) % 900_000 + 100_000}",
        "teacher_number": f"T{lay.number(t)}",
        "title": None if h2 % 9 == 0 else pick(TEACHER_TITLES, h2 >> 16),
    }
    if h2 % 4:
        role["credentials"] = _credentials(first, last, t + 1)
    return role


def staff_role(lay: DistrictLayout, kind: str, j: int, h: int) -> Record:
    """Staff role of a staff user, or of a teacher that also holds staff (kind == teacher)."""
    h2 = smix(h ^ 0x57AF)
    first, last = name_parts(h)
    code, title, department = pick(STAFF_ROLES, h2)
    legacy_key = "teacher-staff" if kind == "teacher" else "staff"
    if kind == "teacher":
        schools, staff_id = [lay.school_ids[lay.teacher_school(j)]], f"AT{lay.number(j)}"
    else:
        schools, staff_id = [lay.school_ids[s] for s in lay.staff_schools(j)], f"A{lay.number(j)}"
    return {
        "credentials": _credentials(first, last, j + 1),
        "department": None if h2 % 8 == 0 else department,
        "legacy_id": lay.seqs[kind].sibling(j, lay.legacy_tags[legacy_key]),
        "roles": [code],
        "schools": schools,
        "staff_id": staff_id,
        "title": None if h2 % 10 == 0 else title,
    }


def contact_role(lay: DistrictLayout, j: int, h: int) -> Record:
    h2 = smix(h ^ 0xC0DE)
    relationships = [
        {
            "relationship": pick(RELATIONSHIPS, h2 >> (4 * n)),
            "student": lay.seqs["student"][i],
            "type": pick(CONTACT_TYPES, h2 >> (4 * n + 2)),
        }
        for n, i in enumerate(lay.contact_students(j))
    ]
    return {
        "legacy_id": lay.seqs["contact"].sibling(j, lay.legacy_tags["contact"]),
        "phone": None if h2 % 10 == 0 else f"(555) 01{h2 % 10}-{(h2 >> 8) % 10_000:04d}",
        "phone_type": pick(PHONE_TYPES, h2 >> 20),
        "sis_id": None if h2 % 4 == 0 else f"C{lay.number(j)}",
        "student_relationships": relationships,
    }


def build_user(lay: DistrictLayout, kind: str, i: int, v31: bool) -> Record:
    h = lay.h(kind, i)
    rec = _base(lay, kind, i, h, v31)
    if kind == "student":
        rec["roles"] = {"student": student_role(lay, i, h, v31)}
    elif kind == "teacher":
        rec["roles"] = {"teacher": teacher_role(lay, i, h)}
        if lay.is_multi_role(i):
            rec["roles"]["staff"] = staff_role(lay, "teacher", i, h)
    elif kind == "staff":
        rec["roles"] = {"staff": staff_role(lay, "staff", i, h)}
    elif kind == "district_admin":
        title = pick(ADMIN_TITLES, h >> 30)
        legacy = lay.seqs[kind].sibling(i, lay.legacy_tags[kind])
        rec["roles"] = {"district_admin": {"legacy_id": legacy, "title": title}}
    else:
        rec["roles"] = {"contact": contact_role(lay, i, h)}
    return rec
