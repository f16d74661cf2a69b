"""Answers are bounded: no redirect followed, a total deadline, a size cap after inflating.

Each case is a hostile fake server on 127.0.0.1 (``hostile_server``) that did
harm to the landed kiosk: a 307 carried the signed batch to another host, a
drip at one byte a time held a round for as long as it dripped, a gzip bomb
of a few hundred KB was inflated whole in memory.
"""

from __future__ import annotations

import json
import threading
import time
import tracemalloc
from pathlib import Path

import pytest

from kiosk.adapters.http_fetch import BoundedFetcher, FetchError
from kiosk.adapters.sync import SyncLoop
from server_stub.issuer import Issuer
from tests.integration.hostile_server import HostileServer, Reply, gzip_bomb
from tests.integration.server_harness import client_for, decision, make_issuer


@pytest.fixture()
def issuer(tmp_path: Path) -> Issuer:
    return make_issuer(tmp_path / "issuer")


def fake_ack(_m: str, path: str, _h: dict[str, str], body: bytes) -> Reply:
    """What the other host answers: a plain ack naming every entry it was sent."""
    if path != "/v1/batches":
        return Reply(404)
    batch = json.loads(body)
    ids = [e["id"] for e in batch["entries"]]
    ack = {"batch_id": batch["batch_id"], "accepted": ids, "stored": len(ids), "duplicates": 0}
    return Reply(200, {"Content-Type": "application/json"}, json.dumps(ack).encode())


def test_a_redirect_is_never_followed(tmp_path: Path, issuer: Issuer) -> None:
    with HostileServer(fake_ack) as other:

        def redirect(_m: str, path: str, _h: dict[str, str], _b: bytes) -> Reply:
            return Reply(307, {"Location": f"{other.url}{path}"})

        with HostileServer(redirect) as server:
            client, store = client_for(tmp_path, server.url, issuer)
            for i in range(10):
                store.record_decision(decision(i), at_ms=int(time.time() * 1000))
            report = client.round(int(time.time()), max_attempts=2)
            backlog = store.backlog()
            client.close()
            store.close()
    print(f"\nredirect: other host got {other.count('/v1/batches')} batches, backlog {backlog}")
    assert other.count("/v1/batches") == 0
    assert backlog == 10  # lost 0: nothing marked sent
    assert "redirect" in report.push.error and "never followed" in report.push.error
    assert not report.online


def test_a_drip_ends_at_the_deadline_and_the_status_says_so(tmp_path: Path, issuer: Issuer) -> None:
    def drip(_m: str, _p: str, _h: dict[str, str], _b: bytes) -> Reply:
        return Reply(200, {"Content-Type": "application/cose"}, b"x" * 10_000, drip_s=0.05)

    with HostileServer(drip) as server:
        client, store = client_for(tmp_path, server.url, issuer, deadline_s=0.5)
        store.record_decision(decision(1), at_ms=int(time.time() * 1000))
        loop = SyncLoop(client)
        failed = threading.Event()
        seen: list[str] = []

        def watch() -> None:
            while not failed.is_set():
                status = loop.status()
                if status.last_error:
                    seen.append(status.last_error)
                    failed.set()
                time.sleep(0.01)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        loop.start()
        try:
            # the first failing request shows in the status while the round still runs
            assert failed.wait(30)
        finally:
            loop.stop(timeout=10)
            server.stop_drip.set()
        store.close()
    print(f"\ndrip: status {seen[0]!r}")
    assert "deadline" in seen[0]
    assert loop.rounds >= 1


def test_deadline_bounds_a_dripped_body(tmp_path: Path) -> None:
    def drip(_m: str, _p: str, _h: dict[str, str], _b: bytes) -> Reply:
        return Reply(200, {}, b"y" * 1000, drip_s=0.05)

    with HostileServer(drip) as server:
        fetcher = BoundedFetcher(read_timeout_s=2.0, deadline_s=0.4)
        with pytest.raises(FetchError) as caught:
            fetcher.fetch("GET", server.url + "/v1/trust-list", cap=1 << 20)
        server.stop_drip.set()
        fetcher.close()
    assert caught.value.kind == "deadline"


def test_a_gzip_bomb_is_refused_at_the_cap_without_inflating_it(tmp_path: Path) -> None:
    bomb = gzip_bomb(256 * 1024 * 1024)

    def bombing(_m: str, _p: str, _h: dict[str, str], _b: bytes) -> Reply:
        return Reply(200, {"Content-Encoding": "gzip"}, bomb)

    with HostileServer(bombing) as server:
        fetcher = BoundedFetcher(read_timeout_s=2.0, deadline_s=10)
        tracemalloc.start()
        try:
            with pytest.raises(FetchError) as caught:
                fetcher.fetch("GET", server.url + "/v1/trust-list", cap=4 * 1024 * 1024)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            fetcher.close()
    print(f"\nbomb: {len(bomb)} bytes on the wire, peak {peak / 2**20:.1f} MiB traced")
    assert caught.value.kind == "too-large"
    assert "after decompression" in caught.value.message
    assert peak < 32 * 1024 * 1024


def test_a_huge_list_is_refused_at_the_cap(tmp_path: Path) -> None:
    def huge(_m: str, _p: str, _h: dict[str, str], _b: bytes) -> Reply:
        # claims 400 MB: refused from the header, nothing read
        return Reply(200, {"Content-Length": str(400 * 1024 * 1024)}, b"")

    def chunk_liar(_m: str, _p: str, _h: dict[str, str], _b: bytes) -> Reply:
        return Reply(200, {"Content-Length": str(8 * 1024 * 1024)}, bytes(8 * 1024 * 1024))

    for behaviour in (huge, chunk_liar):
        with HostileServer(behaviour) as server:
            fetcher = BoundedFetcher(read_timeout_s=2.0, deadline_s=10)
            with pytest.raises(FetchError) as caught:
                fetcher.fetch("GET", server.url + "/v1/trust-list", cap=4 * 1024 * 1024)
            fetcher.close()
        assert caught.value.kind == "too-large"


def test_an_answer_within_bounds_is_read_whole_even_if_gzipped(tmp_path: Path) -> None:
    import gzip

    payload = b"z" * 100_000

    def fine(_m: str, _p: str, _h: dict[str, str], _b: bytes) -> Reply:
        return Reply(200, {"Content-Encoding": "gzip"}, gzip.compress(payload))

    with HostileServer(fine) as server:
        fetcher = BoundedFetcher(read_timeout_s=2.0, deadline_s=10)
        answer = fetcher.fetch("GET", server.url + "/x", cap=200_000)
        fetcher.close()
    assert answer.status == 200 and answer.body == payload
    assert server.seen[0].headers["accept-encoding"] == "identity"
