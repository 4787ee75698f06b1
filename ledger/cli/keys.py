"""Signing keys: ``key new`` writes an Ed25519 key pair for a server's signed checkpoints
(``LEDGER_SIGNING_KEY_FILE``), and ``key show`` prints a key file's verifier key. Only
``ledger.application.signing`` is loaded, when run."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from ledger.cli import render
from ledger.cli.failures import Usage
from ledger.cli.options import JsonOption

__all__ = ["key_app"]

key_app = typer.Typer(help="Keys that sign the ledger's checkpoints.", no_args_is_help=True)


@key_app.command("new")
def key_new(
    out: Annotated[
        Path,
        typer.Option(
            help="Where to write the private key (readable by its owner only); the verifier "
            "key goes beside it, in OUT.pub.",
            dir_okay=False,
        ),
    ],
    name: Annotated[
        str,
        typer.Option(
            help="The key's name, which is also the origin line of every checkpoint it signs: "
            "printable, without spaces or '+', e.g. customs-ledger.example.org."
        ),
    ] = "customs-policy-ledger",
    as_json: JsonOption = False,
) -> None:
    """A new signing key: set LEDGER_SIGNING_KEY_FILE to OUT on the server, and give OUT.pub
    to whoever audits (`ledger audit --remote --trust OUT.pub`)."""
    from ledger.application.signing import SigningKey
    from ledger.settings import ConfigError

    public = out.with_name(out.name + ".pub")
    for path in (out, public):
        if path.exists():
            raise Usage(
                f"{path} exists already: a key is never overwritten (the checkpoints it "
                "signed need it to be verified); choose another --out, e.g. keys/ledger-2027.key"
            )
    try:
        key = SigningKey.generate(name)
    except ConfigError as error:
        raise Usage(f"--name: {error}") from None
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as private:
            private.write(key.encoded + "\n")
        public.write_text(key.verifier + "\n")
    except OSError as error:
        raise Usage(f"--out {out}: cannot write the key ({error.strerror})") from None
    if as_json:
        render.print_json({"private": str(out), "public": str(public), "verifier": key.verifier})
        return
    render.errors.print(f"private key written to {out} (set LEDGER_SIGNING_KEY_FILE to it)")
    render.errors.print(f"verifier key written to {public}, for `ledger audit --trust`:")
    print(key.verifier)


@key_app.command("show")
def key_show(
    path: Annotated[Path, typer.Argument(help="A private key file written by `ledger key new`.")],
) -> None:
    """The verifier key of a private key file (to give an auditor again)."""
    from ledger.application.signing import SigningKey
    from ledger.settings import ConfigError

    try:
        print(SigningKey.read(path, setting=None).verifier)
    except ConfigError as error:
        raise Usage(str(error)) from None
