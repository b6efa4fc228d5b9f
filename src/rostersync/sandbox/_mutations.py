"""Changes a district makes between syncs: add, update, unshare, reshare.

Every change lands in the store's overlay and emits the events Clever would:
``*.created`` / ``*.updated`` (with ``previous_attributes``) / ``*.deleted``.
Removing a student or teacher also updates the sections that listed them, the
way Clever's section rosters follow the users shared with an application.
"""

from __future__ import annotations

import copy
from typing import Any

from ._hashing import iso_now, pick, smix
from ._layout import USER_KINDS
from ._records import build
from ._store import KIND_RESOURCE, DistrictStore, Record
from ._users import name_object, name_parts, plain_email
from ._vocab import GRADES, LAST_NAMES, SCHOOL_WORDS, TEACHER_TITLES

_MISSING: Any = object()
_SEARCH_LIMIT = 5_000  # below this many records, choose from the full list


def diff(old: Record, new: Record) -> Record:
    """Clever-style previous_attributes: old values of what changed, nested dicts partially."""
    out: Record = {}
    for key in sorted(old.keys() | new.keys()):
        before, after = old.get(key, _MISSING), new.get(key, _MISSING)
        if before == after:
            continue
        if isinstance(before, dict) and isinstance(after, dict):
            out[key] = diff(before, after)
        else:
            out[key] = None if before is _MISSING else before
    return out


def live_ids(store: DistrictStore, kind: str) -> list[str]:
    seq = store.layout.seqs[kind]
    ids = seq.ids(range(seq.count)) + store.added[kind]
    return [rid for rid in ids if rid not in store.removed]


def choose(store: DistrictStore, kind: str, count: int) -> list[str]:
    """Deterministically choose ``count`` shared records of ``kind``."""
    h, seq = store.next_op(), store.layout.seqs[kind]
    if seq.count + len(store.added[kind]) <= _SEARCH_LIMIT:
        pool = live_ids(store, kind)
        pool.sort(key=lambda rid: smix(h ^ int(rid, 16)))
        return sorted(pool[:count])
    chosen: set[str] = set()
    attempt = 0
    while len(chosen) < count and attempt < count * 50:
        rid = seq[smix(h + attempt) % seq.count]
        attempt += 1
        if rid not in store.removed:
            chosen.add(rid)
    return sorted(chosen)


def _section_change(
    store: DistrictStore, sid: str, now: float, user: str, add: bool, primary: bool = False
) -> bool:
    """Add or remove a user from a section's roster; True when it changed."""
    if not store.is_live(sid):
        return False
    old = store.current(sid)
    new = copy.deepcopy(old)
    field = "students" if store.kind_of(user) == "student" else "teachers"
    members: list[str] = new[field]
    if add == (user in members):
        return False
    if not add:
        members.remove(user)
        if field == "teachers" and new.get("teacher") == user:
            new["teacher"] = members[0] if members else None
    elif field == "students":
        members.append(user)
        members.sort()
    elif primary or new.get("teacher") is None:
        members.insert(0, user)
        new["teacher"] = user
    else:
        members.append(user)
    new["last_modified"] = iso_now(now)
    store.put(new)
    store.emit("sections.updated", new, now, diff(old, new))
    return True


def _rostered_sections(store: DistrictStore, rid: str) -> list[str]:
    """Sections whose seed roster lists the user, plus any it joined later."""
    lay = store.layout
    parsed = lay.parse(rid)
    found: list[int] = []
    if parsed is not None and parsed[0] == "student":
        found = lay.student_sections(parsed[1])
    elif parsed is not None and parsed[0] == "teacher":
        found = lay.teacher_sections(parsed[1])
    return lay.seqs["section"].ids(found) + store.memberships.get(rid, [])


def _changed(kind: str, rec: Record, h: int, now: float, domain: str) -> Record:
    """A visibly different version of ``rec``: new names, emails, grades, titles."""
    new = copy.deepcopy(rec)
    if "last_modified" in new:  # terms and courses carry no timestamps
        new["last_modified"] = iso_now(now)
    if kind in USER_KINDS:
        last = LAST_NAMES[(name_parts(h)[1] + 1 + h % 7) % len(LAST_NAMES)]
        if last == rec["name"].get("last"):
            last = LAST_NAMES[(LAST_NAMES.index(last) + 1) % len(LAST_NAMES)]
        new["name"]["last"] = last
        first = rec["name"].get("first") or "user"
        new["email"] = plain_email(first, last, f".u{h % 100_000}", domain)
        roles = new["roles"]
        if "student" in roles and roles["student"].get("grade") in GRADES[:-1]:
            roles["student"]["grade"] = GRADES[GRADES.index(roles["student"]["grade"]) + 1]
        if "teacher" in roles:
            roles["teacher"]["title"] = pick(TEACHER_TITLES, h >> 9)
        if "contact" in roles:
            roles["contact"]["phone"] = f"(555) 019-{h % 10_000:04d}"
    elif kind == "section":
        new["name"] = f"{rec['name'].split(' (')[0]} ({pick(SCHOOL_WORDS, h)} room)"
        new["period"] = str(1 + h % 8)
    elif kind == "school":
        new["name"] = f"{pick(SCHOOL_WORDS, h)} {rec['name'].split(' ', 1)[-1]}"
        new["phone"] = f"(555) 029-{h % 10_000:04d}"
    elif "name" in new:
        new["name"] = f"{rec.get('name') or ''} (revised)".strip()
    return new


def update(store: DistrictStore, kind: str, ids: list[str], now: float) -> list[str]:
    h0 = store.next_op()
    for n, rid in enumerate(ids):
        old = store.current(rid)
        new = _changed(kind, old, smix(h0 + n), now, store.layout.domain)
        store.put(new)
        store.emit(f"{KIND_RESOURCE[kind]}.updated", new, now, diff(old, new))
    return ids


def unshare(store: DistrictStore, kind: str, ids: list[str], now: float) -> list[str]:
    for rid in ids:
        if kind in ("student", "teacher"):
            # Remember where the user was (and whether as primary teacher) to undo on reshare.
            gone = []
            for sid in _rostered_sections(store, rid):
                was_primary = store.is_live(sid) and store.current(sid).get("teacher") == rid
                if _section_change(store, sid, now, rid, False):
                    gone.append((sid, was_primary))
            store.cascades[rid] = gone
        store.removed.add(rid)
        store.unshared[kind].append(rid)
        store.emit(f"{KIND_RESOURCE[kind]}.deleted", store.current(rid), now)
    return ids


def reshare(store: DistrictStore, kind: str, ids: list[str], now: float) -> list[str]:
    for rid in ids:
        store.removed.discard(rid)
        store.unshared[kind].remove(rid)
        store.emit(f"{KIND_RESOURCE[kind]}.created", store.current(rid), now)
        for sid, was_primary in store.cascades.pop(rid, []):
            _section_change(store, sid, now, rid, True, was_primary)
    return ids


def add(store: DistrictStore, kind: str, count: int, now: float) -> list[str]:
    lay, h0 = store.layout, store.next_op()
    base = lay.count(kind)
    made: list[str] = []
    for n in range(count):
        h = smix(h0 + n)
        template = h % base
        rec = build(lay, kind, template, True)
        rid = store.new_id(kind, now)
        number = lay.number(base + len(store.added[kind]))
        username = _rebrand(kind, rec, rid, number, h, now, lay.domain)
        store.register_added(kind, rec, username)
        store.emit(f"{KIND_RESOURCE[kind]}.created", rec, now)
        if kind == "student":
            # A new student is enrolled in the classes of the student it was modelled on.
            joined = lay.seqs["section"].ids(lay.student_sections(template))
            store.memberships[rid] = [
                s for s in joined if _section_change(store, s, now, rid, True)
            ]
        made.append(rid)
    return made


def _rebrand(
    kind: str, rec: Record, rid: str, number: int, h: int, now: float, domain: str
) -> str | None:
    """Give a copied template record its own identity; returns its login username."""
    rec["id"] = rid
    if "created" in rec:
        rec["created"] = rec["last_modified"] = iso_now(now)
    if kind not in USER_KINDS:
        if kind == "section":
            rec["sis_id"] = f"SEC{number}"
        elif kind == "school":
            rec["sis_id"] = rec["school_number"] = str(number)
        label = rec.get("name") or kind
        rec["name"] = f"{label} (new {number % 1000})"
        return None
    rec["name"] = name_object(*name_parts(h), h)
    first, last = rec["name"]["first"], rec["name"]["last"]
    if kind == "teacher":
        rec["roles"].pop("staff", None)  # a new hire teaches; only seed teachers double as staff
    rec["email"] = plain_email(first, last, f".n{number % 100_000_000}", domain)
    username: str | None = None
    for role_name, role in rec["roles"].items():
        role["legacy_id"] = rid[:8] + role["legacy_id"][8:18] + rid[18:]
        if role_name == "student":
            username = role["sis_id"] = role["student_number"] = str(number)
        elif role_name == "teacher":
            username = role["sis_id"] = role["teacher_number"] = f"T{number}"
        elif role_name == "staff":
            role["staff_id"] = f"{'AT' if 'teacher' in rec['roles'] else 'A'}{number}"
            username = username or role["staff_id"]
        elif role_name == "contact" and role.get("sis_id"):
            role["sis_id"] = f"C{number}"
    return username
