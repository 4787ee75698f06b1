"""The seed story (shared/seed/dandong-customs-article.txt), told through the example ledger."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ledger.application.importer import import_file
from ledger.bootstrap import Ledger
from ledger.readmodel.answers import CompareRequest, Verdict
from tests.support import check

EXAMPLE = Path(__file__).parents[2] / "examples" / "dandong-2025.jsonl"


@pytest.fixture
def story(any_ledger: Ledger) -> Ledger:
    import_file(any_ledger.app, EXAMPLE)
    return any_ledger


class TestSeedStory:
    def test_a_workers_rice_cooker_before_during_and_after_the_ban(self, story: Ledger) -> None:
        before = check(story, "2025-02-20", "8516.60", 1)
        assert before.verdict is Verdict.ALLOWED
        assert check(story, "2025-02-20", "8516.60", 3).verdict is Verdict.LIMIT_EXCEEDED

        during = check(story, "2025-03-05", "8516.60", 1)
        assert during.verdict is Verdict.UNCERTAIN
        assert [c.verdict for c in during.candidates] == [Verdict.ALLOWED, Verdict.PROHIBITED]

        after = check(story, "2025-03-20", "8516.60", 1)
        assert after.verdict is Verdict.PROHIBITED
        assert after.enforcement is not None and after.enforcement.value == "confiscation"
        assert [s.published for s in after.sources] == [date(2025, 3, 19)]
        assert after.governing is not None
        assert after.governing.change_id in after.event_ids

    def test_what_the_sources_had_reported_by_mid_march(self, story: Ledger) -> None:
        as_reported = check(
            story, "2025-03-20", "8516.60", 1, known_at=date(2025, 3, 15), basis="reported"
        )
        assert as_reported.verdict is Verdict.ALLOWED
        assert all(s.published < date(2025, 3, 15) for s in as_reported.sources)

    def test_trade_moves_to_hunchun_and_changbai(self, story: Ledger) -> None:
        ranking = story.reader.compare(
            CompareRequest(
                offices=("CN-DANDONG", "CN-HUNCHUN", "CN-CHANGBAI"),
                at=date(2025, 4, 28),
                direction="outbound",
                channel="cargo-road",
                traveller="trader",
                items=({"goods": "electronics"},),
            )
        )
        order = [(entry.office, entry.rank, entry.standing.value) for entry in ranking.offices]
        # Changbai and Hunchun tie (allowed, light inspection, on an informant's word); no
        # rule says whether electronics may leave Dandong by road: unknown, after them.
        assert order == [
            ("CN-CHANGBAI", 1, "ranked"),
            ("CN-HUNCHUN", 1, "ranked"),
            ("CN-DANDONG", 0, "unknown"),
        ]
        dandong = ranking.offices[2].result.items[0]
        hunchun = ranking.offices[1].result.items[0]
        assert hunchun.verdict.value == "ALLOWED"
        # Allowed on an informant's word (a reference, no URL); inspection on Daily NK's.
        assert {source.publisher: source.url is None for source in hunchun.sources} == {
            "Daily NK source in China": True,
            "Daily NK": False,
        }
        assert dandong.inspection is not None and dandong.inspection.value == "rigorous"
        assert hunchun.inspection is not None and hunchun.inspection.value == "light"

    def test_before_the_relaxation_was_reported_the_routes_look_alike(self, story: Ledger) -> None:
        hunchun = check(
            story,
            "2025-04-28",
            "electronics",
            office="CN-HUNCHUN",
            channel="cargo-road",
            traveller="trader",
            known_at=date(2025, 4, 27),
            basis="reported",
        )
        assert hunchun.verdict is Verdict.NO_RULE
        assert hunchun.inspection is None
