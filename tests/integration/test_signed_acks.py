"""Acks are believed only when the server's ack key signed them and they match the batch.

On the landed kiosk a fake server's plain 200 with the right ``batch_id``
marked 10/10 entries sent while the central server held none.  Here every
forgery a man in the middle or a fake server can make is tried on
127.0.0.1 and the kiosk's backlog is counted after each: lost 0.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.adapters.config import ConfigError, load_config
from kiosk.adapters.store import EntryStore
from kiosk.adapters.sync import SyncClient, SyncLoop
from kiosk.core.server_signed import Head, ack_bytes, ack_fields
from kiosk.core.trust import load_root_key
from server_stub.ack_signer import public_spki
from server_stub.issuer import Issuer
from server_stub.server import ServerThread
from tests.integration.hostile_server import HostileServer, Reply
from tests.integration.server_harness import (
    client_for,
    decision,
    kiosk,
    make_issuer,
    register,
    settings,
    write_config,
)


@pytest.fixture()
def issuer(tmp_path: Path) -> Issuer:
    return make_issuer(tmp_path / "issuer")


def forging_server(issuer: Issuer, ack_key: Ed25519PrivateKey, forge: str) -> HostileServer:
    """Serves a genuine root-certified ack key, then acks batches the way ``forge`` says."""
    certificate = issuer.certify_ack_key(public_spki(ack_key), now=int(time.time()) - 60)
    other_root = make_issuer(issuer.directory.parent / "other-root")
    mallory = Ed25519PrivateKey.generate()

    def behave(_m: str, path: str, _h: dict[str, str], body: bytes) -> Reply:
        if path == "/v1/ack-key":
            if forge == "own-key":
                cert = other_root.certify_ack_key(public_spki(mallory), now=int(time.time()))
                return Reply(200, {}, cert)
            return Reply(200, {}, certificate)
        if path != "/v1/batches":
            return Reply(404)
        batch = json.loads(body)
        ids = [e["id"] for e in batch["entries"]]
        fields = ack_fields(
            kiosk_id=batch["kiosk_id"],
            batch_id=batch["batch_id"],
            body_sha256=hashlib.sha256(body).hexdigest(),
            accepted=ids,
            stored=len(ids),
            duplicates=0,
            server_time_ms=int(time.time() * 1000),
            head=Head(1, "0" * 64),
        )
        signer = ack_key
        if forge == "unsigned":
            plain = {"batch_id": batch["batch_id"], "accepted": ids, "stored": len(ids)}
            return Reply(200, {}, json.dumps(plain).encode())
        if forge == "other-key":
            signer = mallory
        if forge == "fewer-ids":
            fields["accepted"] = ids[:-1]
        if forge == "more-ids":
            fields["accepted"] = [*ids, "01J0000000000000000000000"]
        if forge == "other-batch":
            fields["batch_id"] = "00000000-0000-4000-8000-000000000000"
        if forge == "other-body":
            fields["body_sha256"] = "0" * 64
        if forge == "other-kiosk":
            fields["kiosk_id"] = "gate-99"
        data = ack_bytes(fields)
        if forge == "tampered":
            data = data.replace(b'"stored":', b'"stored": ')
        signature = base64.b64encode(signer.sign(ack_bytes(fields))).decode()
        return Reply(200, {"X-Ack-Signature": signature}, data)

    return HostileServer(behave)


FORGERIES = [
    "unsigned", "other-key", "own-key", "fewer-ids", "more-ids", "other-batch", "other-body",
    "other-kiosk", "tampered",
]  # fmt: skip


@pytest.mark.parametrize("forge", FORGERIES)
def test_a_forged_ack_marks_nothing_sent(tmp_path: Path, issuer: Issuer, forge: str) -> None:
    with forging_server(issuer, Ed25519PrivateKey.generate(), forge) as server:
        client, store = client_for(tmp_path, server.url, issuer)
        for i in range(10):
            store.record_decision(decision(i), at_ms=int(time.time() * 1000))
        report = client.push_all(max_attempts=2)
        backlog = store.backlog()
        client.close()
        store.close()
    print(f"\n{forge}: pushed {report.pushed}, backlog {backlog}: {report.error}")
    assert (report.pushed, backlog) == (0, 10)
    assert "nothing" in report.error


def test_a_genuine_ack_from_the_same_fake_rig_is_taken(tmp_path: Path, issuer: Issuer) -> None:
    """The control: the forging rig with no forgery marks exactly the 10 sent."""
    with forging_server(issuer, Ed25519PrivateKey.generate(), "none") as server:
        client, store = client_for(tmp_path, server.url, issuer)
        for i in range(10):
            store.record_decision(decision(i), at_ms=int(time.time() * 1000))
        report = client.push_all(max_attempts=2)
        assert (report.pushed, store.backlog()) == (10, 0), report.error
        assert client.confirmed_skew_s is not None
        client.close()
        store.close()


def test_real_server_acks_verify_and_the_key_is_kept(tmp_path: Path, issuer: Issuer) -> None:
    with ServerThread(settings(tmp_path, issuer.directory)) as server:
        client, store = client_for(tmp_path, server.url, issuer)
        register(server.url, client.config.kiosk_id, client.identity)
        ids = [
            store.record_decision(decision(i), at_ms=int(time.time() * 1000)).id for i in range(120)
        ]
        report = client.push_all(max_attempts=2)
        assert (report.pushed, store.backlog()) == (120, 0), report.error
        server_ids = server.store.entry_ids(client.config.kiosk_id)
        assert server_ids == ids  # lost 0, duplicated 0
        assert (client.config.data_dir / "server-ack-key.cose").exists()
        assert client.acked_head is not None and client.acked_head.seq == 120
        client.close()
        store.close()


def test_plain_http_off_loopback_is_refused_unless_insecure(tmp_path: Path, issuer: Issuer) -> None:
    path = write_config(tmp_path / "a", url="http://203.0.113.7:8787", issuer_dir=issuer.directory)
    with pytest.raises(ConfigError, match=r"server\.url.*https://"):
        load_config(path)
    path = write_config(
        tmp_path / "b",
        url="http://203.0.113.7:8787",
        issuer_dir=issuer.directory,
        server={"insecure_http": True},
    )
    config = load_config(path)
    assert config.server.plain_http
    https = write_config(tmp_path / "c", url="https://central.example", issuer_dir=issuer.directory)
    assert not load_config(https).server.plain_http
    local = write_config(tmp_path / "d", url="http://127.0.0.1:8787", issuer_dir=issuer.directory)
    assert not load_config(local).server.plain_http


def test_insecure_http_shows_in_the_status(tmp_path: Path, issuer: Issuer) -> None:
    config, key = kiosk(
        tmp_path / "k",
        url="http://203.0.113.7:9",
        issuer_dir=issuer.directory,
        timeout_s=0.2,
        server={"insecure_http": True, "deadline_s": 0.3},
    )
    config.data_dir.mkdir(parents=True, exist_ok=True)
    store = EntryStore(config.data_dir / "entries.sqlite", kiosk_id=config.kiosk_id)
    client = SyncClient(config, store, key, root_key=load_root_key(issuer.root_public_pem))
    loop = SyncLoop(client)
    loop._round()
    assert "unencrypted" in loop.status().notes
    store.close()
    client.close()


def test_pinned_ack_key_in_the_config(tmp_path: Path, issuer: Issuer) -> None:
    with ServerThread(settings(tmp_path, issuer.directory)) as server:
        pem = server.app.state.signer.public_pem()
        (tmp_path / "ack.pub.pem").write_bytes(pem)
        client, store = client_for(
            tmp_path, server.url, issuer, ack_key=str(tmp_path / "ack.pub.pem")
        )
        register(server.url, client.config.kiosk_id, client.identity)
        for i in range(5):
            store.record_decision(decision(i), at_ms=int(time.time() * 1000))
        report = client.push_all(max_attempts=2)
        assert (report.pushed, store.backlog()) == (5, 0), report.error
        assert server.store.entry_count() == 5
        client.close()
        store.close()
