"""What a store audit reports: every check, and what it found wrong, first broken event first."""

from __future__ import annotations

from pydantic import Field

from ledger.domain.errors import LedgerError
from ledger.domain.values import Value

__all__ = ["AuditReport", "Finding", "Digest", "NothingToAudit"]


class Digest(Value):
    position: int
    root: str


class Finding(Value):
    """One thing found wrong; the first is the first broken event."""

    check: str
    position: int | None = None
    office: str | None = None
    version: int | None = None
    what: str


class AuditReport(Value):
    ok: bool
    events: int
    offices: int
    digest: Digest
    checks: dict[str, bool]
    findings: tuple[Finding, ...] = ()
    findings_total: int = 0
    replay_seconds: float = Field(description="reading, hashing, linking and the digest")
    rebuild_seconds: float = Field(description="rebuilding and comparing the read model")


class NothingToAudit(LedgerError):
    """The database named is not a ledger's."""
