"""The `rostersync` command."""

from __future__ import annotations

import typer

from rostersync.cli import accounts, clever, districts, imports, sandbox, server

app = typer.Typer(
    name="rostersync",
    help="Rostering and sign-in service: Clever Secure Sync, Instant Login, Google, OneRoster.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Docstrings are reflowed to the terminal's width (paragraphs split by blank lines).
    rich_markup_mode="markdown",
)
server.register(app)
sandbox.register(app)
app.add_typer(districts.app, name="district")
app.add_typer(accounts.app, name="account")
app.add_typer(clever.app, name="clever")
app.command("sync")(clever.sync)
app.command("import")(imports.import_roster)
districts.app.command("connect")(clever.connect)


def main() -> None:
    app()
