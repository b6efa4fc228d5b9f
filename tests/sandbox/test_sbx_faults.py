"""Every fault switch does what it says, only where it is aimed, for as long as asked."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from .conftest import SandboxFactory
from .helpers import Json, Sandbox, link


async def _fault(sbx: Sandbox, **spec: Any) -> Json:
    response = await sbx.client.post("/_sandbox/faults", json=spec)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_error_faults_answer_with_the_configured_status(sbx: Sandbox, status: int) -> None:
    await _fault(sbx, kind="error", status=status)

    response = await sbx.get("/v3.0/users")

    assert response.status_code == status
    assert response.json()["message"]


async def test_html_fault_answers_with_an_html_error_page(sbx: Sandbox) -> None:
    await _fault(sbx, kind="html", status=502)

    response = await sbx.get("/v3.0/sections")

    assert response.status_code == 502
    assert response.headers["content-type"].startswith("text/html")
    assert "<html>" in response.text
    assert "502 Bad Gateway" in response.text


async def test_a_fraction_of_requests_fail_reproducibly(sbx_factory: SandboxFactory) -> None:
    patterns = []
    for _ in range(2):
        sbx = await sbx_factory(seed=7)
        await _fault(sbx, kind="error", status=503, fraction=0.4)
        statuses = [(await sbx.get("/v3.0/schools")).status_code for _ in range(40)]
        patterns.append(statuses)

    assert patterns[0] == patterns[1]
    failures = patterns[0].count(503)
    assert 6 <= failures <= 26
    assert set(patterns[0]) == {200, 503}


async def test_faults_hit_only_their_path_prefix(sbx: Sandbox) -> None:
    await _fault(sbx, kind="error", path_prefix="/v3.0/users")

    assert (await sbx.get("/v3.0/users")).status_code == 500
    assert (await sbx.get("/v3.1/users")).status_code == 200
    assert (await sbx.get("/v3.0/sections")).status_code == 200
    assert (await sbx.client.get("/_sandbox/state")).status_code == 200


async def test_a_counted_fault_is_transient(sbx: Sandbox) -> None:
    await _fault(sbx, kind="error", status=502, count=2)

    statuses = [(await sbx.get("/v3.0/schools")).status_code for _ in range(4)]

    assert statuses == [502, 502, 200, 200]
    assert (await sbx.client.get("/_sandbox/faults")).json() == {"faults": []}


async def test_a_429_storm_lasts_its_seconds(sbx: Sandbox) -> None:
    await _fault(sbx, kind="rate_limit", seconds=30)

    storm = await sbx.get("/v3.0/users")
    assert storm.status_code == 429
    assert storm.content == b""
    assert storm.headers["x-ratelimit-remaining"] == "0"
    assert int(storm.headers["x-ratelimit-reset"]) == int(sbx.clock.now) + 30
    assert storm.headers["retry-after"] == "30"

    sbx.clock.advance(29)
    assert (await sbx.get("/v3.0/users")).status_code == 429
    sbx.clock.advance(1)
    assert (await sbx.get("/v3.0/users")).status_code == 200


async def test_a_storm_can_omit_retry_after(sbx: Sandbox) -> None:
    await _fault(sbx, kind="rate_limit", seconds=5, retry_after=False)
    response = await sbx.get("/v3.0/users")

    assert response.status_code == 429
    assert "retry-after" not in response.headers


async def test_slow_responses_are_delayed(sbx: Sandbox) -> None:
    await _fault(sbx, kind="slow", seconds=0.2, count=1)

    started = time.perf_counter()
    slow = await sbx.get("/v3.0/schools")
    slow_time = time.perf_counter() - started
    started = time.perf_counter()
    await sbx.get("/v3.0/schools")
    fast_time = time.perf_counter() - started

    assert slow.status_code == 200
    assert slow_time >= 0.2 > fast_time


async def test_a_cut_connection_surfaces_as_a_protocol_error(sbx: Sandbox) -> None:
    await _fault(sbx, kind="cut", count=1)

    with pytest.raises(httpx.RemoteProtocolError):
        await sbx.get("/v3.0/users", limit=500)
    assert (await sbx.get("/v3.0/users", limit=500)).status_code == 200


async def test_one_page_carries_a_user_without_a_first_name(sbx: Sandbox) -> None:
    await _fault(sbx, kind="missing_first_name", count=1, path_prefix="/v3.0/users")

    first = await sbx.get_json("/v3.0/users", limit=50)
    second = await sbx.get_json(link(first, "next") or "")

    nameless = [item for item in first["data"] if "first" not in item["data"]["name"]]
    assert len(nameless) == 1
    assert all("first" in item["data"]["name"] for item in second["data"])


async def test_an_id_is_repeated_on_two_consecutive_pages(sbx: Sandbox) -> None:
    await _fault(sbx, kind="duplicate_id", count=1, path_prefix="/v3.0/users")

    first = await sbx.get_json("/v3.0/users", limit=20)
    second = await sbx.get_json(link(first, "next") or "")

    assert first["data"][-1]["data"]["id"] == second["data"][0]["data"]["id"]
    third = await sbx.get_json(link(second, "next") or "")
    assert second["data"][-1]["data"]["id"] < third["data"][0]["data"]["id"]


async def test_faults_can_be_listed_and_cleared(sbx: Sandbox) -> None:
    added = await _fault(sbx, faults=[{"kind": "error"}, {"kind": "slow", "seconds": 0}])
    ids = [fault["id"] for fault in added["faults"]]
    assert [fault["kind"] for fault in added["faults"]] == ["error", "slow"]

    after_one = await sbx.client.delete(f"/_sandbox/faults/{ids[0]}")
    assert [fault["id"] for fault in after_one.json()["faults"]] == [ids[1]]
    assert (await sbx.client.delete("/_sandbox/faults/nope")).status_code == 404
    assert (await sbx.client.delete("/_sandbox/faults")).json() == {"faults": []}
    assert (await sbx.get("/v3.0/users")).status_code == 200


@pytest.mark.parametrize(
    "spec",
    [
        {"kind": "explode"},
        {"kind": "error", "status": 200},
        {"kind": "error", "fraction": 0},
        {"kind": "error", "count": 0},
        {"kind": "slow", "seconds": -1},
    ],
)
async def test_invalid_faults_are_rejected(sbx: Sandbox, spec: dict[str, Any]) -> None:
    response = await sbx.client.post("/_sandbox/faults", json=spec)

    assert response.status_code == 400
    assert (await sbx.client.get("/_sandbox/faults")).json() == {"faults": []}
