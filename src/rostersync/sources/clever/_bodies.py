"""Short, safe descriptions of what Clever sent back, for error messages and logs."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import httpx

MAX_DETAIL = 200
# Keys Clever (and OAuth servers) use for the human-readable part of an error body.
_MESSAGE_KEYS = ("message", "error_description", "error")


def describe_body(response: httpx.Response, secrets: Iterable[str] = ()) -> str:
    """Clever's own message when the body is JSON, else what kind of body it was."""
    text = response.text.strip()
    if not text:
        return "an empty body"
    if "html" in response.headers.get("content-type", "").lower() or text.startswith("<"):
        return "an HTML error page"
    try:
        message = _json_message(json.loads(text))
    except ValueError:
        message = text if len(text) <= MAX_DETAIL and text.isprintable() else None
    return redact(shorten(message), secrets) if message else "an unreadable body"


def _json_message(doc: Any) -> str | None:
    if not isinstance(doc, dict):
        return None
    for key in _MESSAGE_KEYS:
        value = doc.get(key)
        if isinstance(value, str) and value.strip():
            return value
        # Some gateways nest it: {"error": {"message": "..."}}.
        if isinstance(value, dict):
            return _json_message(value)
    return None


def shorten(text: str) -> str:
    """One line of at most MAX_DETAIL characters."""
    line = " ".join(text.split())
    return line if len(line) <= MAX_DETAIL else line[: MAX_DETAIL - 1] + "..."


def redact(text: str, secrets: Iterable[str]) -> str:
    """A server may echo what we sent; a secret must never reach a message or a log."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return text
