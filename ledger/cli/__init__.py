"""The ``ledger`` command line: a client of the ledger's gRPC API.

Most commands talk to a ledger server through the client library (``--server`` or
``LEDGER_SERVER``, default ``127.0.0.1:50051``), with a token (``--token``, ``LEDGER_TOKEN``)
and TLS (``--tls-ca`` and the other ``--tls*`` options) when the server asks for them. Two
work on the database itself and load the server's code when run: ``serve`` runs the server,
``rebuild`` replays the log into a fresh read model; ``audit --store`` reads the database.
``token new`` makes a token for a server's tokens file. Human output by default; ``--json``
prints machine-readable JSON.

One module per command group: ``record`` (commands), ``ask`` (questions), ``follow`` (watches
and the calendar), ``decisions`` (the decision log and impacts), ``trail`` (digests and
audits), ``admin`` (the database and tokens); ``options`` holds what they share, ``render``
what they print.
"""

from __future__ import annotations

__all__ = ["main"]


def main() -> None:
    """Run the command line; with ``--json``, its usage errors too are one JSON object on
    standard error (``ledger.cli.options`` lists the exit statuses)."""
    import sys

    from ledger.cli.app import app

    argv = sys.argv[1:]
    options = argv[: argv.index("--")] if "--" in argv else argv
    if "--json" not in options:
        app(argv)()
        return

    import click

    from ledger.cli.failures import USAGE, errors_as_json, print_error

    errors_as_json(True)
    try:
        status = app(argv)(argv, standalone_mode=False)
    except click.ClickException as error:
        print_error("USAGE", error.format_message(), _named(error))
        sys.exit(USAGE)
    except click.Abort:
        print_error("ABORTED", "aborted")
        sys.exit(1)
    sys.exit(status if isinstance(status, int) else 0)


def _named(error: object) -> list[tuple[str, str]]:
    """The option a usage error is about, as the field of its JSON error."""
    import click

    if not isinstance(error, click.BadParameter):
        return []
    hint = error.param_hint
    if hint is None and error.param is not None:
        hint = error.param.opts[0] if error.param.opts else error.param.name
    if not hint:
        return []
    name = hint if isinstance(hint, str) else " / ".join(hint)
    return [(name.strip("'\""), error.message)]
