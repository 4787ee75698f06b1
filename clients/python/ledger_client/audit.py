"""The audit trail: the ledger digest, the log exactly as stored, and a replay that trusts
nothing the server says (``ledger_api.verify``)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence

from pydantic import Field

from ledger_api.merkle import TreeHasher
from ledger_api.note import Checkpoint, VerifierKey
from ledger_api.verify import GENESIS, ChainVerifier
from ledger_client.checkpoints import CheckpointAudit, Checkpoints
from ledger_client.models import Model

__all__ = ["Audit", "Digest", "ExportedEvent", "RemoteAudit"]


class Digest(Model):
    """The ledger digest after the event at ``position``; pin it to check the ledger later.

    ``root`` chains every event (the linear digest); ``merkle_root`` is the Merkle tree's hash
    of the same positions, against which single events and later trees are proved
    (``LedgerClient.prove_event``, ``prove_extends``)."""

    position: int = 0  # an empty ledger's, which the wire leaves out
    root: str
    merkle_root: str = ""

    def __str__(self) -> str:
        return f"{self.position}:{self.root}"

    def pin(self) -> str:
        """``POSITION:ROOT:MERKLE_ROOT``: the digest to keep, for ``parse`` later."""
        return f"{self.position}:{self.root}:{self.merkle_root}"

    @classmethod
    def parse(cls, text: str) -> Digest:
        """``POSITION:ROOT``, as ``str()`` writes it, or ``POSITION:ROOT:MERKLE_ROOT``, as
        ``pin()`` does."""
        position, _, rest = text.partition(":")
        root, _, merkle_root = rest.partition(":")
        return cls(position=int(position), root=root, merkle_root=merkle_root)

    @classmethod
    def signed_by(cls, checkpoint: Checkpoint) -> Digest:
        """The digest a signed checkpoint vouches for: a pin for the proofs."""
        return cls(
            position=checkpoint.size,
            root=checkpoint.chain_root,
            merkle_root=checkpoint.merkle_root.hex(),
        )


class ExportedEvent(Model):
    position: int
    office_id: str
    office_version: int
    type: str
    stored_json: bytes


class RemoteAudit(Model):
    """What a client-side replay of the whole log found."""

    ok: bool
    events: int
    offices: int
    digest: Digest
    server_digest: Digest
    pinned: Digest | None = None
    problems: tuple[str, ...] = ()
    # With trusted keys: the signed checkpoints verified, and the keys that signed them.
    checkpoints: int = 0
    signed_by: tuple[str, ...] = ()
    # The replay's roots at the positions asked for (``roots_at``): what a decision logged at
    # one of them must state (``DecisionAudit.against``). Not part of the report.
    roots: dict[int, str] = Field(default_factory=dict, exclude=True)


class Audit(Checkpoints):
    """Digests, the export, and the remote audit."""

    def get_digest(self) -> Digest:
        return Digest.model_validate(self.call("GetDigest")["digest"])

    def verify_digest(self, pinned: Digest) -> Digest:
        """The digest now, if ``pinned`` is a prefix of the ledger (the server's word for it)."""
        request = {"pinned": {"position": pinned.position, "root": pinned.root}}
        return Digest.model_validate(self.call("VerifyDigest", request)["current"])

    def export(self, after_position: int = 0, *, batch_size: int = 0) -> Iterator[ExportedEvent]:
        """The log exactly as stored, in order, from ``after_position``."""
        request = {"after_position": after_position, "batch_size": batch_size}
        for reply in self.stream("ExportLedger", request):
            for event in reply.events:
                yield ExportedEvent(
                    position=event.position,
                    office_id=event.office_id,
                    office_version=event.office_version,
                    type=event.type,
                    stored_json=event.stored_json,
                )

    def audit(
        self,
        *,
        expect: Digest | None = None,
        progress: Callable[[ExportedEvent], None] | None = None,
        roots_at: Collection[int] = (),
        trust: Sequence[VerifierKey] = (),
    ) -> RemoteAudit:
        """Replay the whole log here, trusting nothing the server says.

        Every hash is recomputed from the stored bytes, every link, version and position is
        checked, and the digest is recomputed: it must equal the server's current digest, and,
        if ``expect`` was pinned earlier, reach the pinned root at the pinned position. The
        roots reached at ``roots_at`` are kept in the result's ``roots``.
        """
        server = self.get_digest()
        keep = frozenset(roots_at) | ({expect.position} if expect else set())
        # Positions must increase; on PostgreSQL they may skip numbers a lost race used up.
        verifier = ChainVerifier(contiguous=False, keep_roots_at=keep)
        tree, pinned_tree = TreeHasher(), TreeHasher().root().hex()
        signed = CheckpointAudit(self.checkpoint_notes(), trust) if trust else None
        for event in self.export():
            if event.position > server.position:
                break  # written after the digest was read: checked next time
            hash_ = verifier.add(
                event.position, event.office_id, event.office_version, event.type, event.stored_json
            )
            tree.add(event.position, hash_)
            if signed is not None:
                signed.reached(event.position, verifier.root, tree.root)
            if expect is not None and event.position == expect.position:
                pinned_tree = tree.root().hex()
            if progress is not None:
                progress(event)
        problems = [str(problem) for problem in verifier.problems]
        if signed is not None:
            problems += signed.finish(server.position)
        mine = Digest(position=verifier.position, root=verifier.root, merkle_root=tree.root().hex())
        if str(mine) != str(server):
            problems.append(f"the replay gives digest {mine}, the server says {server}")
        elif server.merkle_root and mine.merkle_root != server.merkle_root:
            problems.append(
                f"the replay gives the Merkle root {mine.merkle_root} at position "
                f"{mine.position}, the server says {server.merkle_root}"
            )
        if expect is not None:
            reached = GENESIS if expect.position == 0 else verifier.roots.get(expect.position)
            if reached is None:
                problems.append(
                    f"the pinned digest {expect} is beyond the log, which ends at position "
                    f"{verifier.position}: events were removed"
                )
            elif reached != expect.root:
                problems.append(
                    f"at position {expect.position} the replay gives root {reached}, not the "
                    f"pinned {expect.root}: the log up to the pinned digest was rewritten"
                )
            elif expect.merkle_root and pinned_tree != expect.merkle_root:
                problems.append(
                    f"at position {expect.position} the replay gives the Merkle root "
                    f"{pinned_tree}, not the pinned {expect.merkle_root}: the pin was not this "
                    "ledger's"
                )
        return RemoteAudit(
            ok=not problems,
            events=verifier.events,
            offices=verifier.offices,
            digest=mine,
            server_digest=server,
            pinned=expect,
            problems=tuple(problems),
            checkpoints=signed.verified if signed else 0,
            signed_by=tuple(sorted(signed.signers)) if signed else (),
            roots={
                position: verifier.roots[position]
                for position in roots_at
                if position in verifier.roots
            },
        )
