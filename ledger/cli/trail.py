"""The audit trail: the digest to pin, and the audits that replay the whole log.

``audit --remote`` replays a server's log here, trusting nothing it says, and rebuilds its
rule states with the ledger's own projection, in memory (loaded when run); it verifies the
decision log's chain too, and that each decision's digest is one the log reached at its
position. ``audit --store`` reads the database itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ledger.cli import parse, render
from ledger.cli.failures import AuditFailed, Refused, Usage
from ledger.cli.options import DatabaseOption, JsonOption, ServerOption, connect, connects

if TYPE_CHECKING:
    from ledger_api.note import VerifierKey
    from ledger_client.audit import ExportedEvent
    from ledger_client.client import LedgerClient
    from ledger_client.decisions import DecisionAudit

__all__ = ["COMMANDS"]


@connects
def digest(server: ServerOption = "127.0.0.1:50051", as_json: JsonOption = False) -> None:
    """The ledger digest now, POSITION:ROOT:MERKLE_ROOT: pin it, and check the ledger against
    it later (`audit --expect-digest`, `extends`, `prove --tree`)."""
    with connect(server) as connection:
        current = connection.call("GetDigest")["digest"]
    if as_json:
        from ledger_client.audit import Digest

        render.print_json(Digest.model_validate(current))
    else:
        text = f"{current.get('position', 0)}:{current['root']}:{current['merkle_root']}"
        render.console.print(render.shown(text), highlight=False)


@connects
def audit(
    store: Annotated[bool, typer.Option("--store", help="Read the database itself.")] = False,
    remote: Annotated[
        bool, typer.Option("--remote", help="Replay the server's log here, trusting nothing.")
    ] = False,
    expect_digest: Annotated[
        str | None,
        typer.Option(
            help="POSITION:ROOT:MERKLE_ROOT (or POSITION:ROOT) pinned earlier: the log must "
            "still lead to it."
        ),
    ] = None,
    sample: Annotated[
        int, typer.Option(min=0, help="Dates per office at which to compare rule states.")
    ] = 20,
    trust: Annotated[
        list[str] | None,
        typer.Option(
            help="A verifier key (NAME+HASH+KEY, or the .pub file `ledger key new` wrote) the "
            "log's signed checkpoints must verify with; repeat it for keys rotated out. Every "
            "event must then be in a signed checkpoint: an appended one is not.",
            show_default=False,
        ),
    ] = None,
    server: ServerOption = "127.0.0.1:50051",
    database: DatabaseOption = None,
    as_json: JsonOption = False,
) -> None:
    """Replay the whole history and check nobody rewrote it; exit status 0 only if all holds,
    5 if it does not."""
    if store == remote:
        raise Usage("say where to audit: --store (the database) or --remote (a server)")
    if store:
        if trust:
            raise Usage("--trust checks a server's signed checkpoints: use it with --remote")
        _audit_store(expect_digest, as_json, database)
    else:
        if database is not None:
            raise Usage("--database names the database --store reads: with --remote, --server")
        _audit_remote(server, expect_digest, sample, as_json, trusted_keys(trust or []))


def trusted_keys(values: list[str]) -> list[VerifierKey]:
    """The keys of ``--trust``, read; a usage error naming a bad one."""
    from ledger_api.note import NoteError
    from ledger_api.note import trusted_keys as read

    try:
        return read(values)
    except NoteError as error:
        raise Usage(f"--trust: {error}") from None


def _audit_store(expect_digest: str | None, as_json: bool, database: str | None) -> None:
    from rich.progress import Progress

    from ledger.audit.store import audit_store
    from ledger.cli.backup import database_settings
    from ledger.domain.errors import LedgerError, Unavailable

    if expect_digest is not None:
        raise Usage("--expect-digest checks a server's log: use it with --remote")
    settings = database_settings(database)
    with Progress(console=render.errors, transient=True) as progress:
        task = progress.add_task("replaying the store", total=None)
        try:
            report = audit_store(
                settings, lambda done, total: progress.update(task, completed=done, total=total)
            )
        except LedgerError as error:
            # Not a ledger, a newer one (exit status 2, as a bad option), or a database out of
            # reach (4): the store named, not the audit, failed.
            code = "UNAVAILABLE" if isinstance(error, Unavailable) else "USAGE"
            raise Refused(str(error), code) from None
    if as_json:
        render.print_json(report)
    else:
        title = f"store audit: {report.events} events, {report.offices} offices"
        table = render.checks_table(title, report.checks)
        render.console.print(table)
        render.console.print(
            f"digest {report.digest.position}:{report.digest.root}", highlight=False
        )
        for finding in report.findings[:20]:
            where = ", ".join(
                f"{k} {v}"
                for k, v in (
                    ("position", finding.position),
                    ("office", finding.office),
                    ("version", finding.version),
                )
                if v is not None
            )
            # Findings quote what the store holds: shown, never handed to the terminal as it is.
            render.console.print(
                f"[red]{render.shown(finding.check)}[/]: {render.shown(where)}: "
                f"{render.shown(finding.what)}",
                highlight=False,
            )
        if report.findings_total > 20:
            render.console.print(f"... and {report.findings_total - 20} more")
    if not report.ok:
        broken = ", ".join(check for check, held in report.checks.items() if not held)
        raise AuditFailed(f"the store audit failed ({broken}): {report.findings_total} findings")


def _audit_remote(
    server: str,
    expect_digest: str | None,
    sample: int,
    as_json: bool,
    trust: list[VerifierKey],
) -> None:
    from rich.progress import Progress

    from ledger.audit.remote import compare_rule_states
    from ledger_client.audit import Digest
    from ledger_client.client import LedgerClient

    pinned = None
    if expect_digest is not None:
        position, root, merkle_root = parse.digest(expect_digest)
        pinned = Digest(position=position, root=root, merkle_root=merkle_root)
    events: list[ExportedEvent] = []
    with connect(server, LedgerClient) as client:
        # The decisions first: the log replayed after them reaches every position they state.
        decisions = _verify_decisions(client)
        with Progress(console=render.errors, transient=True) as progress:
            task = progress.add_task(
                "replaying the server's log", total=client.get_digest().position
            )

            def seen(event: ExportedEvent) -> None:
                events.append(event)
                progress.advance(task)

            positions = decisions.positions if decisions is not None else ()
            result = client.audit(expect=pinned, progress=seen, roots_at=positions, trust=trust)
        compared, problems = (
            compare_rule_states(events, client.rule_state, sample) if result.ok else (0, [])
        )
    if decisions is not None:
        decisions = decisions.against(result)
        problems += decisions.problems
    ok = result.ok and not problems
    if as_json:
        render.print_json(
            {
                **result.model_dump(mode="json"),
                "ok": ok,
                "rule_states_compared": compared,
                "decisions": None if decisions is None else decisions.model_dump(mode="json"),
                "problems": [*result.problems, *problems],
            }
        )
    else:
        verdict = "[green]holds[/]" if ok else "[bold red]broken[/]"
        render.console.print(f"remote audit of {server}: {verdict}")
        render.console.print(
            f"{result.events} events, {result.offices} offices; "
            f"digest {render.shown(result.digest)}",
            highlight=False,
        )
        if pinned is not None:
            reached = "reached" if result.ok else "NOT reached"
            render.console.print(f"pinned digest {expect_digest}: {reached}")
        render.console.print(f"rule states compared with the server's: {compared}")
        if trust:
            signers = ", ".join(result.signed_by) or "no key"
            render.console.print(
                f"signed checkpoints verified: {result.checkpoints}, signed by {signers}",
                highlight=False,
            )
        render.console.print(_decisions_line(decisions), highlight=False)
        for problem in [*result.problems, *problems][:20]:
            render.console.print(f"[red]problem[/]: {render.shown(problem)}", highlight=False)
    if not ok:
        found = len(result.problems) + len(problems)
        raise AuditFailed(f"the remote audit of {server} found {found} problems")


def _verify_decisions(client: LedgerClient) -> DecisionAudit | None:
    """The decision log's chain, replayed here; None from a server that keeps none."""
    import grpc
    from rich.progress import Progress

    from ledger_client.errors import LedgerClientError

    with Progress(console=render.errors, transient=True) as progress:
        task = progress.add_task("replaying the server's decision log", total=None)
        try:
            return client.verify_decisions(progress=lambda _: progress.advance(task))
        except LedgerClientError as error:
            if error.code == grpc.StatusCode.UNIMPLEMENTED:
                return None
            raise


def _decisions_line(decisions: DecisionAudit | None) -> str:
    if decisions is None:
        return "decisions: not checked (this server keeps no decision log)"
    if not decisions.ok:
        return f"decisions: [bold red]broken[/] ({decisions.decisions} replayed)"
    if decisions.decisions == 0:
        return "decisions: none logged"
    checked = decisions.digests_checked
    return (
        f"decisions: {decisions.decisions} verified; the digests they state match the log at "
        f"{checked} {'position' if checked == 1 else 'positions'}"
    )


COMMANDS = {"digest": digest, "audit": audit}
