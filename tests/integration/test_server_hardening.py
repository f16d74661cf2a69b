"""The server's limits, against a real server on 127.0.0.1.

On the landed server idle, trickled-header and trickled-body connections
stayed open 75-80 s, up to 8 MiB was read before the kiosk id or signature
was checked, and a kiosk whose log was lost re-sent seqs 1-30 and the
server stored both copies.  No test here times anything: each waits for the
event (the server closing the socket) with a generous socket timeout.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.adapters.store import EntryStore
from kiosk.adapters.sync import SyncClient
from kiosk.core.trust import load_root_key
from server_stub.issuer import Issuer
from server_stub.server import ServerThread
from tests.integration.server_harness import (
    batch_body,
    decision,
    kiosk,
    make_entries,
    make_issuer,
    post_batch,
    register,
    settings,
)

KIOSK = "gate-01"
LIMITS = {"keep_alive_s": 1.0, "header_timeout_s": 1.0, "body_timeout_s": 1.0}


@pytest.fixture()
def issuer(tmp_path: Path) -> Issuer:
    return make_issuer(tmp_path / "issuer")


@pytest.fixture()
def server(tmp_path: Path, issuer: Issuer) -> Iterator[ServerThread]:
    with ServerThread(settings(tmp_path, issuer.directory, **LIMITS)) as s:
        yield s


def closed_by_server(sock: socket.socket, trickle: bytes = b"") -> bool:
    """Send ``trickle`` a byte every 0.2 s until the server hangs up; True if it did."""
    sock.settimeout(20)  # far beyond the 1 s limits: the server must close first
    for i in range(200):
        if i < len(trickle):
            try:
                sock.sendall(trickle[i : i + 1])
            except OSError:
                return True
        try:
            sock.settimeout(0.2 if i < len(trickle) else 20)
            data = sock.recv(4096)
        except TimeoutError:
            continue
        except OSError:
            return True
        if data == b"" or b" 408 " in data.split(b"\r\n", 1)[0]:
            return True
    return False


def connect(server: ServerThread) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=5)


def test_idle_connection_is_closed(server: ServerThread) -> None:
    with connect(server) as sock:
        assert closed_by_server(sock)


def test_trickled_header_is_cut(server: ServerThread) -> None:
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Pad: " + b"a" * 200 + b"\r\n\r\n"
    with connect(server) as sock:
        assert closed_by_server(sock, head)


def test_trickled_body_is_cut(server: ServerThread, tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    register(server.url, KIOSK, key)
    bid, body = batch_body(KIOSK, make_entries(KIOSK, 3))
    # a genuine signed head, then the body a byte at a time
    import base64
    import hashlib

    from kiosk.core.server_signed import batch_statement

    digest = hashlib.sha256(body).hexdigest()
    signature = base64.b64encode(key.sign(batch_statement(KIOSK, digest))).decode()
    head = (
        f"POST /v1/batches HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"X-Kiosk-Id: {KIOSK}\r\nX-Signature: {signature}\r\nX-Body-SHA256: {digest}\r\n"
        f"Idempotency-Key: {bid}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    with connect(server) as sock:
        sock.sendall(head)
        assert closed_by_server(sock, body)
    assert server.store.entry_count() == 0


def test_a_stranger_gets_no_body_read(server: ServerThread) -> None:
    """Unknown kiosk: refused from the headers, with 8 MiB announced and not one byte sent."""
    head = (
        b"POST /v1/batches HTTP/1.1\r\nHost: x\r\nX-Kiosk-Id: nobody\r\n"
        b"X-Body-SHA256: " + b"0" * 64 + b"\r\nX-Signature: AAAA\r\n"
        b"Content-Length: 8388608\r\n\r\n"
    )
    with connect(server) as sock:
        sock.sendall(head)
        sock.settimeout(20)
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 403")


def test_concurrency_limit_answers_503(tmp_path: Path, issuer: Issuer) -> None:
    with ServerThread(settings(tmp_path, issuer.directory, limit_concurrency=4)) as server:
        held = [connect(server) for _ in range(6)]
        try:
            late = connect(server)
            late.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            late.settimeout(20)
            answer = late.recv(4096)
            late.close()
        finally:
            for sock in held:
                sock.close()
    assert answer.startswith(b"HTTP/1.1 503")


def test_reused_seq_is_refused_reported_and_never_stored_twice(
    tmp_path: Path, issuer: Issuer
) -> None:
    """A kiosk whose log was lost starts again at seq 1: the server keeps the first copy."""
    with ServerThread(settings(tmp_path, issuer.directory)) as server:
        config, key = kiosk(tmp_path / "k", url=server.url, issuer_dir=issuer.directory)
        register(server.url, config.kiosk_id, key)
        root = load_root_key(issuer.root_public_pem)
        first_dir = config.data_dir
        first_dir.mkdir(parents=True, exist_ok=True)
        store = EntryStore(first_dir / "entries.sqlite", kiosk_id=config.kiosk_id)
        ids = [
            store.record_decision(decision(i), at_ms=int(time.time() * 1000)).id for i in range(30)
        ]
        client = SyncClient(config, store, key, root_key=root)
        assert client.push_all(max_attempts=2).pushed == 30
        client.close()
        store.close()
        # the log is lost with its head record (a new disk): a fresh file, seqs 1-30 again
        (first_dir / "entries.sqlite").rename(first_dir / "lost.sqlite")
        for extra in ("-wal", "-shm", ".head"):
            (first_dir / f"entries.sqlite{extra}").unlink(missing_ok=True)
        store = EntryStore(first_dir / "entries.sqlite", kiosk_id=config.kiosk_id)
        for i in range(30):
            store.record_decision(decision(i), at_ms=int(time.time() * 1000))
        client = SyncClient(config, store, key, root_key=root)
        report = client.push_all(max_attempts=2)
        parked = store.parked()
        client.close()
        store.close()
        held = server.store.entry_ids(config.kiosk_id)
        conflicts = server.store.seq_conflicts(config.kiosk_id)
        chain = server.store.check_chain(config.kiosk_id)
    assert report.pushed == 0 and report.parked == 30
    assert "409 SEQ_CONFLICT" in parked[0].reason
    assert held == ids  # the first copy, once: duplicated 0
    assert conflicts >= 1
    assert chain.ok


def test_a_batch_that_does_not_link_to_what_is_held_is_refused(server: ServerThread) -> None:
    key = Ed25519PrivateKey.generate()
    register(server.url, KIOSK, key)
    first = make_entries(KIOSK, 5)
    bid, body = batch_body(KIOSK, first)
    assert post_batch(server.url, KIOSK, key, body, bid).status_code == 200
    stranger = make_entries(KIOSK, 5, start_seq=6)  # starts from genesis, not from seq 5
    bid, body = batch_body(KIOSK, stranger)
    r = post_batch(server.url, KIOSK, key, body, bid)
    assert r.status_code == 422 and r.json()["error"] == "BAD_CHAIN"
    linked = make_entries(KIOSK, 5, start_seq=6, prev=first[-1].hash)
    bid, body = batch_body(KIOSK, linked)
    assert post_batch(server.url, KIOSK, key, body, bid).status_code == 200
    assert server.store.entry_count(KIOSK) == 10
