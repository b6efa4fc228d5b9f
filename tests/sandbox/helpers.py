"""Test helpers for the offline Clever: a handle on one sandbox app and schema checks."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from rostersync.sandbox import SandboxState

SCHEMA_DIR = Path(__file__).parent / "schemas"
SCHEMA_BASE = "https://rostersync.test/sandbox/schemas/"
CLIENT = ("sandbox-client", "sandbox-secret")
REDIRECT = "https://app.example.org/clever/callback"
Json = Any


class FakeClock:
    """An injectable clock that tests move forward instead of sleeping."""

    def __init__(self, start: float = 1_767_225_600.0) -> None:  # 2026-01-01
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Schemas:
    """Our own JSON Schemas for Clever's objects (tests/sandbox/schemas)."""

    def __init__(self) -> None:
        docs = {p.stem: json.loads(p.read_text()) for p in SCHEMA_DIR.glob("*.json")}
        resources = [(doc["$id"], Resource.from_contents(doc)) for doc in docs.values()]
        registry: Registry[Any] = Registry().with_resources(resources)
        self.validators = {
            name: Draft202012Validator(doc, registry=registry) for name, doc in docs.items()
        }

    def check(self, name: str, instance: Json) -> None:
        self.validators[name].validate(instance)

    def check_list(self, name: str, body: Json) -> None:
        """A list envelope whose items are all ``name`` objects."""
        self.check("list", body)
        for item in body["data"]:
            self.check(name, item["data"])


@dataclass
class Sandbox:
    """One sandbox app, its state, an in-process client and its clock."""

    state: SandboxState
    client: httpx.AsyncClient
    clock: FakeClock

    @property
    def token(self) -> str:
        return self.state.district_token()

    def auth(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.token}"}

    async def get(self, path: str, token: str | None = None, **params: Any) -> httpx.Response:
        return await self.client.get(path, headers=self.auth(token), params=params or None)

    async def get_json(self, path: str, token: str | None = None, **params: Any) -> Json:
        response = await self.get(path, token, **params)
        assert response.status_code == 200, response.text
        return response.json()

    async def all_ids(self, path: str, limit: int = 10_000, **params: Any) -> list[str]:
        """Every id of a listing, following next links."""
        ids: list[str] = []
        url: str | None = path
        query: dict[str, Any] = {"limit": limit, **params}
        while url:
            body = await self.get_json(url, **query)
            ids += [item["data"]["id"] for item in body["data"]]
            url = next((link["uri"] for link in body["links"] if link["rel"] == "next"), None)
            query = {}
        return ids

    async def control(self, op: str, **body: Any) -> Json:
        response = await self.client.post(f"/_sandbox/{op}", json=body)
        assert response.status_code == 200, response.text
        return response.json()

    async def events(self, version: str = "v3.0", **params: Any) -> list[Json]:
        body = await self.get_json(f"/{version}/events", limit=10_000, **params)
        return [item["data"] for item in body["data"]]

    async def login_code(self, username: str, **params: str) -> str:
        """Approve a sign-in via login_hint and return the code."""
        query = {
            "response_type": "code",
            "client_id": CLIENT[0],
            "redirect_uri": REDIRECT,
            "login_hint": username,
            **params,
        }
        response = await self.client.get("/oauth/authorize", params=query)
        assert response.status_code == 302, response.text
        return redirect_params(response)["code"]

    async def exchange(self, code: str, redirect_uri: str = REDIRECT) -> httpx.Response:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        return await self.client.post("/oauth/tokens", auth=CLIENT, data=form)

    async def user_token(self, username: str, **params: str) -> str:
        response = await self.exchange(await self.login_code(username, **params))
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token


def redirect_params(response: httpx.Response) -> dict[str, str]:
    """Query parameters of a redirect's Location."""
    query = urlsplit(response.headers["location"]).query
    return {key: values[0] for key, values in parse_qs(query).items()}


def link(body: Json, rel: str) -> str | None:
    return next((item["uri"] for item in body["links"] if item["rel"] == rel), None)
