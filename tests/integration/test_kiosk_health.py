"""Kiosk health reaches the server: what only the kiosk knows (backlog, parked entries,
list and policy versions, clock offset) in a signed report the dashboard shows.

A report must come from the kiosk's own key, name the kiosk that signs it and
hold the fields with their types; anything else is refused and nothing is kept.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from pathlib import Path

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.adapters.store import EntryStore
from kiosk.adapters.sync import SyncClient, SyncLoop
from kiosk.core.server_signed import health_statement
from kiosk.core.trust import load_root_key
from server_stub.server import ServerThread
from tests.integration.server_harness import (
    ADMIN,
    decision,
    kiosk,
    make_issuer,
    register,
    settings,
)
from tests.waiting import wait_for


def _post(url: str, kiosk_id: str, key: Ed25519PrivateKey, report: object) -> int:
    body = json.dumps(report).encode()
    digest = hashlib.sha256(body).hexdigest()
    signature = base64.b64encode(key.sign(health_statement(kiosk_id, digest))).decode()
    headers = {"X-Kiosk-Id": kiosk_id, "X-Body-SHA256": digest, "X-Signature": signature}
    return requests.post(f"{url}/v1/health", data=body, headers=headers, timeout=5).status_code


def _health(url: str) -> dict[str, dict[str, object]]:
    day = time.strftime("%Y-%m-%d", time.gmtime())
    got = requests.get(f"{url}/v1/report", params={"day": day}, headers=ADMIN, timeout=30)
    assert got.status_code == 200, got.text
    return {h["kiosk_id"]: h for h in got.json()["health"]}


def test_the_kiosk_reports_its_health_and_the_dashboard_shows_it(tmp_path: Path) -> None:
    issuer = make_issuer(tmp_path / "issuer")
    with ServerThread(settings(tmp_path, issuer.directory)) as server:
        config, key = kiosk(tmp_path / "kiosk", url=server.url, issuer_dir=issuer.directory)
        register(server.url, config.kiosk_id, key)
        config.data_dir.mkdir(parents=True, exist_ok=True)
        store = EntryStore(config.data_dir / "entries.sqlite", kiosk_id=config.kiosk_id)
        for i in range(5):
            store.record_decision(decision(i), at_ms=int(time.time() * 1000))
        client = SyncClient(config, store, key, root_key=load_root_key(issuer.root_public_pem))
        assert _health(server.url)[config.kiosk_id]["reported"] is None
        loop = SyncLoop(client).start()
        try:
            assert wait_for(lambda: _health(server.url)[config.kiosk_id]["reported"] is not None)
        finally:
            loop.stop()
        h = _health(server.url)[config.kiosk_id]
        reported = h["reported"]
        assert isinstance(reported, dict)
        assert reported["backlog"] == 0 and reported["parked"] == 0
        assert reported["trust_version"] == issuer.trust_list_version
        assert reported["revocation_version"] == issuer.revocation_version
        assert reported["policy_version"] is not None
        assert reported["clock_confirmed"] is True
        assert isinstance(reported["clock_skew_s"], float) and abs(reported["clock_skew_s"]) < 5
        assert h["last_contact_ms"] is not None
        page = requests.get(
            f"{server.url}/v1/dashboard",
            params={"day": time.strftime("%Y-%m-%d", time.gmtime())},
            headers=ADMIN,
            timeout=30,
        )
        assert page.status_code == 200
        assert "backlog (reported)" in page.text and "not confirmed" not in page.text
        store.close()


def test_a_health_report_is_believed_only_from_the_kiosk_it_names(tmp_path: Path) -> None:
    issuer = make_issuer(tmp_path / "issuer")
    with ServerThread(settings(tmp_path, issuer.directory)) as server:
        key, stranger = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
        register(server.url, "gate-01", key)
        register(server.url, "gate-02", stranger)
        good = {
            "kiosk_id": "gate-01", "at_ms": 1, "online": True, "backlog": 3, "parked": 0,
            "trust_version": 1, "revocation_version": 1, "policy_version": None,
            "clock_skew_s": 0.5, "clock_confirmed": False, "last_error": "", "software": "t",
        }  # fmt: skip
        assert _post(server.url, "gate-01", stranger, good) == 401  # not gate-01's key
        assert _post(server.url, "gate-09", key, good) == 403  # not registered
        assert _post(server.url, "gate-02", stranger, good) == 422  # names another kiosk
        assert _post(server.url, "gate-01", key, {**good, "backlog": "3"}) == 422
        assert _post(server.url, "gate-01", key, {**good, "extra": 1}) == 422
        assert _post(server.url, "gate-01", key, {**good, "online": 1}) == 422
        health = _health(server.url)
        assert health["gate-01"]["reported"] is None and health["gate-02"]["reported"] is None
        assert _post(server.url, "gate-01", key, good) == 204
        reported = _health(server.url)["gate-01"]["reported"]
        assert isinstance(reported, dict) and reported["backlog"] == 3
