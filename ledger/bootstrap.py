"""The composition root: one ledger over one database, its parts wired together.

``Ledger`` builds the application (commands, ``ledger.application``) on the storage backend the
settings name (``ledger.storage``), the projection that follows its log into the read model,
and the read side (``ledger.readmodel``); every save brings the projection up to date before
the command returns. It decides nothing: the server, the CLI's database commands and the
audit open one, and use its parts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from ledger.application.app import LedgerApplication
from ledger.application.decisions import DecisionWriter
from ledger.application.signing import SigningKey
from ledger.readmodel.decided import DecisionIndex
from ledger.readmodel.effective import EffectiveIndex
from ledger.readmodel.follower import ProjectionFollower
from ledger.readmodel.impact import Impacts
from ledger.readmodel.index import RuleIndex
from ledger.readmodel.projection import RuleProjection
from ledger.readmodel.reader import Reader
from ledger.readmodel.signed import SignedCheckpoints
from ledger.readmodel.upcoming import ServerClock
from ledger.settings import Settings
from ledger.storage import environment

if TYPE_CHECKING:
    from types import TracebackType

    from ledger.storage.factory import LedgerFactory, Listener

__all__ = ["Ledger"]


class Ledger:
    """Application + projection + read side over one database.

    ``app`` takes the commands (``app.execute``), ``reader`` answers the questions."""

    def __init__(self, settings: Settings | None = None) -> None:
        settings = settings or Settings()
        path = settings.signing_key_file
        key = SigningKey.read(path) if path is not None else None
        self.app = LedgerApplication(env=environment(settings))
        self.app.office_locks.timeout = settings.max_wait_seconds
        self.factory = cast("LedgerFactory", self.app.factory)
        self.view = self.factory.rule_view()
        # The decision log, and its group commit (its thread starts with the first decision).
        self.decisions = self.factory.decision_store()
        self.decision_writer = DecisionWriter(self.decisions)
        self.index = RuleIndex(self.view, budget=settings.index_revisions)
        self.effective = EffectiveIndex(self.view)
        self.projection = RuleProjection(self.view, self.index, self.effective)
        self.changes = self.factory.data_version()
        self.follower = ProjectionFollower(self.app, self.projection, self.changes)
        clock = ServerClock(settings.today, settings.today_file)
        self.reader = Reader(self.app, self.follower, self.view, self.index, clock)
        # Logged decisions on the read side: found by what they asked, answered again.
        self.decision_index = DecisionIndex(self.decisions)
        self.impacts = Impacts(self.reader, self.decision_index, settings.max_impact_candidates)
        # Checkpoints signed after each write, with a key (``ledger key new``).
        self.signed = SignedCheckpoints(
            self.reader, self.projection, self.factory.signed_store(), key
        )
        if key is not None:  # a write's checkpoint is signed in its projection's run
            self.projection.signer = self.signed.note
        self.app.on_saved.append(self.follower.follow_saved)
        self.app.on_saved.append(self.signed.after_save)
        self.app.on_saved.append(lambda _saved: self.reader.announce())
        self.follower.catch_up()  # events saved while no process was following
        if self.factory.writes:
            self.signed.adopt()

    def listener(self) -> Listener | None:
        """A thread that follows other processes' writes as they commit, where the database
        can tell (PostgreSQL); start it, and stop it before ``close``."""
        return self.factory.listener(self.app.recorder, self.reader.follow)

    def rebuild(self) -> int:
        """Replay the whole log into a fresh read model; returns the events replayed."""
        self.effective.clear()
        return self.follower.rebuild()

    def close(self) -> None:
        self.decision_writer.close()  # what is waiting is stored first
        if self.changes is not None:
            self.changes.close()
        self.app.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
