"""The ledger's refusals: one base, a few kinds, and the domain's own errors.

Every refusal is a ``LedgerError`` of one *kind* (not found, already exists, invalid, a failed
precondition, a conflict, unavailable); the server maps each kind to one status code, so a new
error needs no mapping of its own. ``fields`` names the request fields a refusal is about,
when it can say.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from ledger.domain.values import ChangeKind

if TYPE_CHECKING:
    from ledger.domain.office import Change
    from ledger.domain.values import Admissibility, Dimension, Enforcement, Inspection

__all__ = [
    "LedgerError",
    "NotFound",
    "AlreadyExists",
    "InvalidRequest",
    "PreconditionFailed",
    "Conflict",
    "Unavailable",
    "Exhausted",
    "StorageFault",
    "StorageUnavailable",
    "StorageFull",
    "OfficeNotFound",
    "OfficeAlreadyRegistered",
    "ChangeNotFound",
    "ChangeAlreadyRetracted",
    "NothingToAmend",
    "AmendmentContradicts",
    "DirectionViolation",
    "ChainBroken",
]


class LedgerError(Exception):
    """Base of every refusal; each names what was refused and why."""

    @property
    def fields(self) -> tuple[tuple[str, str], ...]:
        """The offending request fields, as (path, what is wrong); empty when none applies."""
        return ()


class NotFound(LedgerError):
    """What the request names does not exist."""


class AlreadyExists(LedgerError):
    """What the request would create exists already."""


class InvalidRequest(LedgerError):
    """The request itself is wrong, whatever the ledger holds."""


class PreconditionFailed(LedgerError):
    """The request is well formed, but the ledger's state refuses it."""


class Conflict(LedgerError):
    """Another write got there first; reading again and retrying may succeed."""


class Unavailable(LedgerError):
    """Not now: the same request may succeed later, or on another server."""


class Exhausted(LedgerError):
    """A limit is reached: the request asks too much at once (split it), or there is no room
    left to store it (try later)."""


class StorageFault(LedgerError):
    """The database, not the request, is at fault. While one lasts the server reports
    NOT_SERVING; the next write that succeeds clears it."""


class StorageUnavailable(StorageFault, Unavailable):
    """The database cannot be used now (connection lost, file gone); the same request, with the
    same request id, may be retried. ``passing``: a fault that a call reading the database
    shows to be over (a lost connection), unlike a file gone, which only a write clears."""

    def __init__(self, message: str, *, passing: bool = False) -> None:
        super().__init__(message)
        self.passing = passing


class StorageFull(StorageFault, Exhausted):
    """The database has no room left to store the request; nothing was stored."""


class OfficeNotFound(NotFound):
    def __init__(self, code: str) -> None:
        super().__init__(f"office {code} is not registered")
        self.code = code


class OfficeAlreadyRegistered(AlreadyExists):
    def __init__(self, code: str) -> None:
        super().__init__(f"office {code} is already registered")
        self.code = code


class ChangeNotFound(NotFound):
    def __init__(self, office: str, change_id: UUID) -> None:
        super().__init__(f"office {office} has no change {change_id}")
        self.change_id = change_id


class ChangeAlreadyRetracted(PreconditionFailed):
    def __init__(self, office: str, change_id: UUID) -> None:
        super().__init__(f"change {change_id} of office {office} is retracted")
        self.change_id = change_id


class NothingToAmend(InvalidRequest):
    def __init__(self, change_id: UUID) -> None:
        super().__init__(
            f"an amendment of change {change_id} must correct its effective date, restate a "
            "dimension of its measure, or clear one, e.g. --enforcement fine or --clear "
            "inspection"
        )


class AmendmentContradicts(InvalidRequest):
    """An amendment that both restates and clears a dimension, or clears every one."""

    def __init__(self, change_id: UUID, reason: str) -> None:
        super().__init__(f"the amendment of change {change_id} {reason}")
        self.change_id = change_id

    @property
    def fields(self) -> tuple[tuple[str, str], ...]:
        return (("clear", str(self)),)


class DirectionViolation(PreconditionFailed):
    """A tightening that loosens, or a loosening that tightens, some dimension."""

    def __init__(
        self,
        kind: ChangeKind,
        dimension: Dimension,
        new: Admissibility | Inspection | Enforcement,
        prior: Change,
        *,
        comparable: bool,
    ) -> None:
        tightening = kind is ChangeKind.TIGHTENED
        verb = "tightening" if tightening else "loosening"
        relation = (
            ("is looser than" if tightening else "is stricter than")
            if comparable
            else "cannot be ordered against"
        )
        super().__init__(
            f"a {verb} cannot set {dimension} to {new}: it {relation} the prior measure "
            f"({prior.measure}, change {prior.change_id}, effective {prior.effective}); "
            "record a mixed change as two events"
        )
        self.dimension = dimension
        self.prior = prior


class ChainBroken(LedgerError):
    """An event that does not link to the previous event of its office: the store was altered."""

    def __init__(self, office_id: UUID, version: int, prev_hash: str, last_hash: str) -> None:
        super().__init__(
            f"event {version} of office {office_id} links to {prev_hash}, but the previous "
            f"event's hash is {last_hash}"
        )
