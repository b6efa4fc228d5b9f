from __future__ import annotations

from typing import Any

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


async def test_next_page_is_fetched_only_when_the_caller_asks_for_it(
    connect: ConnectClient,
) -> None:
    clever = ScriptedClever(page([{"id": "u1"}], NEXT_2), page([{"id": "u2"}]))
    pages = connect(clever).iter_pages("/v3.0/users")
    first = await anext(pages)
    assert first == [{"id": "u1"}]
    assert len(clever.requests) == 1  # streaming: the district is never held whole
    assert [rest async for rest in pages] == [[{"id": "u2"}]]


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
