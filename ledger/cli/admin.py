"""The database itself, and tokens: ``serve``, ``rebuild``, ``token new``.

``serve`` and ``rebuild`` load the server's code when run (never when another command is);
``token new`` needs only ``ledger.tokens``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from ledger.cli import render
from ledger.cli.options import JsonOption, Refused
from ledger.tokens import Role, new_token, token_line

__all__ = ["COMMANDS", "token_app"]


def serve(
    example: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="Import this JSONL file when starting on an empty ledger.",
        ),
    ] = None,
) -> None:
    """Run the gRPC server (LEDGER_LISTEN, LEDGER_DATABASE_URL) until SIGTERM or SIGINT."""
    from pydantic import ValidationError

    from ledger.domain.errors import LedgerError
    from ledger.server.serve import serve as run_server
    from ledger.settings import Settings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        settings = Settings()
        if example is not None:
            settings = settings.model_copy(update={"example": str(example)})
        run_server(settings)
    except (ValidationError, LedgerError, RuntimeError, OSError) as error:
        raise Refused(str(error)) from None


def rebuild() -> None:
    """Replay the whole log into a fresh read model (on LEDGER_DATABASE_URL, server stopped)."""
    from ledger.bootstrap import Ledger
    from ledger.domain.errors import LedgerError
    from ledger.settings import Settings

    try:
        with Ledger(Settings()) as ledger:
            replayed = ledger.rebuild()
    except LedgerError as error:  # not a ledger, or out of reach: say so plainly
        raise Refused(str(error)) from None
    render.console.print(f"read model rebuilt from {replayed} events")


token_app = typer.Typer(help="Bearer tokens for a server's tokens file.", no_args_is_help=True)


@token_app.command("new")
def token_new(
    role: Annotated[Role, typer.Option(help="What the token may do.")],
    name: Annotated[str, typer.Option(help="Who holds it, for the server's messages.")] = "",
    as_json: JsonOption = False,
) -> None:
    """A fresh random token, and the line for the server's LEDGER_TOKENS_FILE (its hash only)."""
    name = name.strip()
    if ";" in name or "\n" in name:
        raise Refused("--name: one line, without ; (it separates the entries of LEDGER_TOKENS)")
    token = new_token()
    line = token_line(role, token, name)
    if as_json:
        render.print_json({"role": role.value, "name": name, "token": token, "line": line})
        return
    render.errors.print(
        "The token, for its holder (--token or LEDGER_TOKEN); it is not kept anywhere:"
    )
    print(token)
    render.errors.print(
        "The line for the server's tokens file (LEDGER_TOKENS_FILE or LEDGER_TOKENS):"
    )
    print(line)


COMMANDS = {"serve": serve, "rebuild": rebuild}
