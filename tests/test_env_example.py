"""`.env.example` documents every setting, each with a comment."""

from __future__ import annotations

import re

from pydantic_settings import BaseSettings

from rostersync.config import Settings
from tests.conftest import PROJECT_ROOT


def setting_names(model: type[BaseSettings]) -> set[str]:
    prefix = model.model_config.get("env_prefix", "")
    names: set[str] = set()
    for name, field in model.model_fields.items():
        nested = field.annotation
        if isinstance(nested, type) and issubclass(nested, BaseSettings):
            names |= setting_names(nested)
        else:
            names.add(f"{prefix}{name}".upper())
    return names


def documented() -> dict[str, str]:
    """Each name in .env.example (set or commented out) with the comment line above it."""
    lines = (PROJECT_ROOT / ".env.example").read_text().splitlines()
    found: dict[str, str] = {}
    for index, line in enumerate(lines):
        match = re.match(r"^#?\s?([A-Z][A-Z0-9_]+)=", line)
        if match:
            found[match.group(1)] = lines[index - 1] if index else ""
    return found


def test_every_setting_is_in_env_example() -> None:
    assert setting_names(Settings) - documented().keys() == set()


def test_env_example_names_only_real_settings() -> None:
    assert documented().keys() - setting_names(Settings) == set()


def test_every_setting_has_a_comment() -> None:
    uncommented = {name for name, above in documented().items() if not above.startswith("#")}
    assert uncommented == set()
