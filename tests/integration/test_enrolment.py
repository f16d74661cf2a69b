"""Enrolment with authority: nobody takes over a kiosk's identity from loopback.

On the landed server any local process re-keyed ``gate-01`` (201), stored a
forged ALLOW chained onto the real log and locked the real kiosk out; there
was no way to revoke a kiosk, and ``/v1/stats?recent=100`` gave names and
holder keys to anyone.  Here the same moves against a real server process.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
from pathlib import Path

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.adapters.identity import public_pem
from kiosk.adapters.store import EntryStore
from kiosk.adapters.sync import SyncClient
from kiosk.core.server_signed import rekey_statement
from kiosk.core.trust import load_root_key
from tests.integration.server_harness import (
    ADMIN,
    REPO,
    ServerProcess,
    batch_body,
    decision,
    kiosk,
    make_entries,
    make_issuer,
    post_batch,
    register,
)


def stub(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server_stub", *args],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_a_local_process_cannot_take_over_or_read_a_kiosk(tmp_path: Path) -> None:
    issuer = make_issuer(tmp_path / "issuer")
    db = tmp_path / "server.sqlite"
    with ServerProcess(tmp_path, issuer.directory, db=db) as server:
        config, key = kiosk(tmp_path / "k", url=server.url, issuer_dir=issuer.directory)
        register(server.url, config.kiosk_id, key)
        config.data_dir.mkdir(parents=True, exist_ok=True)
        store = EntryStore(config.data_dir / "entries.sqlite", kiosk_id=config.kiosk_id)
        client = SyncClient(config, store, key, root_key=load_root_key(issuer.root_public_pem))
        ids = [
            store.record_decision(decision(i), at_ms=int(time.time() * 1000)).id for i in range(20)
        ]
        assert client.push_all(max_attempts=2).pushed == 20

        # the local attacker: a new key for gate-01, from 127.0.0.1, without the credential
        mallory = Ed25519PrivateKey.generate()
        takeover = {"kiosk_id": config.kiosk_id, "public_key_pem": public_pem(mallory).decode()}
        r = requests.post(f"{server.url}/v1/kiosks", json=takeover, timeout=5)
        assert r.status_code == 403 and r.json()["error"] == "REKEY_REFUSED"
        body = json.dumps(takeover).encode()
        signed_by_self = base64.b64encode(mallory.sign(rekey_statement(body))).decode()
        r = requests.post(
            f"{server.url}/v1/kiosks",
            data=body,
            headers={"X-Kiosk-Id": config.kiosk_id, "X-Signature": signed_by_self},
            timeout=5,
        )
        assert r.status_code == 403
        stranger = {"kiosk_id": "gate-66", "public_key_pem": public_pem(mallory).decode()}
        r = requests.post(f"{server.url}/v1/kiosks", json=stranger, timeout=5)
        assert r.status_code == 401 and r.json()["error"] == "ADMIN_REQUIRED"
        # a forged entry signed by mallory is refused
        bid, forged = batch_body(config.kiosk_id, make_entries(config.kiosk_id, 1, start_seq=21))
        assert post_batch(server.url, config.kiosk_id, mallory, forged, bid).status_code == 401
        # and nothing personal for anyone without the credential
        r = requests.get(f"{server.url}/v1/stats?recent=100", timeout=5)
        assert r.status_code == 401
        assert "recent" not in requests.get(f"{server.url}/v1/stats", timeout=5).text

        # the real kiosk goes on as before
        ids += [
            store.record_decision(decision(i), at_ms=int(time.time() * 1000)).id
            for i in range(20, 30)
        ]
        report = client.push_all(max_attempts=2)
        assert report.ok and report.pushed == 10, report.error
        stats = requests.get(f"{server.url}/v1/stats?recent=100", headers=ADMIN, timeout=5).json()
        client.close()
        store.close()
    (row,) = stats["kiosks"]
    held = sorted(e["id"] for e in row["recent"])
    assert held == sorted(ids)  # lost 0, forged 0, duplicated 0
    assert row["entries"] == 30


def test_rekey_by_the_current_key_and_revoke(tmp_path: Path) -> None:
    issuer = make_issuer(tmp_path / "issuer")
    db = tmp_path / "server.sqlite"
    with ServerProcess(tmp_path, issuer.directory, db=db) as server:
        config, key = kiosk(tmp_path / "k", url=server.url, issuer_dir=issuer.directory)
        register(server.url, config.kiosk_id, key)
        new_key = Ed25519PrivateKey.generate()
        body = json.dumps(
            {"kiosk_id": config.kiosk_id, "public_key_pem": public_pem(new_key).decode()}
        ).encode()
        signature = base64.b64encode(key.sign(rekey_statement(body))).decode()
        r = requests.post(
            f"{server.url}/v1/kiosks",
            data=body,
            headers={"X-Kiosk-Id": config.kiosk_id, "X-Signature": signature},
            timeout=5,
        )
        assert r.status_code == 201, r.text
        bid, batch = batch_body(config.kiosk_id, make_entries(config.kiosk_id, 3))
        assert post_batch(server.url, config.kiosk_id, key, batch, bid).status_code == 401
        assert post_batch(server.url, config.kiosk_id, new_key, batch, bid).status_code == 200

        revoked = stub("admin", "revoke-kiosk", "--db", str(db), "--id", config.kiosk_id)
        assert revoked.returncode == 0, revoked.stderr
        config.data_dir.mkdir(parents=True, exist_ok=True)
        store = EntryStore(config.data_dir / "entries.sqlite", kiosk_id=config.kiosk_id)
        store.record_decision(decision(1), at_ms=int(time.time() * 1000))
        client = SyncClient(config, store, new_key, root_key=load_root_key(issuer.root_public_pem))
        report = client.push_all(max_attempts=1)
        assert "has revoked kiosk gate-01" in report.error
        assert store.backlog() == 1  # kept, not lost
        client.close()
        store.close()
        missing = stub("admin", "revoke-kiosk", "--db", str(db), "--id", "gate-77")
        assert missing.returncode != 0 and "not registered" in missing.stderr


def test_init_admin_token_works_over_http(tmp_path: Path) -> None:
    issuer = make_issuer(tmp_path / "issuer")
    db = tmp_path / "server.sqlite"
    token_file = tmp_path / "admin.token"
    made = stub("admin", "init-admin", "--db", str(db), "--out", str(token_file))
    assert made.returncode == 0, made.stderr
    assert token_file.stat().st_mode & 0o777 == 0o600
    again = stub("admin", "init-admin", "--db", str(db), "--out", str(token_file))
    assert again.returncode != 0  # never overwrites a credential
    token = token_file.read_text().strip()
    with ServerProcess(tmp_path, issuer.directory, db=db) as server:
        key = Ed25519PrivateKey.generate()
        doc = {"kiosk_id": "gate-05", "public_key_pem": public_pem(key).decode()}
        wrong = {"Authorization": "Bearer not-the-token"}
        r = requests.post(f"{server.url}/v1/kiosks", json=doc, headers=wrong, timeout=5)
        assert r.status_code == 401
        right = {"Authorization": f"Bearer {token}"}
        r = requests.post(f"{server.url}/v1/kiosks", json=doc, headers=right, timeout=5)
        assert r.status_code == 201
    pem = stub("admin", "ack-key", "--db", str(db))
    assert pem.returncode == 0 and "BEGIN PUBLIC KEY" in pem.stdout
