"""Kiosk health on the central server: the kiosk reports what only it knows (backlog,
parked batches, list and policy versions, clock offset, failed requests), signed with its
key; the server keeps the newest report and shows it in the report's JSON and the
dashboard.  Real server (both store backends), real sync client, real HTTP."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from pathlib import Path

import requests

from kiosk.adapters.ack_times import sync_attempts
from kiosk.adapters.sync import SyncLoop
from kiosk.core.server_signed import batch_statement, health_statement
from server_stub.issuer import Issuer
from server_stub.server import ServerThread
from tests.integration.server_harness import (
    ADMIN,
    client_for,
    decision,
    make_issuer,
    register,
    settings,
)


def _post(url: str, kiosk_id: str, body: bytes, signature: bytes) -> requests.Response:
    headers = {
        "Content-Type": "application/json",
        "X-Kiosk-Id": kiosk_id,
        "X-Signature": base64.b64encode(signature).decode(),
    }
    return requests.post(f"{url}/v1/health", data=body, headers=headers, timeout=10)


def test_a_kiosk_reports_its_health_and_the_dashboard_shows_it(
    tmp_path: Path, server_db: Path | str
) -> None:
    issuer: Issuer = make_issuer(tmp_path / "issuer")
    with ServerThread(settings(tmp_path, issuer.directory, db=server_db)) as server:
        client, store = client_for(tmp_path, server.url, issuer)
        kiosk_id = client.config.kiosk_id
        register(server.url, kiosk_id, client.identity)
        now_ms = int(time.time() * 1000)
        for i in range(5):
            store.record_decision(decision(i), at_ms=now_ms + i)
        client.fetch_lists_once(int(time.time()))
        loop = SyncLoop(client)
        loop._round()  # one round of the loop, in this thread: it pushes, then reports health
        tried = sync_attempts(
            client.config.data_dir / "entries.sqlite", start_ms=now_ms - 60_000,
            end_ms=int(time.time() * 1000) + 1,
        )  # fmt: skip
        assert tried is not None and [ok for _, ok in tried] == [True]  # the round was logged
        store.record_decision(decision(9), at_ms=now_ms + 9)  # written after the round
        fields = client.health_fields()
        assert fields["backlog"] == 1 and fields["oldest_unsent_ms"] == now_ms + 9

        r = requests.get(f"{server.url}/v1/report?day=2026-12-02", headers=ADMIN, timeout=30)
        assert r.status_code == 200, r.text
        (row,) = r.json()["health"]
        said = row["reported"]
        assert row["reported_ms"] is not None and said["backlog"] == 0
        assert said["oldest_unsent_ms"] is None and said["parked_batches"] == 0
        assert said["trust_list_version"] == issuer.trust_list_version
        assert said["revocation_version"] == client.revocations.version
        assert said["policy_version"] is not None and said["clock_offset_ms"] is not None
        page = requests.get(f"{server.url}/v1/dashboard?day=2026-12-02", headers=ADMIN, timeout=30)
        assert "health reported" in page.text
        assert f"{issuer.trust_list_version} / {said['revocation_version']}" in page.text

        # a newer report replaces it; an older one (delayed, replayed) does not
        assert client.send_health()
        (row,) = requests.get(
            f"{server.url}/v1/report?day=2026-12-02", headers=ADMIN, timeout=30
        ).json()["health"]
        assert row["reported"]["backlog"] == 1
        old = json.dumps({**fields, "sent_at_ms": fields["sent_at_ms"] - 60_000, "backlog": 7})
        signed = client.identity.sign(
            health_statement(kiosk_id, hashlib.sha256(old.encode()).hexdigest())
        )
        answer = _post(server.url, kiosk_id, old.encode(), signed)
        assert answer.status_code == 200 and answer.json()["kept"] is False
        assert server.store.health_reports()[kiosk_id][1]["backlog"] == 1


def test_a_health_report_must_be_signed_by_the_kiosk_and_well_formed(tmp_path: Path) -> None:
    issuer = make_issuer(tmp_path / "issuer")
    with ServerThread(settings(tmp_path, issuer.directory)) as server:
        client, _store = client_for(tmp_path, server.url, issuer)
        kiosk_id = client.config.kiosk_id
        assert not client.send_health()  # not registered: refused, and nothing breaks
        register(server.url, kiosk_id, client.identity)
        body = json.dumps(client.health_fields()).encode()
        digest = hashlib.sha256(body).hexdigest()
        # a batch signature over the same bytes is not a health signature
        as_batch = client.identity.sign(batch_statement(kiosk_id, digest))
        assert _post(server.url, kiosk_id, body, as_batch).status_code == 401
        for change, word in (
            ({"backlog": -1}, "backlog"),
            ({"policy_version": "7"}, "policy_version"),
            ({"kiosk_id": "someone-else"}, "kiosk_id"),
            ({"extra": 1}, "extra"),
        ):
            bad = json.dumps({**client.health_fields(), **change}).encode()
            signed = client.identity.sign(
                health_statement(kiosk_id, hashlib.sha256(bad).hexdigest())
            )
            r = _post(server.url, kiosk_id, bad, signed)
            assert r.status_code == 422 and word in r.text, r.text
        assert server.store.health_reports() == {}
