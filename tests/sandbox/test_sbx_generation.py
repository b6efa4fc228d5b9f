"""The synthetic district is deterministic, sized as asked and cheap at scale."""

from __future__ import annotations

import time

import pytest

from rostersync.sandbox import SandboxConfig, create_sandbox_app, sandbox_state

from .conftest import SandboxFactory
from .helpers import Json, Sandbox


async def _snapshot(sbx: Sandbox) -> list[Json]:
    pages = []
    for path in ("/v3.1/users", "/v3.1/sections", "/v3.1/schools", "/v3.1/districts"):
        pages.append(await sbx.get_json(path, limit=10_000))
    return pages


async def test_the_same_seed_gives_identical_data_and_ids(sbx_factory: SandboxFactory) -> None:
    first = await sbx_factory(seed=42, students=300)
    second = await sbx_factory(seed=42, students=300)

    assert await _snapshot(first) == await _snapshot(second)
    assert first.token == second.token


async def test_another_seed_gives_other_ids(sbx_factory: SandboxFactory) -> None:
    first = await sbx_factory(seed=1, students=50)
    second = await sbx_factory(seed=2, students=50)

    assert not set(await first.all_ids("/v3.0/users")) & set(await second.all_ids("/v3.0/users"))
    assert first.token != second.token


async def test_districts_get_their_own_ids_names_and_tokens(sbx_factory: SandboxFactory) -> None:
    sbx = await sbx_factory(districts=3, students=30)
    names = set()
    tokens = {sbx.state.district_token(d) for d in range(3)}
    for d in range(3):
        body = await sbx.get_json("/v3.0/districts", token=sbx.state.district_token(d))
        names.add(body["data"][0]["data"]["name"])

    assert len(set(sbx.state.district_ids)) == 3
    assert len(names) == 3
    assert len(tokens) == 3


async def test_ids_look_like_object_ids_ordered_by_creation(shared_sbx: Sandbox) -> None:
    body = await shared_sbx.get_json("/v3.0/sections", limit=10_000)
    records = [item["data"] for item in body["data"]]

    assert all(len(r["id"]) == 24 and int(r["id"], 16) >= 0 for r in records)
    created = [r["created"] for r in records]
    assert created == sorted(created)


async def test_a_district_is_sized_like_a_real_one(sbx_factory: SandboxFactory) -> None:
    sbx = await sbx_factory(students=100_000)
    counts = (await sbx.client.get("/_sandbox/state")).json()["districts"][0]["counts"]

    assert counts["students"] == 100_000
    assert counts["teachers"] == 100_000 // 16
    assert counts["schools"] == 100_000 // 500
    assert 0.23 * 100_000 <= counts["sections"] <= 0.25 * 100_000
    assert counts["staff"] == 1_000
    assert 2 <= counts["district_admins"] <= 5
    assert counts["contacts"] > 0
    assert counts["terms"] > 0
    assert counts["courses"] > 0


async def test_a_million_students_start_fast_and_serve_pages(sbx_factory: SandboxFactory) -> None:
    started = time.perf_counter()
    sbx = await sbx_factory(students=1_000_000)
    assert time.perf_counter() - started < 10

    body = await sbx.get_json("/v3.0/users", limit=1_000, count="true")
    assert len(body["data"]) == 1_000
    assert body["count"] > 1_000_000
    last = await sbx.get_json("/v3.0/sections", limit=5, ending_before="f" * 24)
    assert len(last["data"]) == 5


def test_nothing_is_built_until_an_app_is_created() -> None:
    app = create_sandbox_app(SandboxConfig(students=10))
    assert sandbox_state(app).config.students == 10
    assert sandbox_state(app) is not sandbox_state(create_sandbox_app(SandboxConfig(students=10)))


@pytest.mark.parametrize(
    "bad",
    [{"students": 0}, {"districts": 0}, {"rate_limit_per_minute": 0}, {"seed": -1}],
)
def test_invalid_configs_are_refused(bad: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="must"):
        SandboxConfig(**bad)  # type: ignore[arg-type]


def test_redirect_uris_are_kept_as_an_immutable_tuple() -> None:
    uris = ["https://a.example/cb"]
    config = SandboxConfig(redirect_uris=uris)
    uris.append("https://evil.example/cb")

    assert config.redirect_uris == ("https://a.example/cb",)
