"""Reading loosely-typed Clever JSON: optional fields may be absent, null, blank or odd."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

JsonObject = Mapping[str, Any]

MISSING_ID = "(missing id)"


def text(obj: JsonObject | None, key: str) -> str | None:
    """A field as stripped text; None when absent, null, blank or not a scalar."""
    value = None if obj is None else obj.get(key)
    if type(value) is str:  # nearly every field: checked first, it is the hot path of a sync
        return value.strip() or None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    return str(value).strip() or None


def first_text(objs: Iterable[JsonObject | None], key: str) -> str | None:
    """The field from the first object that has it."""
    return next((found for obj in objs if (found := text(obj, key)) is not None), None)


def sub_object(obj: JsonObject | None, key: str) -> JsonObject | None:
    value = None if obj is None else obj.get(key)
    return value if isinstance(value, dict) else None


def ids(value: Any) -> list[str]:
    """The id strings of a JSON array, stripped, blanks dropped, duplicates removed."""
    if not isinstance(value, list):
        return []
    stripped = [item.strip() for item in value if isinstance(item, str)]
    return list(dict.fromkeys(filter(None, stripped)))


def missing(*fields: tuple[str, str | None]) -> str:
    """The rejection reason naming every mandatory field that has no value."""
    return "missing " + ", ".join(label for label, value in fields if value is None)
