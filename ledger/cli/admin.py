"""The database itself, and tokens: ``serve``, ``rebuild``, ``token new``.

``serve`` and ``rebuild`` load the server's code when run (never when another command is);
``token new`` needs only ``ledger.tokens``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ledger.cli import parse, render
from ledger.cli.failures import Refused, Usage
from ledger.cli.options import JsonOption
from ledger.tokens import Role, new_token, token_line

if TYPE_CHECKING:
    from pydantic import ValidationError

    from ledger.domain.errors import LedgerError

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
    listen: Annotated[
        str | None,
        typer.Option(
            help="HOST:PORT to bind, e.g. 127.0.0.1:50051 (port 0: any free one); overrides "
            "LEDGER_LISTEN.",
            show_default=False,
        ),
    ] = None,
    database: Annotated[
        str | None,
        typer.Option(
            help="The database: sqlite:///PATH, postgresql://USER:PASSWORD@HOST:PORT/DATABASE "
            "or memory://; overrides LEDGER_DATABASE_URL.",
            show_default=False,
        ),
    ] = None,
    web: Annotated[
        str | None,
        typer.Option(
            help="Also serve HTTP on HOST:PORT, e.g. 127.0.0.1:8080: the web console at / and "
            "the same API over Connect (JSON) and gRPC-Web; overrides LEDGER_WEB_LISTEN.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run the gRPC server (--listen or LEDGER_LISTEN, --database or LEDGER_DATABASE_URL), and
    with --web the web console and HTTP API, until SIGTERM or SIGINT."""
    from pydantic import ValidationError

    from ledger.domain.errors import LedgerError
    from ledger.server.serve import serve as run_server
    from ledger.settings import ConfigError, Settings

    # The flags given override the variables: they are the settings' own arguments.
    flags: dict[str, Any] = {
        "listen": None if listen is None else parse.listen(listen),
        "web_listen": None if web is None else parse.listen(web, "--web"),
        "database_url": database,
    }
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        settings = Settings(**{name: value for name, value in flags.items() if value is not None})
        if example is not None:
            settings = settings.model_copy(update={"example": str(example)})
        run_server(settings)
    except ValidationError as error:
        raise Usage(_settings_refused(error)) from None
    except ConfigError as error:
        raise Usage(str(error)) from None
    except LedgerError as error:
        raise _store_refused(error) from None
    except (RuntimeError, OSError) as error:  # the address taken, a file unreadable
        raise Usage(str(error)) from None


def _settings_refused(error: ValidationError) -> str:
    """Settings refused, in plain words, each named by its flag and its variable."""
    from ledger.domain.errors import plain

    flags = {"listen": "--listen", "web_listen": "--web", "database_url": "--database"}
    lines = []
    for detail in error.errors():
        name = str(detail["loc"][0]) if detail["loc"] else ""
        variable = f"LEDGER_{name.upper()}"
        where = f"{flags[name]} ({variable})" if name in flags else variable
        lines.append(f"{where}: {plain(detail)}")
    return "\n".join(lines)


def _store_refused(error: LedgerError) -> Refused:
    """The database named cannot be used: out of reach now (exit status 4), or not a ledger
    this version can open (2, as a bad option is)."""
    from ledger.domain.errors import Unavailable

    return Refused(str(error), "UNAVAILABLE" if isinstance(error, Unavailable) else "USAGE")


def rebuild() -> None:
    """Replay the whole log into a fresh read model (on LEDGER_DATABASE_URL, server stopped)."""
    from ledger import collector
    from ledger.bootstrap import Ledger
    from ledger.domain.errors import LedgerError
    from ledger.settings import Settings

    try:
        with Ledger(Settings()) as ledger:
            collector.settle()
            replayed = ledger.rebuild()
    except LedgerError as error:  # not a ledger, or out of reach: say so plainly
        raise _store_refused(error) from None
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
        raise Usage(
            "--name: one line, without ; (it separates the entries of LEDGER_TOKENS), "
            'e.g. "analyst desk"'
        )
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
