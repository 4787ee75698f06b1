"""Signed checkpoints on paper: the server's signer (``ledger.application.signing``) and the
client's verifier (``ledger_api.note``), written apart, agree with each other and with Go's
``sumdb/note`` test vector; every single-bit change to a signed checkpoint is refused; and
the audit's coverage rule (``CheckpointAudit``) finds appended, unsigned and removed events."""

from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.application.signing import SigningKey, checkpoint_text
from ledger.settings import ConfigError
from ledger_api.merkle import TreeHasher
from ledger_api.note import NoteError, Untrusted, VerifierKey, open_checkpoint, open_note
from ledger_api.verify import GENESIS, next_root
from ledger_client.checkpoints import CheckpointAudit

# golang.org/x/mod/sumdb/note, note_test.go and its package documentation.
GO_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VERIFIER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT
    + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdn"
    "gotpRZb6KE6RyyBwJnAM=\n"
)

KEY = SigningKey.generate("customs-ledger.example.org")
OTHER = SigningKey.generate("customs-ledger.example.org")
ROOT = hashlib.sha256(b"a tree").digest()


def signed(size: int = 13, first: int = 1, key: SigningKey = KEY, root: bytes = ROOT) -> str:
    return key.sign(checkpoint_text(key.name, size, root, "ab" * 32, first))


def trusted(*keys: SigningKey) -> list[VerifierKey]:
    return [VerifierKey.parse(key.verifier) for key in keys]


class TestGoVectors:
    def test_the_signer_key_gives_gos_verifier_key_and_signature(self) -> None:
        key = SigningKey.parse(GO_SIGNER)
        assert key.verifier == GO_VERIFIER
        assert key.encoded == GO_SIGNER
        assert key.sign(GO_TEXT) == GO_NOTE

    def test_the_clients_verifier_opens_gos_note(self) -> None:
        text, key = open_note(GO_NOTE, [VerifierKey.parse(GO_VERIFIER)])
        assert (text, str(key)) == (GO_TEXT, GO_VERIFIER)

    def test_gos_note_with_one_word_changed_is_refused(self) -> None:
        with pytest.raises(NoteError, match="does not verify"):
            open_note(GO_NOTE.replace("answer", "problem", 1), [VerifierKey.parse(GO_VERIFIER)])


class TestCheckpoints:
    def test_a_checkpoint_signed_by_a_trusted_key_opens_with_its_fields(self) -> None:
        checkpoint = open_checkpoint(signed(13, 9), trusted(KEY))
        assert (checkpoint.size, checkpoint.first, checkpoint.merkle_root) == (13, 9, ROOT)
        assert checkpoint.chain_root == "ab" * 32
        assert checkpoint.origin == KEY.name
        assert checkpoint.signed_by.id == f"{KEY.name}+{KEY.key_hash.hex()}"

    def test_the_body_is_c2sps_checkpoint_with_two_extension_lines(self) -> None:
        text = checkpoint_text("example.org/log", 7, ROOT, "cd" * 32, 5)
        root = base64.b64encode(ROOT).decode()
        assert text == f"example.org/log\n7\n{root}\nchain {'cd' * 32}\nfrom 5\n"

    def test_a_checkpoint_signed_by_another_key_of_the_same_name_is_untrusted(self) -> None:
        with pytest.raises(Untrusted, match=f"signed by {OTHER.name}\\+{OTHER.key_hash.hex()}"):
            open_checkpoint(signed(key=OTHER), trusted(KEY))

    def test_a_rotated_out_key_still_verifies_the_checkpoints_it_signed(self) -> None:
        keys = trusted(KEY, OTHER)
        assert open_checkpoint(signed(key=KEY), keys).signed_by.public == KEY.public
        assert open_checkpoint(signed(key=OTHER), keys).signed_by.public == OTHER.public

    def test_no_trusted_key_at_all_is_untrusted_saying_none_was_given(self) -> None:
        with pytest.raises(Untrusted, match="none given"):
            open_checkpoint(signed(), [])

    @settings(max_examples=300, deadline=None)
    @given(data=st.data())
    def test_every_single_bit_change_is_refused(self, data: st.DataObject) -> None:
        note = signed(1000, 990).encode()
        bit = data.draw(st.integers(0, len(note) * 8 - 1))
        flipped = bytearray(note)
        flipped[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(NoteError):
            open_checkpoint(flipped.decode(errors="replace"), trusted(KEY))

    def test_a_note_that_is_not_a_checkpoint_is_refused_saying_what_one_is(self) -> None:
        with pytest.raises(NoteError, match="not a ledger checkpoint"):
            open_checkpoint(KEY.sign("hello\n"), trusted(KEY))

    def test_an_origin_other_than_the_keys_name_is_refused(self) -> None:
        note = KEY.sign(checkpoint_text("elsewhere", 3, ROOT, "ab" * 32, 1))
        with pytest.raises(NoteError, match="origin 'elsewhere' is not its key's name"):
            open_checkpoint(note, trusted(KEY))


class TestKeys:
    def test_a_key_written_and_read_back_is_the_same_key(self) -> None:
        again = SigningKey.parse(KEY.encoded)
        assert (again.name, again.public) == (KEY.name, KEY.public)
        assert VerifierKey.parse(KEY.verifier).public == KEY.public

    @pytest.mark.parametrize(
        ("text", "says"),
        [
            ("customs+1234", "is not a signer key"),
            ("PRIVATE+KEY+name+00000000+AAAA", "not an Ed25519 key"),
            (KEY.encoded.replace(KEY.key_hash.hex(), "00000000"), "does not match its name"),
        ],
        ids=["not a key", "not ed25519", "wrong hash"],
    )
    def test_a_bad_signer_key_is_refused_naming_what_is_wrong(self, text: str, says: str) -> None:
        with pytest.raises(ConfigError, match=says):
            SigningKey.parse(text)

    def test_a_name_with_a_space_is_refused_with_an_example(self) -> None:
        with pytest.raises(ConfigError, match=r"without spaces or '\+', e\.g\."):
            SigningKey.generate("customs ledger")

    @pytest.mark.parametrize(
        ("text", "says"),
        [
            ("nonsense", "is not a verifier key"),
            ("name+zz+AAAA", "not hex and base64"),
            (KEY.verifier.replace(KEY.key_hash.hex(), "00000000"), "does not match"),
        ],
        ids=["not a key", "not hex", "wrong hash"],
    )
    def test_a_bad_verifier_key_is_refused(self, text: str, says: str) -> None:
        with pytest.raises(NoteError, match=says):
            VerifierKey.parse(text)


class Replay:
    """A log of ``size`` events replayed as the client's audit does, with checkpoints."""

    def __init__(self, positions: list[int], history: str = "") -> None:
        self.positions = positions
        self.roots: dict[int, tuple[str, bytes]] = {}
        chain, tree = GENESIS, TreeHasher()
        for position in positions:
            hash_ = hashlib.sha256(f"{history}{position}".encode()).hexdigest()
            chain = next_root(chain, position, hash_)
            tree.add(position, hash_)
            self.roots[position] = chain, tree.root()

    def note(self, first: int, size: int, key: SigningKey = KEY) -> tuple[int, str]:
        chain, root = self.roots[size]
        return size, key.sign(checkpoint_text(key.name, size, root, chain, first))

    def audit(self, notes: list[tuple[int, str]], end: int | None = None) -> list[str]:
        check = CheckpointAudit(iter(notes), trusted(KEY))
        for position in self.positions:
            chain, root = self.roots[position]
            check.reached(position, chain, lambda root=root: root)
        return check.finish(end or self.positions[-1])


class TestCoverage:
    def test_writes_each_signed_cover_the_log(self) -> None:
        log = Replay(list(range(1, 11)))
        assert log.audit([log.note(1, 4), log.note(5, 5), log.note(6, 10)]) == []

    def test_an_appended_event_between_two_signed_writes_is_named(self) -> None:
        log = Replay(list(range(1, 11)))
        problems = log.audit([log.note(1, 4), log.note(6, 10)])
        assert problems == [
            "the event at position 5 is in no signed checkpoint: written without the key "
            "(appended), or by a server that stopped before it signed"
        ]

    def test_events_after_the_last_signed_checkpoint_are_named_as_a_range(self) -> None:
        log = Replay(list(range(1, 11)))
        assert "positions 5-10 are in no signed checkpoint" in log.audit([log.note(1, 4)])[0]

    def test_a_gap_no_event_took_needs_no_checkpoint(self) -> None:
        log = Replay([1, 2, 4, 5])
        assert log.audit([log.note(1, 2), log.note(4, 5)]) == []

    def test_a_checkpoint_beyond_the_log_says_events_were_removed(self) -> None:
        whole = Replay(list(range(1, 11)))
        cut = Replay(list(range(1, 8)))
        problems = cut.audit([whole.note(1, 4), whole.note(5, 10)], end=10)
        assert any("size 10, beyond the log, which ends at position 7" in p for p in problems)

    def test_a_checkpoint_whose_roots_the_replay_does_not_reach_is_named(self) -> None:
        signed_log = Replay(list(range(1, 6)))
        other_log = Replay([1, 2, 3, 4, 6], history="rewritten ")  # another history
        problems = other_log.audit([signed_log.note(1, 4), signed_log.note(5, 5)], end=6)
        assert any("size 4 signs roots the replay does not reach" in p for p in problems)

    def test_a_checkpoint_by_an_untrusted_key_covers_nothing(self) -> None:
        log = Replay(list(range(1, 4)))
        problems = log.audit([log.note(1, 3, key=OTHER)])
        assert "not by a key you trust" in problems[0]
        assert "positions 1-3 are in no signed checkpoint" in problems[1]
