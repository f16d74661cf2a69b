"""``kiosk keygen`` and ``kiosk sync`` as a person runs them, against a real server process."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

from kiosk.adapters.config import load_config
from kiosk.adapters.store import EntryStore
from tests.integration.server_harness import (
    REPO,
    ServerProcess,
    decision,
    make_issuer,
    write_config,
)


def kiosk_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk", *args],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def stub(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server_stub", *args],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_keygen_then_register_then_sync(tmp_path: Path) -> None:
    issuer = make_issuer(tmp_path / "issuer")
    db = tmp_path / "server.sqlite"
    with ServerProcess(tmp_path, issuer.directory, db=db) as server:
        config_path = write_config(tmp_path / "kiosk", url=server.url, issuer_dir=issuer.directory)
        config = load_config(config_path)

        made = kiosk_cli("keygen", "--config", str(config_path))
        assert made.returncode == 0, made.stderr
        assert made.stdout.startswith("created ")
        assert "-----BEGIN PUBLIC KEY-----" in made.stdout
        assert stat.S_IMODE(os.stat(config.identity_key).st_mode) == 0o600
        again = kiosk_cli("keygen", "--config", str(config_path))
        assert again.stdout.startswith("kept ")
        assert again.stdout.split("\n", 1)[1] == made.stdout.split("\n", 1)[1]

        command = next(line for line in made.stdout.splitlines() if "register-kiosk" in line)
        args = command.split()[1:]  # drop "server-stub"
        args[args.index("SERVER_DB")] = str(db)
        registered = stub(*args)
        assert registered.returncode == 0, registered.stderr

        config.data_dir.mkdir(parents=True, exist_ok=True)
        store = EntryStore(config.data_dir / "entries.sqlite", kiosk_id=config.kiosk_id)
        for i in range(130):
            store.record_decision(decision(i), at_ms=int(time.time() * 1000))
        store.close()

        synced = kiosk_cli("sync", "--config", str(config_path))
        assert synced.returncode == 0, synced.stdout + synced.stderr
        out = synced.stdout
        assert "pushed 130 entries in 3 batches" in out
        assert "backlog 0" in out
        assert "trust list: updated (version 1)" in out
        assert "revocation list: updated (version 1)" in out
        assert "site policy: updated" in out
        assert "clock: kiosk minus server" in out

        issuer.revoke(b"\x05" * 16, now=int(time.time()))
        synced = kiosk_cli("sync", "--config", str(config_path))
        assert synced.returncode == 0
        assert "pushed 0 entries" in synced.stdout
        assert "trust list: unchanged" in synced.stdout
        assert "revocation list: updated (version 2)" in synced.stdout
    stats = stub("admin", "stats", "--db", str(db))
    assert f"{config.kiosk_id}: 130 entries in 3 batches" in stats.stdout


def test_sync_without_a_server_exits_1_in_one_line(tmp_path: Path) -> None:
    issuer = make_issuer(tmp_path / "issuer")
    config_path = write_config(
        tmp_path / "kiosk", url="http://127.0.0.1:9", issuer_dir=issuer.directory, timeout_s=0.5
    )
    assert kiosk_cli("keygen", "--config", str(config_path)).returncode == 0
    result = kiosk_cli("sync", "--config", str(config_path))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("kiosk sync: ")
    assert "connection refused" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_sync_without_server_url_is_a_config_error(tmp_path: Path) -> None:
    issuer = make_issuer(tmp_path / "issuer")
    config_path = write_config(tmp_path / "kiosk", url="", issuer_dir=issuer.directory)
    result = kiosk_cli("sync", "--config", str(config_path))
    assert result.returncode == 2
    assert "server.url" in result.stderr and "Traceback" not in result.stderr
