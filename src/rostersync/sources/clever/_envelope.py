"""Clever's JSON envelopes: `{"data": ..., "links": [{"rel": "next", "uri": ...}]}`."""

from __future__ import annotations

from typing import Any

import httpx

from ._errors import CleverProtocolError

JsonObject = dict[str, Any]


def is_wrapped_page(body: Any) -> bool:
    """A Data API list page: every item is `{"data": {...}, "uri": ...}`."""
    items = body.get("data") if isinstance(body, dict) else None
    return (
        isinstance(items, list)
        and all(isinstance(item, dict) and isinstance(item.get("data"), dict) for item in items)
        and _links_ok(body)
    )


def is_plain_page(body: Any) -> bool:
    """A list page whose items are the objects themselves (OAuth's token list)."""
    items = body.get("data") if isinstance(body, dict) else None
    return isinstance(items, list) and all(isinstance(i, dict) for i in items) and _links_ok(body)


def is_single_object(body: Any) -> bool:
    return isinstance(body, dict) and isinstance(body.get("data"), dict)


def _links_ok(body: JsonObject) -> bool:
    return isinstance(body.get("links", []), list)


def unwrap_page(body: JsonObject) -> list[JsonObject]:
    return [item["data"] for item in body["data"]]


def next_uri(body: JsonObject) -> str | None:
    """The `next` link's uri, or None on the last page."""
    for link in body.get("links", []):
        if isinstance(link, dict) and link.get("rel") == "next":
            uri = link.get("uri")
            return uri if isinstance(uri, str) and uri else None
    return None


def follow_next(base_url: str, current_url: str, link: str | None) -> str | None:
    """The URL of the next page, or None after the last one.

    Clever's links are paths (`/v3.0/users?...`). A link to another origin is refused, since
    following it would send the credential there; a page linking to itself would loop forever.
    """
    if link is None:
        return None
    url = base_url + link if link.startswith("/") else link
    path = httpx.URL(current_url).path
    if not url.startswith(base_url + "/"):
        raise CleverProtocolError(f"Clever's next link after {path} leaves the API", path=path)
    if url == current_url:
        raise CleverProtocolError(f"Clever's paging of {path} did not advance", path=path)
    return url
