"""`rostersync account create`: the District Account Owner."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from rostersync.accounts import service
from rostersync.accounts.passwords import password_problem
from rostersync.cli._runtime import fail, in_session, load_settings, read_secret_from_stdin, run
from rostersync.districts.service import get_district

app = typer.Typer(help="Manage District Account Owners.", no_args_is_help=True)


@app.command("create")
def create(
    district: Annotated[str, typer.Option(help="The District ID, e.g. SELFSERV.")],
    username: Annotated[str, typer.Option(help="The Account Owner's username.")],
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the password from standard input."),
    ] = False,
) -> None:
    """Create the district's one Account Owner (signs in with District ID, username, password).

    The password is prompted for, or read from standard input with --password-stdin;
    it is never taken from the command line, where other users could see it.
    """
    if not username.strip():
        fail("the username must not be empty", code=2)
    password = read_secret_from_stdin() if password_stdin else _prompt_password()

    async def action(session: AsyncSession) -> str:
        found = await get_district(session, district)
        account = await service.create_account_owner(session, found, username, password)
        return f"Created Account Owner {account.username!r} for district {found.code}."

    typer.echo(run(in_session(load_settings(), action)))


def _stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def _prompt_password() -> str:
    if not _stdin_is_terminal():
        fail("no terminal to prompt for the password; pipe it in with --password-stdin", code=2)
    while True:
        password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        problem = password_problem(password)
        if problem is None:
            return password
        typer.secho(f"That password won't do: {problem}.", err=True, fg=typer.colors.YELLOW)
