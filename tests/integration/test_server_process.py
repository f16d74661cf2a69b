"""The server stub as its own process: serve, admin commands, and a kill in the middle of a batch."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from kiosk.adapters.identity import load_or_create_identity, public_key_path
from kiosk.adapters.store import EntryStore
from kiosk.adapters.sync import SyncClient
from kiosk.core.trust import load_root_key
from server_stub.storage import ServerStore
from tests.integration.server_harness import (
    REPO,
    ServerProcess,
    decision,
    kiosk,
    make_issuer,
    register,
)


def stub(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server_stub", *args],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_serve_prints_the_real_port_and_answers(tmp_path: Path) -> None:
    issuer = make_issuer(tmp_path / "issuer")
    with ServerProcess(tmp_path, issuer.directory, "--fault", "500:0") as server:
        assert server.url.startswith("http://127.0.0.1:")
        assert not server.url.endswith(":0")
        r = requests.get(server.url + "/healthz", timeout=5)
        assert r.json()["ok"] is True
        assert "date" in r.headers
        r = requests.get(server.url + "/v1/trust-list", timeout=5)
        assert r.content == issuer.trust_list()


def test_serve_refuses_bad_input_in_one_line(tmp_path: Path) -> None:
    result = stub("serve", "--issuer-dir", str(tmp_path / "none"), "--db", str(tmp_path / "db"),
                  "--policy", str(REPO / "config" / "policy.toml"), "--port", "0")  # fmt: skip
    assert result.returncode == 2
    assert "no issuer here" in result.stderr
    assert "Traceback" not in result.stderr
    issuer = make_issuer(tmp_path / "issuer")
    result = stub("serve", "--issuer-dir", str(issuer.directory), "--db", str(tmp_path / "db"),
                  "--policy", str(REPO / "config" / "policy.toml"), "--fault", "boom:1")  # fmt: skip
    assert result.returncode == 2
    assert "--fault" in result.stderr and "Traceback" not in result.stderr


def test_admin_commands(tmp_path: Path) -> None:
    issuer = make_issuer(tmp_path / "issuer")
    db = tmp_path / "server.sqlite"
    key_file = tmp_path / "k" / "id.pem"
    key = load_or_create_identity(key_file)
    result = stub("admin", "register-kiosk", "--db", str(db), "--id", "gate-07",
                  "--public-key", str(public_key_path(key_file)))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "registered" in result.stdout
    store = ServerStore(db)
    assert store.kiosk_key("gate-07") is not None
    store.close()
    result = stub("admin", "register-kiosk", "--db", str(db), "--id", "gate-08",
                  "--public-key", str(key_file))  # a private key is not a public key  # fmt: skip
    assert result.returncode == 2 and "Traceback" not in result.stderr

    before = issuer.revocation_version
    result = stub("admin", "revoke", "--issuer-dir", str(issuer.directory),
                  "--holder-id", "ab" * 16)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"version {before + 1}" in result.stdout
    result = stub("admin", "revoke", "--issuer-dir", str(issuer.directory), "--holder-id", "zz")
    assert result.returncode == 2 and "not hex" in result.stderr

    trust_before = issuer.trust_list_version
    result = stub("admin", "rotate", "--issuer-dir", str(issuer.directory), "--alg", "EdDSA")
    assert result.returncode == 0, result.stderr
    assert f"trust list version {trust_before + 1}" in result.stdout

    with ServerProcess(tmp_path, issuer.directory, db=db) as server:
        r = requests.get(server.url + "/v1/revocations", timeout=5)
        assert r.headers["etag"] == f'"{before + 1}"'
        r = requests.get(server.url + "/v1/trust-list", timeout=5)
        assert r.headers["etag"] == f'"{trust_before + 1}"'
        config, _ = kiosk(tmp_path / "kiosk", url=server.url, issuer_dir=issuer.directory,
                          kiosk_id="gate-07")  # fmt: skip
        config.identity_key.parent.mkdir(parents=True, exist_ok=True)
        config.identity_key.write_bytes(key_file.read_bytes())
        config.data_dir.mkdir(parents=True, exist_ok=True)
        store_k = EntryStore(config.data_dir / "entries.sqlite", kiosk_id="gate-07")
        for i in range(12):
            store_k.record_decision(decision(i), at_ms=int(time.time() * 1000))
        client = SyncClient(config, store_k, key, root_key=load_root_key(issuer.root_public_pem))
        assert client.push_all().pushed == 12
        client.close()
        store_k.close()
    result = stub("admin", "stats", "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert "gate-07: 12 entries in 1 batches" in result.stdout
    assert "chain intact" in result.stdout


@pytest.mark.slow
def test_server_killed_mid_batch_then_restarted_holds_each_entry_once(tmp_path: Path) -> None:
    issuer = make_issuer(tmp_path / "issuer")
    rng = random.Random(11)
    server = ServerProcess(tmp_path, issuer.directory).start()
    port = int(server.url.rsplit(":", 1)[1])
    config, key = kiosk(tmp_path / "kiosk", url=server.url, issuer_dir=issuer.directory,
                        timeout_s=1.0, batch_size=40)  # fmt: skip
    register(server.url, config.kiosk_id, key)
    config.data_dir.mkdir(parents=True, exist_ok=True)
    store = EntryStore(config.data_dir / "entries.sqlite", kiosk_id=config.kiosk_id)
    for i in range(3000):
        store.record_decision(decision(i), at_ms=int(time.time() * 1000))
    client = SyncClient(config, store, key, root_key=load_root_key(issuer.root_public_pem),
                        sleep=lambda s: time.sleep(min(s, 0.05)))  # fmt: skip
    stop = threading.Event()

    def push() -> None:
        while not stop.is_set() and store.backlog():
            client.push_all(max_attempts=1)
            time.sleep(0.01)

    pusher = threading.Thread(target=push)
    pusher.start()
    kills = 0
    try:
        for _ in range(4):
            time.sleep(rng.uniform(0.05, 0.4))
            if not store.backlog():
                break
            assert server.proc is not None
            os.kill(server.proc.pid, signal.SIGKILL)
            server.proc.wait(5)
            kills += 1
            server = ServerProcess(tmp_path, issuer.directory, port=port).start()
        pusher.join(60)
        assert not pusher.is_alive()
        kiosk_ids = [e.id for e in store.iter_entries()]
    finally:
        stop.set()
        server.stop()
        client.close()
        store.close()
    server_store = ServerStore(tmp_path / "server.sqlite")
    server_ids = server_store.entry_ids(config.kiosk_id)
    chain = server_store.check_chain(config.kiosk_id)
    server_store.close()
    print(f"\nserver killed {kills} times: {len(kiosk_ids)} entries, "
          f"lost {len(set(kiosk_ids) - set(server_ids))}, "
          f"duplicated {len(server_ids) - len(set(server_ids))}")  # fmt: skip
    assert kills >= 1
    assert server_ids == kiosk_ids
    assert chain.ok, chain.message
