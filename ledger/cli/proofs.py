"""Merkle proofs, checked here: ``prove`` (an event is in the log, at its position),
``verify-answer`` (every event an answer names is), and ``extends`` (the log now extends a
digest pinned earlier), each from a few dozen hashes instead of the whole log; and
``checkpoint``, the server's latest signed checkpoint. With ``--trust KEY`` the tree is the one
a signed checkpoint vouches for, verified with that key. The checking is the client's
(``ledger_api.merkle``, ``ledger_api.note``); the server's word is not taken for anything.
Exit status 0 when every proof holds, 5 when one does not.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ledger.cli import parse, render
from ledger.cli.failures import AuditFailed, Usage
from ledger.cli.options import JsonOption, ServerOption, connect, connects
from ledger.cli.trail import trusted_keys

if TYPE_CHECKING:
    from ledger_api.note import Checkpoint, VerifierKey
    from ledger_client.audit import Digest
    from ledger_client.client import LedgerClient

__all__ = ["COMMANDS"]

_PIN = "POSITION:ROOT:MERKLE_ROOT as `ledger digest` prints it"

TrustOption = Annotated[
    list[str] | None,
    typer.Option(
        help="A verifier key (NAME+HASH+KEY, or its .pub file): prove against the latest "
        "checkpoint the server signed, verified with it; repeat for several keys.",
        show_default=False,
    ),
]


@connects
def prove(
    position: Annotated[int, typer.Argument(min=1, help="The event's global position.")],
    tree: Annotated[
        str | None,
        typer.Option(help=f"The tree to prove it in, {_PIN}; default: the server's current one."),
    ] = None,
    server: ServerOption = "127.0.0.1:50051",
    as_json: JsonOption = False,
) -> None:
    """Check that the event at POSITION is in the log, from its inclusion proof."""
    from ledger_client.client import LedgerClient
    from ledger_client.proofs import ProofError

    pinned = _pin(tree, "--tree") if tree is not None else None
    with connect(server, LedgerClient) as client:
        try:
            proof = client.prove_event(position, pinned)
        except ProofError as error:
            raise AuditFailed(f"the event at position {position} is not proved: {error}") from None
    if as_json:
        render.print_json(proof)
        return
    event = proof.event
    render.console.print(
        f"[green]proved[/]: the event at position {position} ({event.type}, version "
        f"{event.office_version} of its office, hash {proof.hash}) is in the tree "
        f"{render.shown(proof.tree.pin())}, checked here from {len(proof.path)} hashes",
        highlight=False,
    )


@connects
def extends(
    pinned: Annotated[
        str,
        typer.Argument(
            help=f"A digest pinned earlier, {_PIN}; or, with --trust, a file holding a "
            "signed checkpoint saved earlier (`ledger checkpoint > FILE`)."
        ),
    ],
    trust: TrustOption = None,
    server: ServerOption = "127.0.0.1:50051",
    as_json: JsonOption = False,
) -> None:
    """Check that the log now extends a digest pinned earlier, from a consistency proof:
    nothing up to the pinned position was changed or removed."""
    from ledger_client.client import LedgerClient
    from ledger_client.proofs import ProofError

    keys = trusted_keys(trust or [])
    digest = _saved_checkpoint(pinned, keys) if keys else None
    digest = digest or _pin(pinned, "PINNED")
    with connect(server, LedgerClient) as client:
        signed = _latest(client, keys) if keys else None
        try:
            current = client.prove_extends(digest, signed.size if signed else 0)
            if signed is not None and current.merkle_root != signed.merkle_root.hex():
                raise ProofError(
                    f"the server's tree of size {signed.size} has Merkle root "
                    f"{current.merkle_root}, not the one its signed checkpoint states"
                )
        except ProofError as error:
            raise AuditFailed(f"the log does not extend {pinned}: {error}") from None
    if as_json:
        render.print_json(
            {"pinned": digest.model_dump(mode="json"), "current": current.model_dump(mode="json")}
        )
        return
    render.console.print(
        f"[green]extends[/]: the log at {render.shown(current.pin())} extends the pinned "
        f"{render.shown(digest.pin())}, checked here",
        highlight=False,
    )


@connects
def verify_answer(
    answer: Annotated[
        typer.FileText,
        typer.Argument(
            help="A Check or CompareOffices reply as `ledger check --json` prints it (a file, "
            "or - for standard input)."
        ),
    ],
    tree: Annotated[
        str | None,
        typer.Option(help=f"The tree to prove them in, {_PIN}; default: the current one."),
    ] = None,
    trust: TrustOption = None,
    server: ServerOption = "127.0.0.1:50051",
    as_json: JsonOption = False,
) -> None:
    """Check that every event an answer names (its event_ids) is in the log, each from its
    inclusion proof, without the log; with --trust, in the tree of a checkpoint signed by
    that key."""
    from ledger_client.audit import Digest
    from ledger_client.client import LedgerClient
    from ledger_client.proofs import ProofError

    try:
        named = _event_ids(json.load(answer))
    except ValueError as error:
        raise Usage(f"{answer.name} is not JSON ({error}): {_ANSWER}") from None
    if not named:
        raise Usage(f"{answer.name} names no events (no event_ids): {_ANSWER}")
    keys = trusted_keys(trust or [])
    if keys and tree is not None:
        raise Usage("give --tree or --trust, not both: --trust proves in the signed tree")
    pinned = _pin(tree, "--tree") if tree is not None else None
    with connect(server, LedgerClient) as client:
        if keys:
            pinned = Digest.signed_by(_latest(client, keys))
        if pinned is None:
            pinned = client.get_digest()
        proofs = []
        for event_id in named:
            try:
                proofs.append(client.prove_event_id(event_id, pinned))
            except ProofError as error:
                raise AuditFailed(f"the event {event_id} is not proved: {error}") from None
    if as_json:
        events = [proof.model_dump(mode="json") for proof in proofs]
        render.print_json({"tree": pinned.model_dump(mode="json"), "events": events})
        return
    for proof in proofs:
        stored = json.loads(proof.event.stored_json)
        render.console.print(
            f"proved: {stored['event_id']} at position {proof.event.position} "
            f"({proof.event.type}), from {len(proof.path)} hashes",
            highlight=False,
        )
    render.console.print(
        f"[green]verified[/]: the answer's {len(proofs)} events are in the tree "
        f"{render.shown(pinned.pin())}, checked here",
        highlight=False,
    )


@connects
def checkpoint(
    trust: Annotated[
        list[str] | None,
        typer.Option(
            help="A verifier key (NAME+HASH+KEY, or its .pub file) the checkpoint must verify "
            "with; repeat for several keys.",
            show_default=False,
        ),
    ] = None,
    server: ServerOption = "127.0.0.1:50051",
    as_json: JsonOption = False,
) -> None:
    """The latest checkpoint the server signed, as the signed note: save it to check later
    that the log extends it (`ledger extends FILE --trust KEY`)."""
    from ledger_api.note import open_checkpoint

    keys = trusted_keys(trust or [])
    with connect(server) as connection:
        found = connection.call("ListCheckpoints", {"latest": True}).get("checkpoints", [])
    note = found[0].get("note", "") if found else ""
    if not note:
        raise AuditFailed("the server has no signed checkpoint: it was started without a key")
    signed = _verified(lambda: open_checkpoint(note, keys)) if keys else None
    if as_json:
        size = signed.size if signed else None
        render.print_json({"note": note, "verified": signed is not None, "size": size})
    else:
        render.console.print(note, end="", highlight=False, markup=False)


def _latest(client: LedgerClient, keys: list[VerifierKey]) -> Checkpoint:
    return _verified(lambda: client.latest_checkpoint(keys))


def _saved_checkpoint(path: str, keys: list[VerifierKey]) -> Digest | None:
    """The digest a checkpoint saved in the file ``path`` signs, or None if there is no such
    file."""
    from pathlib import Path

    from ledger_api.note import open_checkpoint
    from ledger_client.audit import Digest

    file = Path(path)
    if not file.is_file():
        return None
    try:
        note = file.read_text()
    except (OSError, UnicodeDecodeError) as error:
        why = error.strerror if isinstance(error, OSError) else "it is not UTF-8 text"
        raise Usage(
            f"PINNED {path} cannot be read as a signed checkpoint ({why}): save one with "
            "`ledger checkpoint > FILE`"
        ) from None
    return Digest.signed_by(_verified(lambda: open_checkpoint(note, keys)))


def _verified(open_it: Callable[[], Checkpoint]) -> Checkpoint:
    from ledger_api.note import NoteError

    try:
        return open_it()
    except NoteError as error:
        raise AuditFailed(f"the signed checkpoint is refused: {error}") from None


_ANSWER = "give a Check or CompareOffices reply as `ledger check ... --json` prints it"


def _event_ids(data: Any) -> list[str]:
    """Every id under an ``event_ids`` key anywhere in ``data``, once each, in order."""
    found: dict[str, None] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "event_ids" and isinstance(value, list):
                found.update(dict.fromkeys(str(item) for item in value))
            else:
                found.update(dict.fromkeys(_event_ids(value)))
    elif isinstance(data, list):
        for item in data:
            found.update(dict.fromkeys(_event_ids(item)))
    return list(found)


def _pin(text: str, option: str) -> Digest:
    from ledger_client.audit import Digest

    position, root, merkle_root = parse.digest(text, option)
    if not merkle_root:
        raise Usage(
            f"{option} {text} has no Merkle root to check a proof against: pin the digest "
            f"{_PIN}, e.g. 9:ba78...15ad:5dc9...4328"
        )
    return Digest(position=position, root=root, merkle_root=merkle_root)


COMMANDS = {
    "prove": prove,
    "verify-answer": verify_answer,
    "extends": extends,
    "checkpoint": checkpoint,
}
