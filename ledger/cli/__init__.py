"""The ``ledger`` command line: a client of the ledger's gRPC API.

Most commands talk to a ledger server through the client library (``--server`` or
``LEDGER_SERVER``, default ``127.0.0.1:50051``), with a token (``--token``, ``LEDGER_TOKEN``)
and TLS (``--tls-ca`` and the other ``--tls*`` options) when the server asks for them. Two
work on the database itself and load the server's code when run: ``serve`` runs the server,
``rebuild`` replays the log into a fresh read model; ``audit --store`` reads the database.
``token new`` makes a token for a server's tokens file. Human output by default; ``--json``
prints machine-readable JSON.

One module per command group: ``record`` (commands), ``ask`` (questions), ``trail``
(digests and audits), ``admin`` (the database and tokens); ``options`` holds what they share,
``render`` what they print.
"""

from __future__ import annotations

__all__ = ["main"]


def main() -> None:
    import sys

    from ledger.cli.app import app

    app(sys.argv[1:])()
