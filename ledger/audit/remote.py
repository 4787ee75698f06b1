"""The remote audit's second half: rule states rebuilt here from a server's own log, compared
with the server's answers.

The client library replays and verifies the log it exports (``LedgerClient.audit``); this
rebuilds the read model from the same events, in memory, with the ledger's own projection, and
asks the server for the rule state at the window edges of every change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta
from typing import Any

from ledger.audit.store import Exported, stored_event
from ledger.bootstrap import Ledger
from ledger.domain.events import EVENTS
from ledger.readmodel.answers import StateRequest
from ledger.settings import Settings

__all__ = ["compare_rule_states"]

# The server's rule state of an office at a date: its scopes, in any model with the same fields.
AskState = Callable[[str, date], Any]


def compare_rule_states(
    events: Iterable[Exported], ask: AskState, sample: int
) -> tuple[int, list[str]]:
    """Rebuild rule states here from the exported (and verified) ``events``, and compare them
    with the server's answers (``ask(office, date)``, whose ``scopes`` are compared) at
    ``sample`` dates per office: the window edges of its changes.

    Returns how many (office, date) states were compared, and every disagreement.
    """
    events = list(events)
    unknown = sorted({e.type for e in events} - EVENTS.keys())
    if unknown:
        return 0, [f"unknown event types in the log: {', '.join(unknown)}"]
    compared, problems = 0, []
    with Ledger(Settings(database_url="memory://")) as local:
        local.app.recorder.insert_events([stored_event(event) for event in events])
        local.follower.catch_up()
        for office in local.reader.offices():
            for at in _sample_dates(local.view.revisions_of_office(office.code), sample):
                theirs = ask(office.code, at)
                mine = local.reader.state(StateRequest(office=office.code, at=at))
                compared += 1
                if _shape(theirs.scopes) != _shape(mine.scopes):
                    problems.append(
                        f"{office.code} on {at}: the server's rule state differs from the one "
                        "rebuilt from its own log"
                    )
    return compared, problems


def _sample_dates(revisions: list[Any], sample: int) -> list[date]:
    edges = sorted(
        {r.start for r in revisions}
        | {r.end for r in revisions}
        | {r.start - timedelta(days=1) for r in revisions if r.start > date.min}
    )
    if len(edges) <= sample:
        return edges
    step = len(edges) / sample
    return [edges[int(i * step)] for i in range(sample)]


def _shape(scopes: Any) -> list[Any]:
    """What must agree, whichever side's models hold it."""
    return [
        (
            (str(s.scope.direction), str(s.scope.channel), str(s.scope.traveller), s.scope.goods),
            s.uncertain,
            [
                (
                    None
                    if st.admissibility is None
                    else (
                        str(st.admissibility.kind),
                        st.admissibility.quantity,
                        st.admissibility.amount,
                        st.admissibility.currency,
                    ),
                    None if st.inspection is None else str(st.inspection),
                    None if st.enforcement is None else str(st.enforcement),
                    sorted((r.dimension, str(r.change_id)) for r in st.rulings),
                )
                for st in s.states
            ],
        )
        for s in scopes
    ]
