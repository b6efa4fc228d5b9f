"""`rostersync district add|list|update`."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from rostersync.cli._runtime import describe_validation_error, fail, in_session, load_settings, run
from rostersync.districts import service
from rostersync.districts.schemas import DistrictCreate, DistrictOut, DistrictUpdate

M = TypeVar("M", DistrictCreate, DistrictUpdate)

app = typer.Typer(help="Add, list and change districts.", no_args_is_help=True)


class Source(StrEnum):
    clever = "clever"
    oneroster_csv = "oneroster_csv"


class Status(StrEnum):
    active = "active"
    paused = "paused"
    disconnected = "disconnected"


CodeArg = Annotated[str, typer.Argument(help="District ID, e.g. SELFSERV (case-insensitive).")]
LicenseOption = Annotated[
    int | None,
    typer.Option("--license-limit", min=0, help="Most active students allowed (default: none)."),
]


@app.command("add")
def add(
    code: CodeArg,
    name: Annotated[str, typer.Option(help="The district's display name.")],
    source: Annotated[Source, typer.Option(help="Where its roster comes from.")] = Source.clever,
    license_limit: LicenseOption = None,
) -> None:
    """Add a district."""
    data = _validated(
        DistrictCreate,
        code=code,
        name=name,
        source=source.value,
        student_license_limit=license_limit,
    )

    async def action(session: AsyncSession) -> DistrictOut:
        return DistrictOut.model_validate(await service.create_district(session, data))

    district = run(in_session(load_settings(), action))
    typer.echo(f"Added district {district.code} ({district.name}, source {district.source}).")


@app.command("list")
def list_(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List every district."""

    async def action(session: AsyncSession) -> list[DistrictOut]:
        return [DistrictOut.model_validate(d) for d in await service.list_districts(session)]

    districts = run(in_session(load_settings(), action))
    if as_json:
        typer.echo(json.dumps([d.model_dump(mode="json") for d in districts], indent=2))
        return
    _print_table(districts)


@app.command("update")
def update(
    code: CodeArg,
    name: Annotated[str | None, typer.Option(help="New display name.")] = None,
    source: Annotated[Source | None, typer.Option(help="New roster source.")] = None,
    status: Annotated[Status | None, typer.Option(help="active, paused or disconnected.")] = None,
    license_limit: LicenseOption = None,
    no_license_limit: Annotated[
        bool, typer.Option("--no-license-limit", help="Remove the student license limit.")
    ] = False,
) -> None:
    """Change a district's name, source, status or student license limit."""
    if no_license_limit and license_limit is not None:
        fail("use either --license-limit or --no-license-limit, not both", code=2)
    changes: dict[str, object] = {"name": name, "source": source, "status": status}
    changes = {key: getattr(v, "value", v) for key, v in changes.items() if v is not None}
    if license_limit is not None or no_license_limit:
        changes["student_license_limit"] = license_limit
    if not changes:
        fail("nothing to change: give at least one option (see --help)", code=2)
    data = _validated(DistrictUpdate, **changes)

    async def action(session: AsyncSession) -> DistrictOut:
        return DistrictOut.model_validate(await service.update_district(session, code, data))

    district = run(in_session(load_settings(), action))
    typer.echo(f"Updated district {district.code}: " + _describe(district))


def _validated(model: type[M], **values: object) -> M:
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        fail("invalid district:\n" + describe_validation_error(exc), code=2)


def _describe(district: DistrictOut) -> str:
    limit = district.student_license_limit
    return (
        f"name {district.name!r}, source {district.source}, status {district.status}, "
        f"license limit {'none' if limit is None else f'{limit:,}'}"
    )


def _print_table(districts: list[DistrictOut]) -> None:
    if not districts:
        typer.echo("No districts yet. Add one with `rostersync district add CODE --name NAME`.")
        return
    table = Table("District ID", "Name", "Source", "Status", "License limit", "Clever id")
    for d in districts:
        limit = "unlimited" if d.student_license_limit is None else f"{d.student_license_limit:,}"
        table.add_row(d.code, d.name, d.source, d.status, limit, d.clever_district_id or "-")
    Console().print(table)
