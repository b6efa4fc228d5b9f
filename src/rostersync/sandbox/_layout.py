"""The shape of one synthetic district: counts, ids and relationships.

Nothing here materialises records. Every kind is a *virtual sorted sequence* of
ids computed from the index, and relationships (school of a student, students
of a section, ...) are arithmetic on indices, so a million-student district costs
a few small arrays instead of a million dicts.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from ._hashing import mix, smix, text_code
from ._vocab import DISTRICT_WORDS, LEVEL_GRADES, SLOT_SUBJECTS, SUBJECTS

USER_KINDS: tuple[str, ...] = ("student", "teacher", "staff", "district_admin", "contact")
KINDS: tuple[str, ...] = ("district", "school", "term", "course", "section", *USER_KINDS)

SECTION_SIZE = 25
SLOTS = 6  # sections per student: each student sits in one section per slot
MULTI_ROLE_STRIDE = 10  # every 10th teacher also holds a staff role
MULTI_ROLE_OFFSET = 3

# Base records are created between these instants; the snapshot is "now" for the
# seed data, so anything added later through the control API sorts after it.
EPOCH_START = 1_530_403_200  # 2018-07-01
SNAPSHOT = 1_723_680_000  # 2024-08-15
_SPAN = SNAPSHOT - EPOCH_START - 86_400 * 60
_BLOCK_CACHE = 128  # schools
_PRIMES = (7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67)


class KindSeq:
    """The sorted ids of one kind in one district; ``seq[i]`` is record i's id."""

    __slots__ = ("_n", "_tagbits", "count", "kind", "span", "start", "tag")

    def __init__(self, kind: str, tag: int, count: int, start: int, span: int) -> None:
        self.kind, self.tag, self.count, self.start, self.span = kind, tag, count, start, span
        self._n = max(count, 1)
        self._tagbits = tag << 24

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, i: int) -> str:
        # Same layout as object_id(); hex() of one int is ~3x faster than formatting,
        # and the leading timestamp is never below 0x10000000, so no zero padding is lost.
        return hex((self.start + (i * self.span) // self._n) << 64 | self._tagbits | i)[2:]

    def ids(self, indices: Iterable[int]) -> list[str]:
        start, span, n, tagbits = self.start, self.span, self._n, self._tagbits
        return [hex((start + (i * span) // n) << 64 | tagbits | i)[2:] for i in indices]

    def sibling(self, i: int, tag: int) -> str:
        """An id with record i's timestamp and counter but another tag (legacy ids)."""
        return hex((self.start + (i * self.span) // self._n) << 64 | tag << 24 | i)[2:]

    def ts(self, i: int) -> int:
        # Non-decreasing in i, so ids (ts, tag, counter=i) are strictly increasing.
        return self.start + (i * self.span) // self._n


@dataclass(frozen=True, slots=True)
class StrideSeq:
    """Every ``stride``-th element of a sequence: the teachers that are also staff."""

    base: KindSeq
    offset: int
    stride: int

    def __len__(self) -> int:
        extra = self.base.count - self.offset
        return 0 if extra <= 0 else (extra + self.stride - 1) // self.stride

    def __getitem__(self, j: int) -> str:
        return self.base[self.offset + j * self.stride]


@dataclass(frozen=True, slots=True)
class Perm:
    """An affine permutation x -> (a*x + b) mod m that mixes students across sections."""

    a: int
    a_inv: int
    b: int
    m: int

    def fwd(self, x: int) -> int:
        return (self.a * x + self.b) % self.m

    def inv(self, p: int) -> int:
        return (self.a_inv * (p - self.b)) % self.m


def _perm(m: int, slot: int, h: int) -> Perm:
    if slot == 0 or m <= 1:
        # Slot 0 keeps students in order so its sections are single-grade homerooms.
        return Perm(1, 1, 0, max(m, 1))
    a = next(p for p in _PRIMES[slot + h % 5 :] + _PRIMES if m % p != 0)
    return Perm(a, pow(a, -1, m), h % m, m)


class DistrictLayout:
    """Counts, ids and index arithmetic for district number ``index``."""

    def __init__(self, seed: int, index: int, students: int) -> None:
        self.seed = seed
        self.index = index
        self.key = mix(seed, index, 0x5EED)
        n = students
        schools = max(2, n // 500) if n >= 2 else 1
        teachers = max(schools, n // 16)
        self.stu_start = [s * n // schools for s in range(schools + 1)]
        self.tch_start = [s * teachers // schools for s in range(schools + 1)]
        self.perms: list[tuple[Perm, ...]] = []
        self.sec_start = [0]
        for s in range(schools):
            m = self.stu_start[s + 1] - self.stu_start[s]
            groups = -(-m // SECTION_SIZE)
            self.sec_start.append(self.sec_start[-1] + SLOTS * groups)
            hs = mix(self.key, s)
            self.perms.append(tuple(_perm(m, slot, smix(hs + slot)) for slot in range(SLOTS)))
        counts = {
            "district": 1,
            "school": schools,
            "term": 3,
            "course": 13 * len(SUBJECTS),
            "section": self.sec_start[-1],
            "student": n,
            "teacher": teachers,
            "staff": max(1, n // 100),
            "district_admin": 2 + n // 250_000,
            "contact": n // 10,
        }
        self.seqs = {kind: self._seq(kind, counts[kind]) for kind in KINDS}
        self.legacy_tags = {k: self.tag("legacy:" + k) for k in (*USER_KINDS, "teacher-staff")}
        self.tag_kinds = {seq.tag: kind for kind, seq in self.seqs.items()}
        self.district_id = self.seqs["district"][0]
        word = DISTRICT_WORDS[(seed + index) % len(DISTRICT_WORDS)]
        suffix = "" if index < len(DISTRICT_WORDS) else f" {index // len(DISTRICT_WORDS) + 1}"
        self.name = f"{word} Unified School District{suffix}"
        self.domain = f"{word.lower()}{suffix.strip()}.example.org"
        # Small kinds are referenced by every record; their ids are worth keeping.
        self.school_ids = self.seqs["school"].ids(range(schools))
        self.term_ids = self.seqs["term"].ids(range(3))
        self.course_ids = self.seqs["course"].ids(range(counts["course"]))
        # Student ids of recently used schools: a page of sections repeats each
        # school's students six times, so this bounded cache saves most id work.
        self._blocks: OrderedDict[int, list[str]] = OrderedDict()
        self.multi_role = StrideSeq(self.seqs["teacher"], MULTI_ROLE_OFFSET, MULTI_ROLE_STRIDE)

    def _seq(self, kind: str, count: int) -> KindSeq:
        # Districts first, then schools/terms/courses, then people and sections.
        offset = {"district": 0, "school": 86_400 * 30, "term": 86_400 * 40}.get(kind, 86_400 * 50)
        span = 0 if kind == "district" else _SPAN - offset
        return KindSeq(kind, self.tag(kind), count, EPOCH_START - 86_400 * 365 + offset, span)

    def tag(self, purpose: str) -> int:
        """40-bit middle part of ids; unique per (seed, district, purpose)."""
        return mix(self.key, text_code(purpose)) & 0xFF_FFFF_FFFF

    def count(self, kind: str) -> int:
        return self.seqs[kind].count

    def oid(self, kind: str, i: int) -> str:
        return self.seqs[kind][i]

    def h(self, kind: str, i: int) -> int:
        """The per-record hash every generated field is drawn from."""
        return smix(self.seqs[kind].tag * 0x1000000 + i)

    def parse(self, rid: str) -> tuple[str, int] | None:
        """(kind, index) of a base id of this district, or None."""
        if len(rid) != 24:
            return None
        try:
            tag, i = int(rid[8:18], 16), int(rid[18:], 16)
        except ValueError:
            return None
        kind = self.tag_kinds.get(tag)
        if kind is None or i >= self.seqs[kind].count or self.seqs[kind][i] != rid:
            return None
        return kind, i

    # -- schools -----------------------------------------------------------------
    @property
    def schools(self) -> int:
        return self.seqs["school"].count

    def level(self, s: int) -> int:
        return s % 3 if self.schools > 2 else s % 2

    def grade_range(self, s: int) -> tuple[int, int]:
        return LEVEL_GRADES[self.level(s)]

    def student_school(self, i: int) -> int:
        return bisect_right(self.stu_start, i) - 1

    def teacher_school(self, t: int) -> int:
        return bisect_right(self.tch_start, t) - 1

    def staff_schools(self, j: int) -> list[int]:
        s = j * self.schools // self.seqs["staff"].count
        if self.h("staff", j) % 5 == 0 and self.schools > 1:
            return [s, (s + 1) % self.schools]
        return [s]

    def student_grade(self, i: int) -> int:
        s = self.student_school(i)
        return self.group_grade(s, (i - self.stu_start[s]) // SECTION_SIZE)

    def group_grade(self, s: int, group: int) -> int:
        lo, hi = self.grade_range(s)
        groups = (self.sec_start[s + 1] - self.sec_start[s]) // SLOTS
        return lo + group * (hi - lo + 1) // max(groups, 1)

    # -- sections ----------------------------------------------------------------
    def section_place(self, k: int) -> tuple[int, int, int]:
        """(school, group, slot) of section k."""
        s = bisect_right(self.sec_start, k) - 1
        local = k - self.sec_start[s]
        return s, local // SLOTS, local % SLOTS

    def section_grade(self, k: int) -> int:
        s, group, _ = self.section_place(k)
        return self.group_grade(s, group)

    @staticmethod
    def slot_subject(group: int, slot: int) -> int:
        choices = SLOT_SUBJECTS[slot]
        return choices[group % len(choices)]

    def section_students(self, k: int) -> list[int]:
        return self.group_students(*self.section_place(k))

    def group_students(self, s: int, group: int, slot: int) -> list[int]:
        base = self.stu_start[s]
        return [base + x for x in self._group_locals(s, group, slot)]

    def group_student_ids(self, s: int, group: int, slot: int) -> list[str]:
        block = self._student_block(s)
        return [block[x] for x in self._group_locals(s, group, slot)]

    def _group_locals(self, s: int, group: int, slot: int) -> list[int]:
        """Positions within the school of the students of one section, ascending."""
        perm = self.perms[s][slot]
        m = self.stu_start[s + 1] - self.stu_start[s]
        first = group * SECTION_SIZE
        a_inv, b = perm.a_inv, perm.b
        members = [(a_inv * (p - b)) % m for p in range(first, min(first + SECTION_SIZE, m))]
        members.sort()
        return members

    def _student_block(self, s: int) -> list[str]:
        block = self._blocks.get(s)
        if block is None:
            block = self.seqs["student"].ids(range(self.stu_start[s], self.stu_start[s + 1]))
            self._blocks[s] = block
            if len(self._blocks) > _BLOCK_CACHE:
                self._blocks.popitem(last=False)
        else:
            self._blocks.move_to_end(s)
        return block

    def student_sections(self, i: int) -> list[int]:
        s = self.student_school(i)
        x = i - self.stu_start[s]
        return [
            self.sec_start[s] + (self.perms[s][slot].fwd(x) // SECTION_SIZE) * SLOTS + slot
            for slot in range(SLOTS)
        ]

    def section_teachers(self, k: int) -> list[int]:
        """Teacher indices of section k, primary first."""
        s = bisect_right(self.sec_start, k) - 1
        local, t0 = k - self.sec_start[s], self.tch_start[s]
        n_t = self.tch_start[s + 1] - t0
        primary = t0 + local % n_t
        if n_t > 1 and self.h("section", k) % 10 == 0:
            return [primary, t0 + (local + 1) % n_t]
        return [primary]

    def teacher_sections(self, t: int) -> list[int]:
        s = self.teacher_school(t)
        return [
            k
            for k in range(self.sec_start[s], self.sec_start[s + 1])
            if t in self.section_teachers(k)
        ]

    @staticmethod
    def slot_term(group: int, slot: int) -> int:
        # Core subjects run all year; electives are semester-long.
        return 2 if slot < 4 else (group + slot) % 2

    # -- people ------------------------------------------------------------------
    def is_multi_role(self, t: int) -> bool:
        return t % MULTI_ROLE_STRIDE == MULTI_ROLE_OFFSET

    def contact_students(self, j: int) -> list[int]:
        n = self.seqs["student"].count
        h = self.h("contact", j)
        first = (j * 10 + h % 10) % n
        return sorted({first, (first + 1) % n}) if h % 5 == 0 else [first]

    def number(self, i: int) -> int:
        """SIS number, unique across districts and decodable back to (district, i)."""
        return (self.index + 1) * 100_000_000 + i + 1

    def index_of_number(self, number: int) -> int | None:
        if number // 100_000_000 != self.index + 1:
            return None
        return number % 100_000_000 - 1
