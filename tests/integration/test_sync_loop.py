"""SyncLoop: a background thread that never holds up scanning, with a status snapshot."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.adapters.store import EntryStore
from kiosk.adapters.sync import SyncClient, SyncLoop, SyncStatus
from kiosk.core.trust import load_root_key
from server_stub.issuer import Issuer
from server_stub.server import ServerThread
from tests.integration.server_harness import (
    decision,
    kiosk,
    make_issuer,
    register,
    set_faults,
    settings,
)


@pytest.fixture()
def rig(tmp_path: Path) -> Iterator[tuple[ServerThread, EntryStore, SyncClient, Issuer]]:
    issuer = make_issuer(tmp_path / "issuer")
    with ServerThread(settings(tmp_path, issuer.directory)) as server:
        config, key = kiosk(
            tmp_path / "kiosk", url=server.url, issuer_dir=issuer.directory, timeout_s=0.5
        )
        register(server.url, config.kiosk_id, key)
        config.data_dir.mkdir(parents=True, exist_ok=True)
        store = EntryStore(config.data_dir / "entries.sqlite", kiosk_id=config.kiosk_id)
        client = SyncClient(config, store, key, root_key=load_root_key(issuer.root_public_pem))
        yield server, store, client, issuer
        store.close()


def _wait(predicate: object, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return False


def test_loop_drains_the_backlog_and_reports_status(rig: tuple) -> None:  # type: ignore[type-arg]
    server, store, client, issuer = rig
    ids = [store.record_decision(decision(i), at_ms=int(time.time() * 1000)).id for i in range(75)]
    loop = SyncLoop(client).start()
    try:
        assert _wait(lambda: loop.status().backlog == 0 and loop.status().online)
        status = loop.status()
        assert isinstance(status, SyncStatus)
        assert status.last_success_ms is not None
        assert status.last_error == ""
        assert status.trust_version == issuer.trust_list_version
        assert status.revocation_version == issuer.revocation_version
        assert status.clock_skew_s is not None and abs(status.clock_skew_s) < 3
        assert server.store.entry_ids("gate-01") == ids
        # new entries go out on trigger(), without waiting for the interval
        store.record_decision(decision(99), at_ms=int(time.time() * 1000))
        loop.trigger()
        assert _wait(lambda: server.store.entry_count() == 76)
        # an outage shows in the status, and ends by itself
        set_faults(server.url, "500:1")
        store.record_decision(decision(100), at_ms=int(time.time() * 1000))
        loop.trigger()
        assert _wait(lambda: not loop.status().online)
        assert "500" in loop.status().last_error
        assert loop.status().backlog == 1
        set_faults(server.url, "none")
        assert _wait(lambda: loop.status().online and loop.status().backlog == 0)
    finally:
        loop.stop()
    assert server.store.entry_count() == 77
    assert server.store.check_chain("gate-01").ok


@pytest.mark.slow
def test_scanning_keeps_its_rate_while_the_server_hangs(rig: tuple) -> None:  # type: ignore[type-arg]
    server, store, client, _ = rig

    def write_rate(seconds: float) -> float:
        n = 0
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            store.record_decision(decision(n), at_ms=int(time.time() * 1000))
            n += 1
        return n / seconds

    baseline = write_rate(1.0)
    set_faults(server.url, "delay:1@2")  # every request hangs beyond the 0.5 s timeout
    loop = SyncLoop(client).start()
    try:
        status_times: list[float] = []
        stop = threading.Event()

        def poll_status() -> None:
            while not stop.is_set():
                t = time.monotonic()
                loop.status()
                status_times.append(time.monotonic() - t)
                time.sleep(0.01)

        poller = threading.Thread(target=poll_status, daemon=True)
        poller.start()
        loop.trigger()
        during = write_rate(2.0)
        stop.set()
        poller.join(2)
        assert not loop.status().online or loop.status().last_error
    finally:
        loop.stop(timeout=2)
    print(f"\nstore writes: {baseline:.0f}/s idle, {during:.0f}/s while sync hangs")
    assert during >= 0.5 * baseline, (baseline, during)
    assert max(status_times) < 0.05
