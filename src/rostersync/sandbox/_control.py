"""``/_sandbox`` control endpoints: change the district between syncs, inject faults."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from . import _mutations as mutations
from ._data_api import error, json_response, state_of
from ._faults import FaultError
from ._state import SandboxState
from ._store import DistrictStore

TYPE_KINDS: dict[str, str] = {
    "students": "student",
    "teachers": "teacher",
    "staff": "staff",
    "district_admins": "district_admin",
    "contacts": "contact",
    "sections": "section",
    "schools": "school",
    "terms": "term",
    "courses": "course",
}


class Target(BaseModel):
    """Which district to act on: index or id; the first district by default."""

    model_config = ConfigDict(extra="forbid")
    district: int | str | None = None


class Change(Target):
    type: str
    count: int | None = Field(default=None, ge=1, le=100_000)
    ids: list[str] | None = None


def _store(state: SandboxState, district: int | str | None) -> DistrictStore | None:
    try:
        return state.store(district)
    except (KeyError, IndexError):
        return None


def _bad_ids(store: DistrictStore, kind: str, op: str, ids: list[str]) -> list[str]:
    if op == "reshare":
        return [rid for rid in ids if rid not in store.unshared[kind]]
    return [rid for rid in ids if not store.is_live(rid) or store.kind_of(rid) != kind]


def _targets(store: DistrictStore, kind: str, op: str, body: Change) -> list[str]:
    if body.ids is not None:
        return list(dict.fromkeys(body.ids))
    if op == "reshare":
        pending = store.unshared[kind]
        return list(pending if body.count is None else pending[: body.count])
    return mutations.choose(store, kind, body.count or 1)


def apply_change(state: SandboxState, op: str, body: Change) -> Response:
    store = _store(state, body.district)
    if store is None:
        return error(404, f"Unknown district {body.district!r}")
    kind = TYPE_KINDS.get(body.type)
    if kind is None:
        return error(400, f"type must be one of {', '.join(TYPE_KINDS)}")
    now = state.now()
    if op == "add":
        ids = mutations.add(store, kind, body.count or 1, now)
    else:
        ids = _targets(store, kind, op, body)
        bad = _bad_ids(store, kind, op, ids)
        if bad:
            return error(400, f"Cannot {op} {body.type}: {', '.join(bad)}")
        ids = {
            "update": mutations.update,
            "unshare": mutations.unshare,
            "reshare": mutations.reshare,
        }[op](store, kind, ids, now)
    return json_response(
        {"district": store.district_id, "operation": op, "type": body.type, "ids": ids}
    )


def _change_endpoint(op: str) -> Any:
    async def endpoint(request: Request, body: Change) -> Response:
        return apply_change(state_of(request), op, body)

    return endpoint


async def revoke(request: Request, body: Target | None = None) -> Response:
    """The district disconnects the app: its token stops working and leaves /oauth/tokens."""
    state = state_of(request)
    store = _store(state, body.district if body else None)
    if store is None:
        return error(404, "Unknown district")
    state.revoked.add(store.district_id)
    return json_response({"revoked": store.district_id})


async def reset(request: Request) -> Response:
    state_of(request).reset()
    return json_response({"reset": True})


def summary(state: SandboxState) -> dict[str, Any]:
    districts = []
    for store in state.stores:
        counts = {name: store.total(store.sequences((kind,))) for name, kind in TYPE_KINDS.items()}
        districts.append(
            {
                "id": store.district_id,
                "name": store.layout.name,
                "token": state.district_token(store.layout.index),
                "revoked": store.district_id in state.revoked,
                "counts": counts,
                "events": len(store.events),
            }
        )
    faults = [fault.describe() for fault in state.faults.faults]
    return {"districts": districts, "faults": faults}


async def show_state(request: Request) -> Response:
    return json_response(summary(state_of(request)))


async def list_faults(request: Request) -> Response:
    return json_response({"faults": [f.describe() for f in state_of(request).faults.faults]})


async def add_faults(request: Request, body: Annotated[dict[str, Any], Body()]) -> Response:
    """Body: one fault, or ``{"faults": [...]}``; see FAULT_KINDS for ``kind``."""
    state = state_of(request)
    specs = body["faults"] if isinstance(body.get("faults"), list) else [body]
    try:
        for spec in specs:
            state.faults.add(dict(spec), state.now())
    except (FaultError, TypeError, ValueError) as exc:
        return error(400, str(exc))
    return await list_faults(request)


async def clear_faults(request: Request) -> Response:
    state_of(request).faults.clear()
    return json_response({"faults": []})


async def clear_fault(request: Request, fault_id: str) -> Response:
    if not state_of(request).faults.remove(fault_id):
        return error(404, f"Unknown fault {fault_id}")
    return await list_faults(request)


def control_router() -> APIRouter:
    router = APIRouter(prefix="/_sandbox")
    for op in ("add", "update", "unshare", "reshare"):
        router.add_api_route(f"/{op}", _change_endpoint(op), methods=["POST"])
    router.add_api_route("/revoke", revoke, methods=["POST"])
    router.add_api_route("/reset", reset, methods=["POST"])
    router.add_api_route("/state", show_state, methods=["GET"])
    router.add_api_route("/faults", list_faults, methods=["GET"])
    router.add_api_route("/faults", add_faults, methods=["POST"])
    router.add_api_route("/faults", clear_faults, methods=["DELETE"])
    router.add_api_route("/faults/{fault_id}", clear_fault, methods=["DELETE"])
    return router
