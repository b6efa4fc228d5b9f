"""Clever's Data API (v3.0 and v3.1), Events API and ``/me``.

Every request is authenticated and rate limited before it is routed, as Clever
does; responses are serialised by hand because FastAPI's generic encoder is far
too slow for 10,000-record pages.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from ._paging import PagingError, links, page, parse_params
from ._state import Auth, SandboxState
from ._store import RESOURCE_KINDS, ROLES, DistrictStore, Record

VERSIONS = ("v3.0", "v3.1")
Endpoint = Callable[..., Coroutine[Any, Any, Response]]


def json_response(body: object, status: int = 200) -> Response:
    payload = orjson.dumps(body)  # pages of 10,000 records: serialising is the hot path
    return Response(payload, status_code=status, media_type="application/json")


def error(status: int, message: str) -> Response:
    return json_response({"message": message}, status)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while one page is built and encoded.

    A 10,000-record page allocates ~100k acyclic containers; the collector's
    passes over them cost ~20% of the page time and can free nothing. The block
    never awaits, so no other request runs while collection is paused.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def state_of(request: Request) -> SandboxState:
    state: SandboxState = request.app.state.sandbox
    return state


def guarded(request: Request, handler: Callable[[Auth], Response]) -> Response:
    """Authenticate, count against the token's rate limit, then run ``handler``."""
    state = state_of(request)
    auth = state.authenticate(request.headers.get("authorization"))
    if auth is None:
        return error(401, "Unauthorized: a valid bearer token is required")
    quota = state.limiter.hit(auth.token, state.now())
    if quota.exceeded:
        # Clever answers an exhausted bucket with an empty body and the headers.
        return Response(b"", status_code=429, headers=quota.headers())
    with gc_paused():
        response = handler(auth)
    response.headers.update(quota.headers())
    return response


def _query(request: Request) -> list[tuple[str, str]]:
    return list(request.query_params.multi_items())


def list_records(request: Request, auth: Auth, version: str, resource: str) -> Response:
    if auth.session is not None:
        return error(403, "User tokens may only read /me, their own user and their district")
    kinds = RESOURCE_KINDS.get(resource)
    if kinds is None:
        return error(404, f"Unknown resource: {resource}")
    store, query = auth.store, request.query_params
    role = query.get("role")
    if role is not None and (resource != "users" or role not in ROLES):
        return error(400, f"role must be one of {', '.join(ROLES)}")
    try:
        params = parse_params(query)
    except PagingError as exc:
        return error(exc.status, exc.message)
    seqs = store.sequences((role,) if role else kinds, role)
    removed = store.removed
    result = page(seqs, lambda rid: rid not in removed, params)
    v31 = version == "v3.1"
    path = f"/{version}/{resource}"
    data = []
    for rid in result.ids:
        rec = store.get(rid, v31)
        if rec is not None:
            data.append({"data": rec, "uri": f"{path}/{rid}"})
    body: Record = {"data": data, "links": links(path, _query(request), result)}
    if params.count:
        body["count"] = store.total(seqs)
    return json_response(body)


def get_record(auth: Auth, version: str, resource: str, rid: str) -> Response:
    store, session = auth.store, auth.session
    if session is not None:
        allowed = (resource == "users" and rid == session.user_id) or (
            resource == "districts" and rid == store.district_id
        )
        if not allowed:
            return error(403, "User tokens may only read /me, their own user and their district")
    kinds = RESOURCE_KINDS.get(resource)
    if kinds is None:
        return error(404, f"Unknown resource: {resource}")
    rec = store.get(rid, version == "v3.1") if store.kind_of(rid) in kinds else None
    if rec is None:
        return error(404, f"Resource not found: {rid}")
    return json_response(
        {"data": rec, "links": [{"rel": "self", "uri": f"/{version}/{resource}/{rid}"}]}
    )


def me(auth: Auth, version: str) -> Response:
    store, session = auth.store, auth.session
    district = f"/{version}/districts/{store.district_id}"
    if session is None:
        data = {
            "id": store.district_id,
            "district": store.district_id,
            "type": "district",
            "authorized_by": "district",
        }
        canonical, kind = district, "district"
    else:
        data = {
            "id": session.user_id,
            "district": store.district_id,
            "type": session.role,
            "authorized_by": "district",
        }
        canonical, kind = f"/{version}/users/{session.user_id}", "user"
    links_ = [
        {"rel": "self", "uri": f"/{version}/me"},
        {"rel": "canonical", "uri": canonical},
        {"rel": "district", "uri": district},
    ]
    return json_response({"type": kind, "data": data, "links": links_})


def _event_filter(store: DistrictStore, request: Request) -> Callable[[str], bool]:
    types = set(request.query_params.getlist("record_type"))
    school = request.query_params.get("school")

    def keep(eid: str) -> bool:
        event = store.event(eid)
        if event is None:
            return False
        if types and event.type.split(".")[0] not in types:
            return False
        return school is None or school in event.schools

    return keep


def list_events(request: Request, auth: Auth, version: str) -> Response:
    if auth.session is not None:
        return error(403, "The Events API needs a district token")
    try:
        params = parse_params(request.query_params)
    except PagingError as exc:
        return error(exc.status, exc.message)
    store = auth.store
    result = page([store.event_ids], _event_filter(store, request), params)
    path = f"/{version}/events"
    data = []
    for eid in result.ids:
        event = store.event(eid)
        if event is not None:
            data.append({"data": event.view(version == "v3.1"), "uri": f"{path}/{eid}"})
    return json_response({"data": data, "links": links(path, _query(request), result)})


def get_event(auth: Auth, version: str, eid: str) -> Response:
    if auth.session is not None:
        return error(403, "The Events API needs a district token")
    event = auth.store.event(eid)
    if event is None:
        return error(404, f"Event not found: {eid}")
    uri = f"/{version}/events/{eid}"
    return json_response(
        {"data": event.view(version == "v3.1"), "links": [{"rel": "self", "uri": uri}]}
    )


def _endpoints(version: str) -> dict[str, Endpoint]:
    """Endpoints of one API version; the version is bound here, not parsed from paths."""

    async def me_endpoint(request: Request) -> Response:
        return guarded(request, lambda auth: me(auth, version))

    async def events_endpoint(request: Request) -> Response:
        return guarded(request, lambda auth: list_events(request, auth, version))

    async def event_endpoint(request: Request, eid: str) -> Response:
        return guarded(request, lambda auth: get_event(auth, version, eid))

    async def list_endpoint(request: Request, resource: str) -> Response:
        return guarded(request, lambda auth: list_records(request, auth, version, resource))

    async def get_endpoint(request: Request, resource: str, rid: str) -> Response:
        return guarded(request, lambda auth: get_record(auth, version, resource, rid))

    return {
        "/me": me_endpoint,
        "/events": events_endpoint,
        "/events/{eid}": event_endpoint,
        "/{resource}": list_endpoint,
        "/{resource}/{rid}": get_endpoint,
    }


def data_router() -> APIRouter:
    router = APIRouter()
    for version in VERSIONS:
        for path, endpoint in _endpoints(version).items():
            router.add_api_route(f"/{version}{path}", endpoint, methods=["GET"])
    return router
