"""The ``ledger`` application: every command group's commands, and ``token``'s sub-commands.

Typer turns each registered command into a click command at every start, a few milliseconds
each: more than a check costs the server. So ``app(argv)`` registers the command asked for
only, and every command when none is named (help, or a name it does not know, which click then
refuses with the commands it has).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated

import typer

from ledger.cli import admin, ask, backup, decisions, follow, keys, picture, proofs, record, trail

__all__ = ["app", "COMMANDS", "DISTRIBUTION"]

# The distribution that installs the ``ledger`` command, whose version --version prints.
DISTRIBUTION = "customs-policy-ledger"

COMMANDS: dict[str, Callable[..., None]] = {
    name: command
    for group in (record, ask, follow, picture, decisions, trail, proofs, admin, backup)
    for name, command in group.COMMANDS.items()
}
_GROUPS = {
    "decisions": decisions.decisions_app,
    "token": admin.token_app,
    "key": keys.key_app,
}


def app(argv: Sequence[str]) -> typer.Typer:
    """The application for the command line ``argv`` (without the program's name)."""
    ledger = typer.Typer(
        help="Customs policy ledger: what was allowed at which office, when, and what we knew "
        "then.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        suggest_commands=False,  # click suggests a close name itself: once is enough
    )
    # A callback makes the application a group even with one command registered.
    ledger.callback()(_options)
    asked = next((word for word in argv if not word.startswith("-")), None)
    named = asked in COMMANDS or asked in _GROUPS
    for name, command in COMMANDS.items():
        if not named or name == asked:
            ledger.command(name)(command)
    for name, group in _GROUPS.items():
        if not named or name == asked:
            ledger.add_typer(group, name=name)
    return ledger


def _version(asked: bool) -> None:
    if asked:
        from importlib.metadata import PackageNotFoundError, version

        try:
            installed = version(DISTRIBUTION)
        except PackageNotFoundError:  # run from a source tree that was never installed
            installed = "unknown (not installed)"
        print(f"ledger {installed}")
        raise typer.Exit()


def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_version, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """The application's own options: --version, --help and shell completion."""
