"""The server stub's HTTP API over real HTTP on 127.0.0.1, with a real SQLite file and a
real PostgreSQL database (each test runs on both stores)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.core.entry import EntryKind, seal_entry
from kiosk.core.trust import load_root_key, parse_signed_policy
from server_stub.issuer import Issuer
from server_stub.server import ServerThread
from tests.integration.server_harness import (
    ADMIN,
    POLICY,
    batch_body,
    make_entries,
    make_issuer,
    post_batch,
    register,
    settings,
)

KIOSK = "gate-01"


class Clock:
    """A server clock the test can move."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> Issuer:
    return make_issuer(tmp_path_factory.mktemp("issuer"))


@pytest.fixture()
def clock() -> Clock:
    return Clock()


@pytest.fixture()
def server(
    tmp_path: Path, issuer: Issuer, clock: Clock, server_db: Path | str
) -> Iterator[ServerThread]:
    """The server on each store backend (SQLite file, PostgreSQL database): ``server_db``."""
    with ServerThread(
        settings(tmp_path, issuer.directory, db=server_db, max_body_bytes=256 * 1024, clock=clock)
    ) as s:
        yield s


@pytest.fixture()
def key(server: ServerThread) -> Ed25519PrivateKey:
    k = Ed25519PrivateKey.generate()
    register(server.url, KIOSK, k)
    return k


def test_batch_is_stored_and_acknowledged(server: ServerThread, key: Ed25519PrivateKey) -> None:
    entries = make_entries(KIOSK, 20)
    bid, body = batch_body(KIOSK, entries)
    r = post_batch(server.url, KIOSK, key, body, bid)
    assert r.status_code == 200, r.text
    ack = r.json()
    assert ack["batch_id"] == bid
    assert ack["accepted"] == [e.id for e in entries]
    assert (ack["stored"], ack["duplicates"]) == (20, 0)
    assert abs(ack["server_time_ms"] - time.time() * 1000) < 5000
    assert "date" in r.headers
    assert server.store.entry_ids(KIOSK) == [e.id for e in entries]
    assert server.store.check_chain(KIOSK).ok


def test_same_batch_again_gets_the_same_answer_and_stores_nothing(
    server: ServerThread, key: Ed25519PrivateKey
) -> None:
    bid, body = batch_body(KIOSK, make_entries(KIOSK, 5))
    first = post_batch(server.url, KIOSK, key, body, bid)
    again = post_batch(server.url, KIOSK, key, body, bid)
    assert first.status_code == again.status_code == 200
    # the same ack, signed afresh: only the server's time differs
    first_ack, again_ack = first.json(), again.json()
    del first_ack["server_time_ms"], again_ack["server_time_ms"]
    assert first_ack == again_ack
    assert server.store.entry_count() == 5
    assert server.store.stats()[0].batches == 1


def test_overlapping_batches_store_only_new_entries_and_ack_all(
    server: ServerThread, key: Ed25519PrivateKey
) -> None:
    entries = make_entries(KIOSK, 15)
    bid1, body1 = batch_body(KIOSK, entries[:10])
    bid2, body2 = batch_body(KIOSK, entries[5:])
    assert post_batch(server.url, KIOSK, key, body1, bid1).json()["stored"] == 10
    ack = post_batch(server.url, KIOSK, key, body2, bid2).json()
    assert ack["accepted"] == [e.id for e in entries[5:]]
    assert (ack["stored"], ack["duplicates"]) == (5, 5)
    assert server.store.entry_ids(KIOSK) == [e.id for e in entries]
    assert server.store.check_chain(KIOSK).ok


def test_same_batch_id_with_another_body_is_409(
    server: ServerThread, key: Ed25519PrivateKey
) -> None:
    entries = make_entries(KIOSK, 6)
    bid, body = batch_body(KIOSK, entries[:3])
    assert post_batch(server.url, KIOSK, key, body, bid).status_code == 200
    _, other = batch_body(KIOSK, entries, batch_id=bid)
    r = post_batch(server.url, KIOSK, key, other, bid)
    assert r.status_code == 409
    assert r.json()["error"] == "BATCH_CONFLICT"
    assert server.store.entry_count() == 3


def test_entry_id_held_with_other_contents_is_409_and_nothing_stored(
    server: ServerThread, key: Ed25519PrivateKey
) -> None:
    first = make_entries(KIOSK, 2)
    bid, body = batch_body(KIOSK, first)
    assert post_batch(server.url, KIOSK, key, body, bid).status_code == 200
    w = first[1].to_wire()
    del w["hash"]
    w["name"] = "someone else"
    forged = seal_entry(**{**w, "kind": EntryKind(w["kind"]), "reasons": tuple(w["reasons"])})
    later = make_entries(KIOSK, 1, start_seq=3, prev=forged.hash)
    bid, body = batch_body(KIOSK, [forged, *later])
    r = post_batch(server.url, KIOSK, key, body, bid)
    assert r.status_code == 409
    assert r.json()["error"] == "ENTRY_CONFLICT"
    assert server.store.entry_ids(KIOSK) == [e.id for e in first]


def test_unknown_kiosk_is_403(server: ServerThread) -> None:
    stranger = Ed25519PrivateKey.generate()
    bid, body = batch_body("gate-99", make_entries("gate-99", 2))
    r = post_batch(server.url, "gate-99", stranger, body, bid)
    assert r.status_code == 403
    assert r.json()["error"] == "UNKNOWN_KIOSK"
    assert server.store.entry_count() == 0


def test_bad_or_missing_signature_is_401(server: ServerThread, key: Ed25519PrivateKey) -> None:
    bid, body = batch_body(KIOSK, make_entries(KIOSK, 2))
    other_key = Ed25519PrivateKey.generate()
    assert post_batch(server.url, KIOSK, other_key, body, bid).status_code == 401
    good_sig = base64.b64encode(key.sign(body)).decode()
    tampered = body.replace(b'"ALLOW"', b'"DENY"', 1)
    r = post_batch(server.url, KIOSK, key, tampered, bid, **{"X-Signature": good_sig})
    assert r.status_code == 401
    r = post_batch(server.url, KIOSK, key, body, bid, **{"X-Signature": "!!not base64!!"})
    assert r.status_code == 401
    r = requests.post(f"{server.url}/v1/batches", data=body, timeout=5)
    assert r.status_code == 401
    assert server.store.entry_count() == 0


def test_oversized_body_is_413_before_parsing(server: ServerThread, key: Ed25519PrivateKey) -> None:
    body = b"{" + b" " * (300 * 1024) + b"}"
    r = post_batch(server.url, KIOSK, key, body, "x")
    assert r.status_code == 413
    assert r.json()["error"] == "TOO_LARGE"
    # far too large: refused from the Content-Length alone
    huge = b"x" * (2 * 1024 * 1024)
    r = post_batch(server.url, KIOSK, key, huge, "x")
    assert r.status_code == 413
    assert server.store.entry_count() == 0


def test_malformed_json_is_422(server: ServerThread, key: Ed25519PrivateKey) -> None:
    for body in (b"{not json", b"[1, 2]", b"\xff\xfe", b""):
        r = post_batch(server.url, KIOSK, key, body, "x")
        assert r.status_code == 422, (body, r.text)
        assert r.json()["message"]
    assert server.store.entry_count() == 0


def _relinked(batch: dict[str, Any]) -> None:
    """Seq 3 replaced by a well-formed entry that does not link to seq 2."""
    (stray,) = make_entries(KIOSK, 1, start_seq=3, prev="ab" * 32)
    batch["entries"][2] = stray.to_wire()


SCHEMA_CASES: dict[str, Callable[[dict[str, Any]], object]] = {
    "missing entries": lambda b: b.pop("entries"),
    "extra field": lambda b: b.update(extra=1),
    "kiosk mismatch": lambda b: b.update(kiosk_id="gate-02"),
    "sent_at text": lambda b: b.update(sent_at_ms="now"),
    "entries not a list": lambda b: b.update(entries={}),
    "entry not an object": lambda b: b["entries"].append(7),
    "entry missing field": lambda b: b["entries"][1].pop("seq"),
    "entry extra field": lambda b: b["entries"][1].update(colour_hint="G"),
    "entry wrong type": lambda b: b["entries"][0].update(at_ms="x"),
    "entry bad hash": lambda b: b["entries"][2].update(name="someone else"),
    "entry other kiosk": lambda b: b["entries"][0].update(kiosk_id="gate-02"),
    "entry twice": lambda b: b["entries"].append(b["entries"][0]),
    "broken link": _relinked,
}


@pytest.mark.parametrize("name", sorted(SCHEMA_CASES))
def test_wrong_schema_is_4xx_and_nothing_stored(
    server: ServerThread, key: Ed25519PrivateKey, name: str
) -> None:
    bid, body = batch_body(KIOSK, make_entries(KIOSK, 4))
    batch = json.loads(body)
    SCHEMA_CASES[name](batch)
    r = post_batch(server.url, KIOSK, key, json.dumps(batch).encode(), bid)
    assert r.status_code == 422, (name, r.status_code, r.text)
    assert r.json()["message"]
    assert server.store.entry_count() == 0


def test_bad_batch_id_is_422(server: ServerThread, key: Ed25519PrivateKey) -> None:
    _, body = batch_body(KIOSK, make_entries(KIOSK, 1), batch_id="not-a-uuid")
    assert post_batch(server.url, KIOSK, key, body, "not-a-uuid").status_code == 422


def test_idempotency_key_must_match(server: ServerThread, key: Ed25519PrivateKey) -> None:
    bid, body = batch_body(KIOSK, make_entries(KIOSK, 2))
    r = post_batch(server.url, KIOSK, key, body, bid, **{"Idempotency-Key": "other"})
    assert r.status_code == 422
    assert server.store.entry_count() == 0


def test_replay_window(server: ServerThread, key: Ed25519PrivateKey, clock: Clock) -> None:
    old = int((time.time() - 2 * 86400) * 1000)
    bid, body = batch_body(KIOSK, make_entries(KIOSK, 2), sent_at_ms=old)
    r = post_batch(server.url, KIOSK, key, body, bid)
    assert r.status_code == 400
    assert r.json()["error"] == "REPLAY"
    assert server.store.entry_count() == 0
    # a batch seen before is answered again even once it is outside the window
    bid, body = batch_body(KIOSK, make_entries(KIOSK, 2))
    first = post_batch(server.url, KIOSK, key, body, bid)
    clock.offset = 3 * 86400
    again = post_batch(server.url, KIOSK, key, body, bid)
    assert again.status_code == 200
    assert again.json()["accepted"] == first.json()["accepted"]
    assert again.json()["body_sha256"] == first.json()["body_sha256"]
    assert server.store.entry_count() == 2


def test_lists_with_etags_and_304(server: ServerThread, issuer: Issuer) -> None:
    for path, version, data in (
        ("/v1/trust-list", issuer.trust_list_version, issuer.trust_list()),
        ("/v1/revocations", issuer.revocation_version, issuer.revocation_list()),
    ):
        r = requests.get(server.url + path, timeout=5)
        assert r.status_code == 200
        assert r.headers["content-type"] == "application/cose"
        assert r.headers["etag"] == f'"{version}"'
        assert r.content == data
        assert "date" in r.headers
        r = requests.get(server.url + path, headers={"If-None-Match": f'"{version}"'}, timeout=5)
        assert r.status_code == 304
        assert r.content == b""
        assert "date" in r.headers
        r = requests.get(server.url + path, headers={"If-None-Match": '"0"'}, timeout=5)
        assert r.status_code == 200


def test_revocation_gives_a_new_version(tmp_path: Path) -> None:
    issuer = make_issuer(tmp_path / "iss")
    with ServerThread(settings(tmp_path, issuer.directory)) as server:
        before = requests.get(server.url + "/v1/revocations", timeout=5)
        version = issuer.revoke(b"\x01" * 16, now=int(time.time()))
        after = requests.get(
            server.url + "/v1/revocations",
            headers={"If-None-Match": before.headers["etag"]},
            timeout=5,
        )
        assert after.status_code == 200
        assert after.headers["etag"] == f'"{version}"'
        assert after.content != before.content


def test_policy_is_signed_by_the_root_and_has_an_etag(server: ServerThread, issuer: Issuer) -> None:
    r = requests.get(server.url + "/v1/policy", timeout=5)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/cose")
    signed = parse_signed_policy(r.content, load_root_key(issuer.root_public_pem))
    assert signed.text == POLICY.read_text("utf-8")
    assert r.headers["etag"].startswith(f'"{signed.version}-')
    r2 = requests.get(
        server.url + "/v1/policy", headers={"If-None-Match": r.headers["etag"]}, timeout=5
    )
    assert r2.status_code == 304


def test_stats_and_health(server: ServerThread, key: Ed25519PrivateKey) -> None:
    entries = make_entries(KIOSK, 7)
    bid, body = batch_body(KIOSK, entries)
    post_batch(server.url, KIOSK, key, body, bid)
    anyone = requests.get(server.url + "/v1/stats?recent=3", timeout=5)
    assert anyone.status_code == 401 and anyone.json()["error"] == "ADMIN_REQUIRED"
    counts = requests.get(server.url + "/v1/stats", timeout=5).json()
    assert counts["entries"] == 7 and "recent" not in counts["kiosks"][0]
    stats = requests.get(
        server.url + "/v1/stats?recent=3&chain=true", headers=ADMIN, timeout=5
    ).json()
    assert stats["entries"] == 7
    (row,) = stats["kiosks"]
    assert row["kiosk_id"] == KIOSK
    assert (row["entries"], row["batches"], row["first_seq"], row["last_seq"]) == (7, 1, 1, 7)
    assert [e["seq"] for e in row["recent"]] == [7, 6, 5]
    assert row["chain"]["ok"] is True
    health = requests.get(server.url + "/healthz", timeout=5)
    assert health.json()["ok"] is True
    assert "date" in health.headers


def test_register_kiosk_checks_the_key(server: ServerThread) -> None:
    r = requests.post(
        server.url + "/v1/kiosks",
        json={"kiosk_id": "k", "public_key_pem": "nope"},
        headers=ADMIN,
        timeout=5,
    )
    assert r.status_code == 422
    r = requests.post(server.url + "/v1/kiosks", json={"kiosk_id": "k"}, headers=ADMIN, timeout=5)
    assert r.status_code == 422


def test_admin_faults_endpoint(server: ServerThread) -> None:
    r = requests.post(server.url + "/v1/admin/faults", json={"spec": "500:1"}, timeout=5)
    assert r.json()["faults"] == "500:1"
    assert requests.get(server.url + "/v1/trust-list", timeout=5).status_code == 500
    assert requests.get(server.url + "/healthz", timeout=5).status_code == 200  # never faulted
    r = requests.post(server.url + "/v1/admin/faults", json={"spec": "boom:1"}, timeout=5)
    assert r.status_code == 422
    requests.post(server.url + "/v1/admin/faults", json={"spec": "none"}, timeout=5)
    assert requests.get(server.url + "/v1/trust-list", timeout=5).status_code == 200
    injected = requests.get(server.url + "/v1/admin/faults", timeout=5).json()["injected"]
    assert injected["500"] == 1


def test_the_servers_database_is_private_to_its_user(tmp_path: Path) -> None:
    """Names, holder keys and salts: the database file is 0600, whatever the umask."""
    import os
    import stat

    from server_stub.storage import ServerStore

    old = os.umask(0o022)
    try:
        store = ServerStore(tmp_path / "srv" / "server.sqlite")
    finally:
        os.umask(old)
    store.close()
    mode = stat.S_IMODE((tmp_path / "srv" / "server.sqlite").stat().st_mode)
    assert mode == 0o600, oct(mode)
