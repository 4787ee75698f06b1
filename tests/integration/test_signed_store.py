"""Signed checkpoints in the store, on every backend: a ledger with a key signs each write's
checkpoint in its projection's run (or, failing that, just after it), the notes verify with
the client's code and cover every event; a rebuild of the read model keeps them; a signature
that cannot be made never fails the write; a ledger without a key signs nothing."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger.application.commands import RecordChange
from ledger.application.signing import SigningKey
from ledger.bootstrap import Ledger
from ledger.readmodel.proofs import Proofs
from ledger.settings import Settings
from ledger_api.note import VerifierKey, open_checkpoint
from tests.conftest import fresh_database, need_postgres
from tests.support import DANDONG, WORKER_BAGGAGE, limit, record, register, request_id, source

KEY = SigningKey.generate("customs-ledger.example.org")


def _settings(backend: str, tmp_path: Path) -> Iterator[Settings]:
    key = tmp_path / "ledger.key"
    key.write_text(KEY.encoded + "\n")
    if backend == "memory":
        yield Settings(database_url="memory://", signing_key_file=key)
        return
    if backend == "postgres":
        need_postgres()
    with fresh_database(backend, tmp_path) as url:
        yield Settings(database_url=url, signing_key_file=key)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    yield from _settings(request.param, tmp_path)


@pytest.fixture(params=["sqlite", "postgres"])
def stored(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """A database that outlives a ``Ledger``."""
    yield from _settings(request.param, tmp_path)


def observe(ledger: Ledger) -> Any:
    return record(ledger, "observed", limit(2), "2025-03-20")


def observation(number: int) -> RecordChange:
    return RecordChange(
        request_id=request_id(),
        office=DANDONG,
        kind="observed",
        scope=WORKER_BAGGAGE,
        measure=limit(number),
        effective={"on": "2025-03-20"},
        sources=(source(),),
    )


def write(ledger: Ledger, count: int) -> list[tuple[int, int]]:
    """``count`` writes (a registration, then observations); each one's first and last
    position."""
    spans = []
    for number in range(count):
        receipt = register(ledger) if number == 0 else observe(ledger)
        spans.append((receipt.position, receipt.position))
    return spans


def notes(ledger: Ledger) -> list[tuple[int, str]]:
    return ledger.signed.store.after(0, 1000)


def test_each_write_is_signed_and_every_note_verifies_with_the_trees_roots(
    settings: Settings,
) -> None:
    trusted = [VerifierKey.parse(KEY.verifier)]
    with Ledger(settings) as ledger:
        spans = write(ledger, 5)
        spans.append(_batch(ledger))
        kept = notes(ledger)
        assert [size for size, _ in kept] == [last for _, last in spans]
        for (first, last), (_, note) in zip(spans, kept, strict=True):
            checkpoint = open_checkpoint(note, trusted)
            head = Proofs(ledger.reader).head(last)
            assert (checkpoint.first, checkpoint.size) == (first, last)
            assert checkpoint.merkle_root.hex() == head["merkle_root"]
            assert checkpoint.chain_root == head["root"]
        assert ledger.projection.signed_sizes == set()  # each write looked, and forgot it
        assert ledger.signed.latest() == kept[-1][1]
        assert ledger.signed.latest(at_most=kept[-1][0] - 1) == kept[-2][1]


def _batch(ledger: Ledger) -> tuple[int, int]:
    """Three observations in one write."""
    executed = ledger.app.execute_batch([observation(number) for number in (3, 4, 5)])
    positions = [receipt.position for receipt in executed.receipts]
    return min(positions), max(positions)


def test_writers_in_threads_each_get_their_write_signed_and_every_event_is_covered(
    settings: Settings,
) -> None:
    offices = [f"CN-T{number}" for number in range(4)]
    with Ledger(settings) as ledger:
        for office in offices:
            register(ledger, office)
        ends: list[int] = []

        def writer(office: str) -> None:
            for quantity in range(1, 11):
                receipt = record(ledger, "observed", limit(quantity), "2025-03-20", office=office)
                ends.append(receipt.position)

        threads = [threading.Thread(target=writer, args=(office,)) for office in offices]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        kept = dict(notes(ledger))
        assert set(ends) <= set(kept)
        trusted = [VerifierKey.parse(KEY.verifier)]
        covered = set()
        for size, note in kept.items():
            checkpoint = open_checkpoint(note, trusted)
            assert checkpoint.merkle_root.hex() == Proofs(ledger.reader).head(size)["merkle_root"]
            covered.update(range(checkpoint.first, size + 1))
        assert covered == set(range(1, ledger.reader.digest().position + 1))
        assert ledger.projection.signed_sizes == set()


def test_a_write_the_projection_did_not_sign_is_signed_just_after_it(settings: Settings) -> None:
    with Ledger(settings) as ledger:
        ledger.projection.signer = None
        spans = write(ledger, 3)
        assert [size for size, _ in notes(ledger)] == [last for _, last in spans]


def test_a_signature_that_cannot_be_made_or_kept_never_fails_the_write(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with Ledger(settings) as ledger:
        write(ledger, 1)

        def broken(*_: object) -> str:
            raise OSError("disk gone")

        monkeypatch.setattr(ledger.projection, "signer", broken)
        monkeypatch.setattr(ledger.signed.store, "add", broken)
        receipt = observe(ledger)
        assert ledger.reader.digest().position == receipt.position
        assert notes(ledger)[-1][0] < receipt.position
        assert f"the checkpoint of size {receipt.position} was not signed" in caplog.text


def test_a_rebuild_of_the_read_model_keeps_the_signed_checkpoints(stored: Settings) -> None:
    with Ledger(stored) as ledger:
        write(ledger, 3)
        before = notes(ledger)
        ledger.rebuild()
        assert notes(ledger) == before


def test_a_ledger_without_a_key_signs_nothing(settings: Settings) -> None:
    with Ledger(settings.model_copy(update={"signing_key_file": None})) as ledger:
        write(ledger, 3)
        assert notes(ledger) == []
        assert ledger.signed.latest() == ""


def test_a_key_set_on_a_ledger_written_without_one_adopts_its_log_once(stored: Settings) -> None:
    with Ledger(stored.model_copy(update={"signing_key_file": None})) as ledger:
        write(ledger, 3)
        size = ledger.reader.digest().position
    with Ledger(stored) as ledger:
        adopted = open_checkpoint(ledger.signed.latest(), [VerifierKey.parse(KEY.verifier)])
        assert (adopted.first, adopted.size) == (1, size)
    with Ledger(stored) as ledger:
        assert len(notes(ledger)) == 1
