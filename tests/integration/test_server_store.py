"""The server's store behind one interface: the same semantics on SQLite and PostgreSQL.

Each test runs on both backends (``server_db``: a SQLite file, or a database in
the session's own PostgreSQL cluster).  Concurrency is tested with two stores
on the same data (two SQLite connections, two PostgreSQL connections: what two
server processes would have) storing at the same moment from two threads; the
assertions are on outcomes that hold whichever thread wins.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kiosk.core.entry import Entry
from server_stub.store_port import (
    ChainBreakError,
    ConflictError,
    SeqConflictError,
    Store,
    StoreConfigError,
    open_store,
)
from tests.integration.server_harness import POLICY, REPO, make_entries, make_issuer

KIOSK = "gate-01"
T = 1_795_420_800_000


def _bodies(entries: list[Entry]) -> list[str]:
    return [f'{{"seq":{e.seq}}}' for e in entries]


def _store(store: Store, batch_id: str, entries: list[Entry], kiosk: str = KIOSK) -> Any:
    return store.store_batch(
        kiosk_id=kiosk, batch_id=batch_id, body_sha256="0" * 64, entries=entries,
        bodies=_bodies(entries), now_ms=T, head=(entries[-1].seq, entries[-1].hash),
    )  # fmt: skip


def _at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in threads released together; each result or the exception raised."""
    gate = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        gate.wait()
        try:
            results[i] = calls[i]()
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_a_batch_is_stored_once_and_answered_the_same_again(server_db: Path | str) -> None:
    store = open_store(server_db)
    try:
        entries = make_entries(KIOSK, 5, at_ms=T)
        first, new = _store(store, "b1", entries)
        again, new_again = _store(store, "b1", entries)
        assert (new, new_again) == (True, False) and again == first
        assert first.response["stored"] == 5 and store.entry_count(KIOSK) == 5
        more = make_entries(KIOSK, 3, start_seq=6, prev=entries[-1].hash, at_ms=T + 10)
        overlap, _ = _store(store, "b2", entries[3:] + more)
        assert (overlap.response["stored"], overlap.response["duplicates"]) == (3, 2)
        assert store.check_chain(KIOSK).ok and store.entry_count() == 8
        assert store.acked_heads(KIOSK, limit=10) == [(5, entries[-1].hash), (8, more[-1].hash)]
        assert store.last_contacts() == {KIOSK: T}
        (stats,) = store.stats()
        assert (stats.entries, stats.batches, stats.first_seq, stats.last_seq) == (8, 2, 1, 8)
    finally:
        store.close()


def test_a_held_seq_is_refused_recorded_and_nothing_is_stored(server_db: Path | str) -> None:
    store = open_store(server_db)
    try:
        _store(store, "b1", make_entries(KIOSK, 3, at_ms=T))
        other = make_entries(KIOSK, 3, at_ms=T + 99)  # seq 1..3 again, other contents
        with pytest.raises(SeqConflictError) as caught:
            _store(store, "b2", other)
        store.record_seq_conflict(caught.value, batch_id="b2", now_ms=T)
        assert store.seq_conflicts(KIOSK) == 1 and store.entry_count() == 3
        assert store.find_batch("b2") is None
        broken = make_entries(KIOSK, 2, start_seq=4, prev="f" * 64, at_ms=T + 5)
        with pytest.raises(ChainBreakError):
            _store(store, "b3", broken)
        assert store.entry_count() == 3
    finally:
        store.close()


def test_kiosks_tokens_salts_and_revocation(server_db: Path | str) -> None:
    store = open_store(server_db)
    try:
        assert store.register_kiosk("k2", "PEM-2", now_ms=T, site="North", holder_salt=b"s" * 16)
        assert store.register_kiosk("k1", "PEM-1", now_ms=T)
        assert not store.register_kiosk("k1", "PEM-1", now_ms=T + 1)
        assert store.has_salt("k1") is False and store.has_salt("k2") is True
        assert store.has_salt("nope") is None
        assert not store.register_kiosk("k2", "PEM-2", now_ms=T + 2)  # site and salt kept
        assert store.deployments() == [("k1", "", None), ("k2", "North", b"s" * 16)]
        assert store.revoke_kiosk("k1", now_ms=T + 3) and not store.revoke_kiosk("x", now_ms=T)
        assert store.kiosk_record("k1") == ("PEM-1", T + 3)
        assert store.register_kiosk("k1", "PEM-1", now_ms=T + 4)  # lifts the revocation
        assert store.kiosk_record("k1") == ("PEM-1", None) and store.kiosks() == ["k1", "k2"]
        store.add_admin_token("a" * 64, now_ms=T)
        store.add_admin_token("a" * 64, now_ms=T + 1)
        assert store.admin_token_hashes() == frozenset({"a" * 64})
    finally:
        store.close()


def test_two_unlinked_batches_of_one_kiosk_at_once_one_is_refused(server_db: Path | str) -> None:
    """Neither batch has a held neighbour when it starts: without the per-kiosk lock both
    would pass the neighbour check and the server would hold a broken chain.  Five kiosks,
    one race each."""
    stores = [open_store(server_db), open_store(server_db)]
    try:
        for n in range(5):
            kiosk = f"gate-{n}"
            first = make_entries(kiosk, 10, at_ms=T)
            second = make_entries(kiosk, 10, start_seq=11, prev="e" * 64, at_ms=T + 10)
            results = _at_once(
                lambda k=kiosk, f=first: _store(stores[0], f"a{k}", f, kiosk=k),
                lambda k=kiosk, s=second: _store(stores[1], f"b{k}", s, kiosk=k),
            )
            refused = [r for r in results if isinstance(r, Exception)]
            assert len(refused) == 1 and isinstance(refused[0], ChainBreakError), results
            assert stores[0].entry_count(kiosk) == 10
    finally:
        for s in stores:
            s.close()


def test_two_batches_taking_the_same_seqs_at_once_one_is_a_seq_conflict(
    server_db: Path | str,
) -> None:
    stores = [open_store(server_db), open_store(server_db)]
    try:
        one = make_entries(KIOSK, 10, at_ms=T)
        two = make_entries(KIOSK, 10, at_ms=T + 1)
        results = _at_once(lambda: _store(stores[0], "a", one), lambda: _store(stores[1], "b", two))
        refused = [r for r in results if isinstance(r, Exception)]
        assert len(refused) == 1 and isinstance(refused[0], SeqConflictError), results
        assert stores[1].entry_count() == 10 and stores[1].check_chain(KIOSK).ok
    finally:
        for s in stores:
            s.close()


def test_one_batch_id_sent_twice_at_once_is_stored_once(server_db: Path | str) -> None:
    stores = [open_store(server_db), open_store(server_db)]
    try:
        entries = make_entries(KIOSK, 10, at_ms=T)
        results = _at_once(*(lambda s=s: _store(s, "same", entries) for s in stores))
        assert sorted(r[1] for r in results) == [False, True], results
        assert results[0][0] == results[1][0] and stores[0].entry_count() == 10
    finally:
        for s in stores:
            s.close()


def test_an_entry_id_held_with_other_contents_is_a_conflict(server_db: Path | str) -> None:
    store = open_store(server_db)
    try:
        entries = make_entries(KIOSK, 2, at_ms=T)
        _store(store, "b1", entries)
        forged = [dataclasses.replace(make_entries("gate-02", 1, at_ms=T)[0], id=entries[0].id)]
        with pytest.raises(ConflictError):
            _store(store, "b2", forged, kiosk="gate-02")
        assert store.entry_count() == 2
    finally:
        store.close()


def test_a_bad_db_is_named_not_a_traceback(tmp_path: Path) -> None:
    with pytest.raises(StoreConfigError, match="unknown database URL scheme 'mysql'"):
        open_store("mysql://localhost/x")
    with pytest.raises(StoreConfigError, match="is a folder"):
        open_store(tmp_path)
    (tmp_path / "notes.txt").write_text("not a database, " * 100)
    with pytest.raises(StoreConfigError, match="not the server's SQLite database"):
        open_store(tmp_path / "notes.txt")
    nowhere = f"postgresql://u:secret@/x?host={tmp_path}&port=1&connect_timeout=2"
    with pytest.raises(StoreConfigError, match="cannot connect to PostgreSQL") as caught:
        open_store(nowhere)
    assert "secret" not in str(caught.value)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    serve = ["serve", "--db", nowhere, "--port", "0", "--policy", str(POLICY), "--issuer-dir",
             str(make_issuer(tmp_path / "issuer").directory)]  # fmt: skip
    for args in (
        ["admin", "stats", "--db", nowhere],  # cannot connect
        serve,  # a URL needs --ack-key (no folder beside it for the key)
    ):
        done = subprocess.run(
            [sys.executable, "-m", "server_stub", *args],
            cwd=REPO, capture_output=True, text=True, timeout=60, env=env,
        )  # fmt: skip
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr and "secret" not in done.stderr
        assert "PostgreSQL" in done.stderr, done.stderr
