"""One district's live state: the generated seed data plus an overlay of changes.

The seed data is never stored; changes made through the control API live in
small dicts (``overrides``, ``added``, ``removed``) and in the event log, so
memory grows with the number of changes, not with the district or the requests.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Any

from ._hashing import iso_now, mix, object_id
from ._layout import KINDS, SNAPSHOT, USER_KINDS, DistrictLayout, KindSeq, StrideSeq
from ._records import build, to_v30

Record = dict[str, Any]
Seq = KindSeq | StrideSeq | list[str]

RESOURCE_KINDS: dict[str, tuple[str, ...]] = {
    "districts": ("district",),
    "schools": ("school",),
    "sections": ("section",),
    "terms": ("term",),
    "courses": ("course",),
    "users": USER_KINDS,
}
KIND_RESOURCE: dict[str, str] = {k: r for r, kinds in RESOURCE_KINDS.items() for k in kinds}
ROLES: tuple[str, ...] = USER_KINDS


@dataclass
class Event:
    id: str
    type: str
    created: str
    object: Record
    previous: Record | None = None
    schools: frozenset[str] = field(default_factory=frozenset)

    def view(self, v31: bool) -> Record:
        data: Record = {"object": self.object if v31 else to_v30(self.object)}
        if self.previous is not None:
            data["previous_attributes"] = self.previous if v31 else to_v30(self.previous)
        return {"id": self.id, "type": self.type, "created": self.created, "data": data}


def record_schools(rec: Record) -> frozenset[str]:
    """Schools an object belongs to, for the Events API ``school`` filter."""
    found: set[str] = set()
    if "school" in rec and isinstance(rec["school"], str):
        found.add(rec["school"])
    if "low_grade" in rec:  # a school is its own school
        found.add(rec["id"])
    for role in (rec.get("roles") or {}).values():
        if isinstance(role, dict):
            found.update(s for s in role.get("schools") or () if isinstance(s, str))
    return frozenset(found)


class DistrictStore:
    """Seed layout + overlay + event log of one district."""

    def __init__(self, layout: DistrictLayout, seed: int) -> None:
        self.layout = layout
        self.seed = seed
        # Long-lived counters survive reset() so ids handed out are never reused.
        self._event_counter = 0
        self._event_ts = 0
        self._added_counter = 0
        self._added_ts = SNAPSHOT
        self.op_counter = 0
        self.reset()

    def reset(self) -> None:
        self.overrides: dict[str, Record] = {}
        self.added: dict[str, list[str]] = {kind: [] for kind in KINDS}
        self.added_kind: dict[str, str] = {}
        self.added_usernames: dict[str, str] = {}
        self.removed: set[str] = set()
        self.unshared: dict[str, list[str]] = {kind: [] for kind in KINDS}
        self.cascades: dict[str, list[tuple[str, bool]]] = {}
        self.memberships: dict[str, list[str]] = {}
        self.events: list[Event] = []
        self.event_ids: list[str] = []

    @property
    def district_id(self) -> str:
        return self.layout.district_id

    # -- lookups -------------------------------------------------------------------
    def kind_of(self, rid: str) -> str | None:
        kind = self.added_kind.get(rid)
        if kind is not None:
            return kind
        parsed = self.layout.parse(rid)
        return None if parsed is None else parsed[0]

    def is_live(self, rid: str) -> bool:
        return rid not in self.removed and self.kind_of(rid) is not None

    def current(self, rid: str) -> Record:
        """The v3.1-shaped state of an existing record, shared or not."""
        rec = self.overrides.get(rid)
        if rec is not None:
            return rec
        parsed = self.layout.parse(rid)
        if parsed is None:
            raise KeyError(rid)
        return build(self.layout, parsed[0], parsed[1], True)

    def get(self, rid: str, v31: bool) -> Record | None:
        """The record as the API shows it, or None when unknown or unshared."""
        if rid in self.removed:
            return None
        rec = self.overrides.get(rid)
        if rec is not None:
            return rec if v31 else to_v30(rec)
        parsed = self.layout.parse(rid)
        if parsed is None:
            return None
        return build(self.layout, parsed[0], parsed[1], v31)

    def sequences(self, kinds: tuple[str, ...], role: str | None = None) -> list[Seq]:
        """Sorted id sequences whose merge is the listing of ``kinds``."""
        seqs: list[Seq] = []
        for kind in kinds:
            seqs.append(self.layout.seqs[kind])
            if self.added[kind]:
                seqs.append(self.added[kind])
        if role == "staff":
            # Teachers that also hold a staff role are listed with staff.
            seqs.append(self.layout.multi_role)
        return seqs

    def total(self, seqs: list[Seq]) -> int:
        removed = sum(1 for rid in self.removed if any(_contains(seq, rid) for seq in seqs))
        return sum(len(seq) for seq in seqs) - removed

    def user_by_username(self, username: str) -> tuple[str, str] | None:
        """(user id, role) for a student_number, teacher_number or staff_id."""
        if username in self.added_usernames:
            rid = self.added_usernames[username]
            return rid, self.added_kind[rid]
        prefixes = (
            ("AT", "teacher", "staff"),
            ("T", "teacher", "teacher"),
            ("A", "staff", "staff"),
        )
        kind, role, digits = "student", "student", username
        for prefix, p_kind, p_role in prefixes:
            if username.startswith(prefix):
                kind, role, digits = p_kind, p_role, username[len(prefix) :]
                break
        if not digits.isdigit():
            return None
        i = self.layout.index_of_number(int(digits))
        if i is None or not 0 <= i < self.layout.count(kind):
            return None
        if username.startswith("AT") and not self.layout.is_multi_role(i):
            return None
        rid = self.layout.oid(kind, i)
        return (rid, role) if rid not in self.removed else None

    # -- changes -------------------------------------------------------------------
    def put(self, rec: Record) -> None:
        self.overrides[rec["id"]] = rec

    def new_id(self, kind: str, now: float) -> str:
        # After every seed id (SNAPSHOT) and after every earlier addition.
        self._added_ts = max(int(now), self._added_ts)
        self._added_counter += 1
        return object_id(self._added_ts, self.layout.tag("added:" + kind), self._added_counter)

    def register_added(self, kind: str, rec: Record, username: str | None) -> None:
        rid = rec["id"]
        self.added[kind].append(rid)
        self.added_kind[rid] = kind
        self.put(rec)
        if username:
            self.added_usernames[username] = rid

    def next_op(self) -> int:
        """A fresh number for seeding a control operation's random choices."""
        self.op_counter += 1
        return mix(self.seed, self.layout.index, self.op_counter)

    def emit(self, etype: str, obj: Record, now: float, previous: Record | None = None) -> None:
        self._event_ts = max(int(now), self._event_ts)
        self._event_counter += 1
        eid = object_id(self._event_ts, self.layout.tag("event"), self._event_counter)
        event = Event(eid, etype, iso_now(now), obj, previous, record_schools(obj))
        self.events.append(event)
        self.event_ids.append(eid)

    def event(self, eid: str) -> Event | None:
        i = bisect_left(self.event_ids, eid)
        if i < len(self.event_ids) and self.event_ids[i] == eid:
            return self.events[i]
        return None


def _contains(seq: Seq, rid: str) -> bool:
    i = bisect_left(seq, rid)
    return i < len(seq) and seq[i] == rid
