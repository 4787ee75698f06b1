"""``ledger backup`` and ``ledger restore`` from the command line, on a served ledger.

A running server's database is backed up while a client writes through it; the backup's
digest is a prefix of the live ledger's; the backup file passes the store audit; restored into
the other kind of database it passes it too, and a server started on it gives the backup's
digest, histories and answers. What must not be written over is refused with exit status 2,
plainly, and an older backup is restored through a copy brought up to date.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

from ledger_client import Digest, LedgerClient
from tests.conftest import fresh_database, need_postgres
from tests.e2e.support import (
    LEDGER,
    WORKER_BAGGAGE,
    RunningServer,
    new_office,
    run_cli,
    source,
    start_server,
)
from tests.e2e.test_audit import json_of, words
from tests.support import sqlite_rows

FIXTURES = Path(__file__).parent.parent / "fixtures"


def observe(client: LedgerClient, office: str, quantity: int) -> None:
    client.record(
        "observed",
        office,
        scope=WORKER_BAGGAGE,
        measure={"admissibility": {"kind": "quantity-limit", "quantity": quantity}},
        effective={"on": f"2025-{quantity % 12 + 1:02d}-01"},
        sources=[source()],
    )


def answers(client: LedgerClient, busy: str) -> dict[str, Any]:
    """A served ledger's histories, and checks on a few days at every office but ``busy``."""
    listed = client.list_offices()
    offices = [office.code for office in listed if office.code != busy]
    days = ["2025-02-01", "2025-03-05", "2025-03-20", "2025-06-01", "2025-12-31"]
    return {
        "histories": {office.code: list(client.history(office.code)) for office in listed},
        "checks": [
            client.check(
                code,
                day,
                direction="outbound",
                channel="personal-baggage",
                traveller="worker",
                items=[{"goods": "8516.60", "quantity": 3}],
            )
            for code in offices
            for day in days
        ],
    }


def test_a_served_ledger_backed_up_under_writes_restores_elsewhere_and_serves(
    backend: str, server: RunningServer, client: LedgerClient, tmp_path: Path
) -> None:
    other = "postgres" if backend == "sqlite" else "sqlite"
    if other == "postgres":
        need_postgres()
    served = {"LEDGER_DATABASE_URL": server.database_url}
    busy = new_office()  # the office written to during the backup
    client.register_office(busy, f"{busy} customs")
    client.check(
        "CN-DANDONG",
        "2025-03-20",
        direction="outbound",
        channel="personal-baggage",
        traveller="worker",
        items=[{"goods": "8516.60", "quantity": 1}],
        log=True,
    )
    stop, writing = threading.Event(), threading.Event()

    def writer() -> None:
        with LedgerClient(server.address) as through:
            for number in range(1, 100_000):
                observe(through, busy, number)
                writing.set()
                if stop.is_set():
                    return

    thread = threading.Thread(target=writer, name="writer")
    thread.start()
    assert writing.wait(timeout=60)
    file = tmp_path / "backup.sqlite"
    try:
        backed = json_of(
            run_cli(server.address, "backup", "--out", str(file), "--json", env=served)
        )
    finally:
        stop.set()
        thread.join()
    pinned = Digest.model_validate(backed["digest"])
    # What the backup holds is a prefix of the live ledger: nothing up to it differs.
    live = client.prove_extends(pinned)
    assert live.position >= pinned.position > 0
    old = client.call("GetConsistencyProof", {"old_size": pinned.position})["old"]
    assert (old["root"], old["merkle_root"]) == (pinned.root, pinned.merkle_root)

    backed_up = ("audit", "--store", "--database", f"sqlite:///{file}", "--json")
    audited = json_of(run_cli(server.address, *backed_up))
    assert audited["ok"] and audited["digest"]["position"] == pinned.position

    again = run_cli(server.address, "backup", "--out", str(file), env=served)
    assert again[0] == 2
    assert "backup.sqlite exists: name a new file, or give --force to replace it" in words(again[2])

    with fresh_database(other, tmp_path / "restored", prefix="e2e") as target:
        restored = json_of(
            run_cli(server.address, "restore", str(file), "--database", target, "--json")
        )
        assert restored["backup"] == restored["restored"] == backed["digest"]
        assert restored["migrated"] is False
        checks = json_of(
            run_cli(server.address, "audit", "--store", "--database", target, "--json")
        )
        assert checks["ok"] and checks["checks"]["decisions"]

        refused = run_cli(server.address, "restore", str(file), "--database", target, "--json")
        assert refused[0] == 2
        error = json.loads(refused[2])
        assert error["code"] == "USAGE"
        assert "holds a ledger (schema version" in error["message"]
        assert "a restore writes only into an empty database" in error["message"]

        second = start_server(tmp_path / "second", example=False, database_url=target)
        try:
            with LedgerClient(second.address) as moved:
                assert moved.get_digest() == pinned
                mine = answers(moved, busy)
        finally:
            second.stop()
    # The live ledger went on writing at the busy office only: every history up to the backup's
    # position, and every other office's answers, are the moved ledger's.
    theirs = answers(client, busy)
    assert mine["checks"] == theirs["checks"]
    for code, history in mine["histories"].items():
        assert history == theirs["histories"][code][: len(history)]


def test_an_older_backup_is_restored_through_a_copy_brought_up_to_date(tmp_path: Path) -> None:
    old = tmp_path / "old.sqlite"
    shutil.copy(FIXTURES / "ledger-0820069.sqlite", old)  # schema version 3
    held = old.read_bytes()
    target = tmp_path / "restored.sqlite"
    restored = json_of(
        run_cli("127.0.0.1:1", "restore", str(old), "--database", f"sqlite:///{target}", "--json")
    )
    assert restored["migrated"] is True
    assert restored["backup"] == restored["restored"]
    assert restored["restored"]["position"] == 16
    assert old.read_bytes() == held
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.sqlite", "restored.sqlite"]
    audit = ("audit", "--store", "--database", f"sqlite:///{target}", "--json")
    assert json_of(run_cli("127.0.0.1:1", *audit))["ok"]


def test_a_signing_key_in_the_environment_signs_nothing_in_a_backup_or_a_restore(
    tmp_path: Path,
) -> None:
    key = tmp_path / "ledger.key"
    done = subprocess.run([LEDGER, "key", "new", "--out", str(key)], capture_output=True)
    assert done.returncode == 0
    source = tmp_path / "unsigned.sqlite"
    shutil.copy(FIXTURES / "ledger-0820069.sqlite", source)  # no signed checkpoint
    keyed = {"LEDGER_SIGNING_KEY_FILE": str(key)}
    restored = tmp_path / "restored.sqlite"
    json_of(
        run_cli(
            "127.0.0.1:1",
            "restore",
            str(source),
            "--database",
            f"sqlite:///{restored}",
            "--json",
            env=keyed,
        )
    )
    file = tmp_path / "backup.sqlite"
    backed_up = ("backup", "--database", f"sqlite:///{restored}", "--out", str(file), "--json")
    json_of(run_cli("127.0.0.1:1", *backed_up, env=keyed))
    for path in (restored, file):
        assert sqlite_rows(path, "SELECT count(*) FROM signed_checkpoints") == [(0,)]


def test_what_is_not_a_backup_is_refused_plainly(tmp_path: Path) -> None:
    target = f"sqlite:///{tmp_path / 'restored.sqlite'}"
    missing = run_cli(
        "127.0.0.1:1", "restore", str(tmp_path / "nowhere.sqlite"), "--database", target
    )
    assert missing[0] == 2
    assert "nowhere.sqlite does not exist: name a backup file `ledger backup --out FILE` wrote" in (
        words(missing[2])
    )
    notes = tmp_path / "notes.txt"
    notes.write_text("office,limit\n")
    refused = run_cli("127.0.0.1:1", "restore", str(notes), "--database", target)
    assert refused[0] == 2
    assert "notes.txt is not a ledger: it is not a SQLite database" in words(refused[2])
    empty = run_cli(
        "127.0.0.1:1",
        "backup",
        "--out",
        str(tmp_path / "b.sqlite"),
        "--database",
        f"sqlite:///{tmp_path / 'none.sqlite'}",
    )
    assert empty[0] == 2
    assert "holds no ledger: the file is missing or empty" in words(empty[2])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
