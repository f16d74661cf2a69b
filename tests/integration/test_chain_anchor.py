"""The chain is anchored at the server: ``kiosk log verify --server`` catches a local rewrite.

A local process that rewrites already-synced entries and rebuilds the hash
chain (and the head record) leaves a log that verifies on its own; the
heads the server acknowledged (signed with its ack key) do not match it.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import time
from pathlib import Path

from kiosk.adapters.config import load_config
from kiosk.adapters.identity import load_or_create_identity
from kiosk.adapters.store import EntryStore
from kiosk.core.entry import GENESIS_HASH, chain_hash
from tests.integration.server_harness import (
    ServerProcess,
    decision,
    make_issuer,
    register,
    write_config,
)
from tests.integration.test_sync_command import kiosk_cli


def rewrite(db: Path, seq: int, verdict: str) -> None:
    """Change one entry's verdict and re-chain every entry after it (a careful forger)."""
    store = EntryStore(db, kiosk_id="gate-01")
    entries = list(store.iter_entries())
    store.close()
    conn = sqlite3.connect(db)
    prev = GENESIS_HASH
    for e in entries:
        if e.seq < seq:
            prev = e.hash
            continue
        changed = dataclasses.replace(
            e, prev_hash=prev, verdict=verdict if e.seq == seq else e.verdict
        )
        prev = chain_hash(prev, changed)
        conn.execute(
            "UPDATE entries SET verdict = ?, prev_hash = ?, hash = ? WHERE seq = ?",
            (changed.verdict, changed.prev_hash, prev, e.seq),
        )
    conn.execute("UPDATE meta SET value = ? WHERE key = 'head'", (f"{entries[-1].seq} {prev}",))
    conn.commit()
    conn.close()
    # A forger with the disk also removes the head record kept beside the log (which would
    # otherwise refuse the rewritten newest entry at the next open): only the server's
    # acknowledged heads still tell.
    db.with_name(db.name + ".head").unlink(missing_ok=True)


def test_verify_server_catches_a_rewrite_of_synced_entries(tmp_path: Path) -> None:
    issuer = make_issuer(tmp_path / "issuer")
    with ServerProcess(tmp_path, issuer.directory) as server:
        path = write_config(tmp_path / "k", url=server.url, issuer_dir=issuer.directory)
        config = load_config(path)
        register(server.url, config.kiosk_id, load_or_create_identity(config.identity_key))
        config.data_dir.mkdir(parents=True, exist_ok=True)
        db = config.data_dir / "entries.sqlite"
        with EntryStore(db, kiosk_id=config.kiosk_id) as store:
            for i in range(120):
                store.record_decision(decision(i), at_ms=int(time.time() * 1000))
        synced = kiosk_cli("sync", "--config", str(path), "--no-lists")
        assert synced.returncode == 0, synced.stdout + synced.stderr
        clean = kiosk_cli("log", "verify", "--config", str(path), "--server")
        assert clean.returncode == 0, clean.stdout + clean.stderr
        assert "3 acknowledged chain heads match" in clean.stdout

        rewrite(db, 20, "ALLOW" if decision(19).verdict.value != "ALLOW" else "DENY")
        local_only = kiosk_cli("log", "verify", "--config", str(path))
        against_server = kiosk_cli("log", "verify", "--config", str(path), "--server")
    print(f"\nlocal verify: {local_only.stdout.strip()!r}; with --server: exit "
          f"{against_server.returncode}")  # fmt: skip
    assert local_only.returncode == 0  # the forger rebuilt the chain: it verifies alone
    assert against_server.returncode == 1
    assert "were rewritten" in against_server.stdout
