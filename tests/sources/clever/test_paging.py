from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from rostersync.sources.clever import CleverNotFoundError, CleverProtocolError
from tests.sources.clever.fakes import BASE, TOKEN, ConnectClient, ScriptedClever, page, reply

NEXT_2 = "/v3.0/users?limit=10000&starting_after=u2"
NEXT_3 = "/v3.0/users?limit=10000&starting_after=u3"


async def read_all(client: Any, path: str, **kwargs: Any) -> list[list[dict[str, Any]]]:
    return [objects async for objects in client.iter_pages(path, **kwargs)]


async def test_pages_follow_next_links_until_none_is_left(connect: ConnectClient) -> None:
    clever = ScriptedClever(
        page([{"id": "u1"}, {"id": "u2"}], NEXT_2),
        page([{"id": "u3"}], NEXT_3),
        page([{"id": "u4"}]),
    )
    pages = await read_all(connect(clever), "/v3.0/users")
    assert pages == [[{"id": "u1"}, {"id": "u2"}], [{"id": "u3"}], [{"id": "u4"}]]
    urls = [str(request.url) for request in clever.requests]
    assert urls == [f"{BASE}/v3.0/users?limit=10000", BASE + NEXT_2, BASE + NEXT_3]
    assert {r.headers["authorization"] for r in clever.requests} == {f"Bearer {TOKEN}"}


async def test_an_empty_page_ends_paging_even_with_a_next_link(connect: ConnectClient) -> None:
    clever = ScriptedClever(page([{"id": "u1"}], NEXT_2), page([], NEXT_3))
    pages = await read_all(connect(clever), "/v3.0/users")
    assert pages == [[{"id": "u1"}]]
    assert len(clever.requests) == 2


async def test_first_request_carries_the_page_limit_and_extra_params(
    connect: ConnectClient,
) -> None:
    clever = ScriptedClever(page([{"id": "u1"}]))
    await read_all(connect(clever, page_limit=500), "/v3.0/users", params={"role": "student"})
    assert dict(clever.requests[0].url.params) == {"limit": "500", "role": "student"}


async def settle() -> None:
    """Let every ready task run (the mock transport answers without real I/O)."""
    for _ in range(20):
        await asyncio.sleep(0)


async def test_the_client_reads_at_most_one_page_ahead_of_the_caller(
    connect: ConnectClient,
) -> None:
    clever = ScriptedClever(
        page([{"id": "u1"}], NEXT_2), page([{"id": "u2"}], NEXT_3), page([{"id": "u3"}])
    )
    pages = connect(clever).iter_pages("/v3.0/users")
    assert await anext(pages) == [{"id": "u1"}]
    await settle()
    # The next page is on its way while the caller works; the one after it is not.
    assert len(clever.requests) == 2  # streaming: the district is never held whole
    assert [rest async for rest in pages] == [[{"id": "u2"}], [{"id": "u3"}]]
    assert len(clever.requests) == 3


async def test_a_caller_that_stops_early_leaves_no_read_ahead_running(
    connect: ConnectClient,
) -> None:
    first = page([{"id": "u1"}], NEXT_2)
    asked_for_more = asyncio.Event()

    async def clever_that_hangs_after_one_page(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("starting_after") is None:
            return first(request)
        asked_for_more.set()
        await asyncio.Event().wait()  # never answers
        raise AssertionError("unreachable")

    pages = connect(clever_that_hangs_after_one_page).iter_pages("/v3.0/users")
    assert await anext(pages) == [{"id": "u1"}]
    await asked_for_more.wait()
    async with asyncio.timeout(5):  # closing must not wait for the page that never comes
        await pages.aclose()
    await settle()
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []


async def test_next_links_resolve_under_a_base_url_with_a_path(connect: ConnectClient) -> None:
    clever = ScriptedClever(page([{"id": "u1"}], NEXT_2), page([{"id": "u2"}]))
    await read_all(connect(clever, api_base_url=f"{BASE}/clever/"), "/v3.0/users")
    assert str(clever.requests[1].url) == f"{BASE}/clever{NEXT_2}"


async def test_a_next_link_to_another_host_is_not_followed(connect: ConnectClient) -> None:
    clever = ScriptedClever(page([{"id": "u1"}], "https://evil.test/v3.0/users?x=1"))
    with pytest.raises(CleverProtocolError, match="leaves the API"):
        await read_all(connect(clever), "/v3.0/users")
    assert len(clever.requests) == 1  # the token went nowhere else


async def test_a_page_that_links_to_itself_fails_instead_of_looping(
    connect: ConnectClient,
) -> None:
    clever = ScriptedClever(page([{"id": "u1"}], NEXT_2), page([{"id": "u2"}], NEXT_2))
    with pytest.raises(CleverProtocolError, match="did not advance"):
        await read_all(connect(clever), "/v3.0/users")


async def test_get_object_returns_the_inner_data(connect: ConnectClient) -> None:
    clever = ScriptedClever(reply(200, {"data": {"id": "u1", "district": "d1"}, "links": []}))
    user = await connect(clever).get_object("/v3.0/users/u1")
    assert user == {"id": "u1", "district": "d1"}
    assert clever.requests[0].url.path == "/v3.0/users/u1"


async def test_get_district_returns_the_tokens_one_district(connect: ConnectClient) -> None:
    clever = ScriptedClever(page([{"id": "d1", "name": "Springfield USD"}]))
    district = await connect(clever).get_district()
    assert district == {"id": "d1", "name": "Springfield USD"}
    assert clever.requests[0].url.path == "/v3.0/districts"


async def test_get_district_without_a_district_says_so(connect: ConnectClient) -> None:
    clever = ScriptedClever(page([]))
    with pytest.raises(CleverNotFoundError, match="no district"):
        await connect(clever).get_district()
