"""Range-based paging behaves like Clever's: ascending ids, next/prev links, limits."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from .helpers import Sandbox, Schemas, link


async def _walk(sbx: Sandbox, first: str, rel: str) -> list[list[str]]:
    """Pages of ids met when following ``rel`` links from ``first``."""
    pages: list[list[str]] = []
    url: str | None = first
    while url:
        body = await sbx.get_json(url)
        pages.append([item["data"]["id"] for item in body["data"]])
        url = link(body, rel)
    return pages


async def test_forward_paging_visits_every_user_exactly_once(shared_sbx: Sandbox) -> None:
    everyone = await shared_sbx.all_ids("/v3.0/users")
    pages = await _walk(shared_sbx, "/v3.0/users?limit=37", "next")
    walked = [rid for page in pages for rid in page]

    assert walked == sorted(everyone)
    assert all(len(page) == 37 for page in pages[:-1])


async def test_backward_paging_visits_every_user_exactly_once(shared_sbx: Sandbox) -> None:
    everyone = await shared_sbx.all_ids("/v3.0/users")
    pages = await _walk(shared_sbx, f"/v3.0/users?limit=41&ending_before={'f' * 24}", "prev")
    walked = [rid for page in reversed(pages) for rid in page]

    assert walked == sorted(everyone)
    assert all(page == sorted(page) for page in pages)


async def test_records_come_in_ascending_id_order(shared_sbx: Sandbox) -> None:
    for resource in ("users", "sections", "schools", "terms", "courses"):
        ids = await shared_sbx.all_ids(f"/v3.0/{resource}")
        assert ids == sorted(ids)
        assert len(ids) == len(set(ids))


async def test_next_link_keeps_limit_and_role_and_starts_after_the_last_id(
    shared_sbx: Sandbox,
) -> None:
    body = await shared_sbx.get_json("/v3.0/users", limit=5, role="teacher")
    query = parse_qs(urlsplit(link(body, "next") or "").query)

    assert query == {
        "limit": ["5"],
        "role": ["teacher"],
        "starting_after": [body["data"][-1]["data"]["id"]],
    }
    second = await shared_sbx.get_json(link(body, "next") or "")
    prev = parse_qs(urlsplit(link(second, "prev") or "").query)
    assert prev == {
        "limit": ["5"],
        "role": ["teacher"],
        "ending_before": [second["data"][0]["data"]["id"]],
    }


async def test_prev_only_when_records_precede_and_next_only_when_more_follow(
    shared_sbx: Sandbox,
) -> None:
    first = await shared_sbx.get_json("/v3.0/schools", limit=1)
    assert link(first, "prev") is None
    assert link(first, "next") is not None
    assert link(first, "self") == "/v3.0/schools?limit=1"

    everything = await shared_sbx.get_json("/v3.0/schools", limit=10_000)
    assert link(everything, "next") is None
    assert link(everything, "prev") is None

    last_id = everything["data"][-1]["data"]["id"]
    last = await shared_sbx.get_json("/v3.0/schools", limit=1, ending_before="f" * 24)
    assert [item["data"]["id"] for item in last["data"]] == [last_id]
    assert link(last, "next") is None
    assert link(last, "prev") is not None


async def test_limit_above_10000_is_413(shared_sbx: Sandbox, schemas: Schemas) -> None:
    response = await shared_sbx.get("/v3.0/users", limit=10_001)

    assert response.status_code == 413
    schemas.check("error", response.json())
    assert (await shared_sbx.get("/v3.0/users", limit=10_000)).status_code == 200


@pytest.mark.parametrize("limit", ["0", "-5", "ten"])
async def test_invalid_limits_are_400(shared_sbx: Sandbox, limit: str) -> None:
    assert (await shared_sbx.get("/v3.0/users", limit=limit)).status_code == 400


async def test_default_page_holds_100_records(shared_sbx: Sandbox) -> None:
    body = await shared_sbx.get_json("/v3.0/users")
    assert len(body["data"]) == 100


async def test_count_true_adds_the_total(shared_sbx: Sandbox, schemas: Schemas) -> None:
    students = await shared_sbx.all_ids("/v3.0/users", role="student")
    body = await shared_sbx.get_json("/v3.0/users", role="student", limit=2, count="true")

    schemas.check("list", body)
    assert body["count"] == len(students)
    assert len(body["data"]) == 2
    assert "count" not in await shared_sbx.get_json("/v3.0/users", limit=2)


async def test_unshared_records_drop_out_of_the_pages(sbx: Sandbox) -> None:
    gone = (await sbx.control("unshare", type="students", count=3))["ids"]
    pages = await _walk(sbx, "/v3.0/users?limit=7&role=student", "next")
    walked = [rid for page in pages for rid in page]

    assert not set(gone) & set(walked)
    assert len(walked) == 200 - 3 == len(set(walked))
    count = await sbx.get_json("/v3.0/users", role="student", count="true", limit=1)
    assert count["count"] == 197
