"""The ``ledger`` application: every command group's commands, and ``token``'s sub-commands."""

from __future__ import annotations

import typer

from ledger.cli import admin, ask, record, trail

__all__ = ["app"]

app = typer.Typer(
    help="Customs policy ledger: what was allowed at which office, when, and what we knew then.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
for group in (record, ask, trail, admin):
    for name, command in group.COMMANDS.items():
        app.command(name)(command)
app.add_typer(admin.token_app, name="token")
