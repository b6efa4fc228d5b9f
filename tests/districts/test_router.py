from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.usefixtures("app")

SPRINGFIELD = {"code": "springfield", "name": "Springfield USD", "student_license_limit": 1000}


async def create(
    client: httpx.AsyncClient, headers: dict[str, str], **body: object
) -> httpx.Response:
    return await client.post("/districts", json=body or SPRINGFIELD, headers=headers)


async def test_operator_creates_a_district_with_an_upper_case_code(
    client: httpx.AsyncClient, operator_headers: dict[str, str]
) -> None:
    response = await create(client, operator_headers)
    assert response.status_code == 201
    body = response.json()
    assert body["code"] == "SPRINGFIELD"
    assert body["status"] == "active"
    assert body["source"] == "clever"
    assert body["student_license_limit"] == 1000
    assert body["deactivation_threshold_min"] == 20


async def test_duplicate_code_is_a_409_that_says_what_to_do(
    client: httpx.AsyncClient, operator_headers: dict[str, str]
) -> None:
    await create(client, operator_headers)
    response = await create(client, operator_headers, code="SPRINGFIELD", name="Other")
    assert response.status_code == 409
    assert "already taken" in response.json()["detail"]


async def test_the_first_district_survives_a_duplicate_attempt(
    client: httpx.AsyncClient, operator_headers: dict[str, str]
) -> None:
    await create(client, operator_headers)
    await create(client, operator_headers, code="SPRINGFIELD", name="Other")
    response = await client.get("/districts/springfield", headers=operator_headers)
    assert response.json()["name"] == "Springfield USD"


@pytest.mark.parametrize("code", ["a", "has space", "Ü-NICODE", "x" * 33, "-LEADING"])
async def test_malformed_codes_are_rejected(
    client: httpx.AsyncClient, operator_headers: dict[str, str], code: str
) -> None:
    response = await create(client, operator_headers, code=code, name="Bad")
    assert response.status_code == 422


async def test_negative_license_limit_is_rejected(
    client: httpx.AsyncClient, operator_headers: dict[str, str]
) -> None:
    response = await create(
        client, operator_headers, code="NEG", name="Neg", student_license_limit=-1
    )
    assert response.status_code == 422


async def test_without_the_operator_token_districts_are_closed(client: httpx.AsyncClient) -> None:
    assert (await client.get("/districts")).status_code == 401
    wrong = {"Authorization": "Bearer not-the-token"}
    assert (await client.post("/districts", json=SPRINGFIELD, headers=wrong)).status_code == 401


async def test_unknown_district_is_a_404(
    client: httpx.AsyncClient, operator_headers: dict[str, str]
) -> None:
    response = await client.get("/districts/NOPE", headers=operator_headers)
    assert response.status_code == 404
    assert "NOPE" in response.json()["detail"]


async def test_patch_changes_only_what_is_given_and_null_removes_the_limit(
    client: httpx.AsyncClient, operator_headers: dict[str, str]
) -> None:
    await create(client, operator_headers)
    paused = await client.patch(
        "/districts/SPRINGFIELD", json={"status": "paused"}, headers=operator_headers
    )
    assert paused.json()["status"] == "paused"
    assert paused.json()["student_license_limit"] == 1000
    unlimited = await client.patch(
        "/districts/SPRINGFIELD", json={"student_license_limit": None}, headers=operator_headers
    )
    assert unlimited.json()["student_license_limit"] is None
    assert unlimited.json()["status"] == "paused"


async def test_patch_rejects_unknown_status(
    client: httpx.AsyncClient, operator_headers: dict[str, str]
) -> None:
    await create(client, operator_headers)
    response = await client.patch(
        "/districts/SPRINGFIELD", json={"status": "deleted"}, headers=operator_headers
    )
    assert response.status_code == 422


async def test_list_is_sorted_by_code(
    client: httpx.AsyncClient, operator_headers: dict[str, str]
) -> None:
    await create(client, operator_headers, code="ZETA", name="Zeta")
    await create(client, operator_headers, code="ALPHA", name="Alpha")
    codes = [d["code"] for d in (await client.get("/districts", headers=operator_headers)).json()]
    assert codes == ["ALPHA", "ZETA"]


async def test_operator_api_is_disabled_without_a_configured_token(
    client: httpx.AsyncClient, app: object
) -> None:
    from fastapi import FastAPI

    assert isinstance(app, FastAPI)
    app.state.settings = app.state.settings.model_copy(update={"operator_token": None})
    response = await client.get("/districts", headers={"Authorization": "Bearer anything"})
    assert response.status_code == 401
    assert "OPERATOR_TOKEN" in response.json()["detail"]


async def test_patch_sets_guards_per_type_and_google_domains(
    client: httpx.AsyncClient, operator_headers: dict[str, str]
) -> None:
    await create(client, operator_headers)
    response = await client.patch(
        "/districts/SPRINGFIELD",
        json={
            "deactivation_guard_enabled": False,
            "deactivation_threshold_percent": 15,
            "deactivation_thresholds": {"students": {"percent": 5, "minimum": 50}},
            "allowed_google_domains": [" Springfield.K12.Example "],
        },
        headers=operator_headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["deactivation_guard_enabled"] is False
    assert float(body["deactivation_threshold_percent"]) == 15
    assert body["deactivation_threshold_min"] == 20
    assert {
        k: (float(v["percent"]), v["minimum"]) for k, v in body["deactivation_thresholds"].items()
    } == {"students": (5, 50)}
    assert body["allowed_google_domains"] == ["springfield.k12.example"]


@pytest.mark.parametrize(
    "change",
    [
        {"deactivation_thresholds": {"parents": {"percent": 5, "minimum": 1}}},
        {"deactivation_thresholds": {"students": {"percent": 150, "minimum": 1}}},
        {"deactivation_threshold_min": -1},
        {"allowed_google_domains": ["not a domain"]},
    ],
)
async def test_patch_rejects_impossible_guards(
    client: httpx.AsyncClient, operator_headers: dict[str, str], change: dict[str, object]
) -> None:
    await create(client, operator_headers)
    response = await client.patch("/districts/SPRINGFIELD", json=change, headers=operator_headers)
    assert response.status_code == 422
