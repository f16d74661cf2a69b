"""A log that never starts over silently (issue 12, problem 4): damage, refusal, recovery.

Each damage is done to a real log on disk; the kiosk is then run as a
subprocess (``kiosk log verify``, which opens the log as ``kiosk run`` does)
and must refuse with one line and exit 2, or, for a full disk, refuse the one
entry it could not write and keep everything before it.  ``kiosk log recover``
then moves the damaged file aside, and a sync leaves the server with every
entry once.

The full disk is simulated with RLIMIT_FSIZE in a subprocess (SIGXFSZ
ignored, so writes past the limit fail with EFBIG as on a full file system).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from kiosk.adapters.log_head import head_path, read_head
from kiosk.adapters.store import EntryStore, StoreError
from kiosk.adapters.sync import SyncClient
from kiosk.core.trust import load_root_key
from server_stub.server import ServerThread
from tests.integration.server_harness import decision, kiosk, make_issuer, register, settings

REPO = Path(__file__).resolve().parents[2]


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(
        'kiosk_id = "k1"\ndata_dir = "var"\n[trust]\nroot_key = "root.pub.pem"\n', "utf-8"
    )
    (tmp_path / "var").mkdir()
    return path


def _db(config: Path) -> Path:
    return config.parent / "var" / "entries.sqlite"


def _log(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk", "log", *args, "--config", str(config)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=120,
        check=False,
    )


def _fill(db: Path, n: int) -> None:
    with EntryStore(db, kiosk_id="k1") as store:
        for i in range(n):
            store.record_decision(decision(i), at_ms=1_795_420_800_000 + i)


def _refused(config: Path, *words: str) -> str:
    done = _log(config, "verify")
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def _recovers(config: Path, *, readable: int | None = None) -> None:
    done = _log(config, "recover")
    assert done.returncode == 0, done.stderr
    damaged = list(_db(config).parent.glob("entries.sqlite.damaged-*"))
    assert damaged, "the damaged file must be kept"
    if readable is not None:
        assert f"exported {readable} readable entries" in done.stdout, done.stdout
    verify = _log(config, "verify")
    assert verify.returncode == 0, verify.stderr


def test_a_zero_byte_log_with_a_head_record_is_refused_then_recovered(tmp_path: Path) -> None:
    config = _config(tmp_path)
    _fill(_db(config), 30)
    _db(config).write_bytes(b"")
    _refused(config, "0 bytes", "30 entries", "kiosk log recover")
    _recovers(config, readable=0)


def test_a_lost_wal_after_kill_9_is_refused(tmp_path: Path) -> None:
    config = _config(tmp_path)
    db = _db(config)
    _fill(db, 5)  # closed cleanly: checkpointed into the database file
    script = textwrap.dedent(
        f"""
        import sys, time
        from kiosk.adapters.store import EntryStore
        from tests.integration.server_harness import decision
        store = EntryStore({str(db)!r}, kiosk_id="k1")
        for i in range(120):
            store.record_decision(decision(i), at_ms=1_795_420_900_000 + i)
        print("ready", flush=True)
        time.sleep(60)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        cwd=REPO,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    wal = db.with_name(db.name + "-wal")
    assert wal.stat().st_size > 0
    wal.unlink()
    db.with_name(db.name + "-shm").unlink(missing_ok=True)
    _refused(config, "ends at seq 5", "125 entries were written", "-wal")
    _recovers(config, readable=5)


def test_a_flipped_page_is_refused_and_recovery_keeps_every_readable_row(
    tmp_path: Path,
) -> None:
    config = _config(tmp_path)
    db = _db(config)
    _fill(db, 400)
    with sqlite3.connect(db) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'entries_at_ms'"
        ).fetchone()[0]
    conn.close()
    data = bytearray(db.read_bytes())
    start = (root - 1) * page_size
    for i in range(start, start + 64):
        data[i] ^= 0xFF
    db.write_bytes(bytes(data))
    _refused(config, "damaged", "kiosk log recover")
    _recovers(config, readable=400)


def test_an_altered_newest_entry_is_refused(tmp_path: Path) -> None:
    config = _config(tmp_path)
    _fill(_db(config), 10)
    with sqlite3.connect(_db(config)) as conn:
        conn.execute("UPDATE entries SET name = 'Someone else' WHERE seq = 10")
    conn.close()
    _refused(config, "newest entry (seq 10) does not match its hash")


def test_kiosk_run_refuses_a_damaged_log_in_one_line(tmp_path: Path) -> None:
    config = _config(tmp_path)
    _fill(_db(config), 5)
    _db(config).write_bytes(b"")
    (tmp_path / "frames").mkdir()
    issuer = make_issuer(tmp_path / "issuer")
    (tmp_path / "root.pub.pem").write_bytes(issuer.root_public_pem)
    (tmp_path / "policy.toml").write_bytes((REPO / "config" / "policy.toml").read_bytes())
    done = subprocess.run(
        [sys.executable, "-m", "kiosk", "run", "--config", str(config), "--headless",
         "--source", str(tmp_path / "frames")],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "0 bytes but its head record says 5 entries" in done.stderr


def test_a_file_without_the_schema_is_refused(tmp_path: Path) -> None:
    config = _config(tmp_path)
    with sqlite3.connect(_db(config)) as conn:
        conn.execute("CREATE TABLE notes (x)")
    conn.close()
    _refused(config, "without the entry log's schema")


def test_a_read_only_log_is_refused(tmp_path: Path) -> None:
    config = _config(tmp_path)
    _fill(_db(config), 3)
    _db(config).chmod(0o444)
    _refused(config, "read-only", "0444")


def test_a_full_disk_refuses_the_entry_it_cannot_write_and_keeps_the_rest(
    tmp_path: Path,
) -> None:
    config = _config(tmp_path)
    db = _db(config)
    _fill(db, 1)
    script = textwrap.dedent(
        f"""
        import resource, signal
        from kiosk.adapters.store import EntryStore, StoreError
        from tests.integration.server_harness import decision
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        store = EntryStore({str(db)!r}, kiosk_id="k1")
        resource.setrlimit(resource.RLIMIT_FSIZE, (400_000, 400_000))
        n = 0
        try:
            for i in range(100_000):
                store.record_decision(decision(i), at_ms=1_795_421_000_000 + i)
                n += 1
        except StoreError as exc:
            print(n, "|", exc)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        cwd=REPO,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    written, _, message = done.stdout.partition("|")
    assert "entry not logged" in message, done.stdout
    verify = _log(config, "verify")
    assert verify.returncode == 0, verify.stderr
    assert f"chain intact: {int(written) + 1} entries" in verify.stdout
    with EntryStore(db, kiosk_id="k1") as store:  # space is back: logging goes on
        store.record_decision(decision(0), at_ms=1_795_422_000_000)
        assert store.verify_chain().checked == int(written) + 2


def test_recover_then_sync_leaves_the_server_with_every_entry_once(tmp_path: Path) -> None:
    issuer = make_issuer(tmp_path / "issuer")
    with ServerThread(settings(tmp_path, issuer.directory)) as server:
        config, key = kiosk(tmp_path / "kiosk", url=server.url, issuer_dir=issuer.directory)
        register(server.url, config.kiosk_id, key)
        config.data_dir.mkdir(parents=True, exist_ok=True)
        db = config.data_dir / "entries.sqlite"
        root = load_root_key(issuer.root_public_pem)
        store = EntryStore(db, kiosk_id=config.kiosk_id)
        for i in range(150):
            store.record_decision(decision(i), at_ms=int(time.time() * 1000))
        client = SyncClient(config, store, key, root_key=root)
        assert client.round(int(time.time()), lists=False).push.ok
        client.close()
        for i in range(150, 300):
            store.record_decision(decision(i), at_ms=int(time.time() * 1000))
        ids = [e.id for e in store.iter_entries()]
        store.close()
        assert read_head(db) is not None and read_head(db).acked_seq == 150  # type: ignore[union-attr]
        with sqlite3.connect(db) as conn:
            page_size = conn.execute("PRAGMA page_size").fetchone()[0]
            index_root = conn.execute(
                "SELECT rootpage FROM sqlite_master WHERE name = 'outbox_unsent'"
            ).fetchone()[0]
        conn.close()
        data = bytearray(db.read_bytes())
        for i in range((index_root - 1) * page_size, (index_root - 1) * page_size + 64):
            data[i] ^= 0x5A
        db.write_bytes(bytes(data))
        with pytest.raises(StoreError, match="kiosk log recover"):
            EntryStore(db, kiosk_id=config.kiosk_id)
        done = _log(config.path, "recover")
        assert done.returncode == 0, done.stderr
        assert "links to seq 150" in done.stdout
        store = EntryStore(db, kiosk_id=config.kiosk_id)
        client = SyncClient(config, store, key, root_key=root)
        assert client.round(int(time.time()), lists=False).push.ok
        client.close()
        store.close()
        server_ids = server.store.entry_ids(config.kiosk_id)
        assert sorted(server_ids) == sorted(ids)
        assert server.store.check_chain(config.kiosk_id).ok
        assert head_path(db).exists()
