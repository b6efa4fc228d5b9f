"""The README's table of sign-in errors is the one the code uses."""

from __future__ import annotations

import json

import httpx

from rostersync.sso.exceptions import ERRORS
from tests.conftest import PROJECT_ROOT


def test_readme_explains_every_sign_in_error_code() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    for code, explained in ERRORS.items():
        assert f"| `{code}` | {explained.meaning} | {explained.next_step} |" in readme, code


def test_every_error_says_what_to_do_next() -> None:
    for code, explained in ERRORS.items():
        assert explained.meaning.endswith("."), code
        assert explained.next_step.endswith("."), code


async def test_sign_in_routes_are_in_the_openapi_docs(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    for provider in ("clever", "google"):
        assert "district" in json.dumps(paths[f"/sso/{provider}/login"]["get"]["parameters"])
        assert "302" in paths[f"/sso/{provider}/login"]["get"]["responses"]
        assert f"/sso/{provider}/callback" in paths
