"""SyncLoop: a background thread that never holds up scanning, with a status snapshot."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.adapters.store import EntryStore
from kiosk.adapters.sync import SyncClient, SyncLoop, SyncStatus
from kiosk.core.trust import load_root_key
from server_stub.issuer import Issuer
from server_stub.server import ServerThread
from tests.integration.frozen_server import FrozenServer
from tests.integration.server_harness import (
    decision,
    kiosk,
    make_issuer,
    register,
    set_faults,
    settings,
)
from tests.waiting import wait_for


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


def test_loop_drains_the_backlog_and_reports_status(rig: tuple) -> None:  # type: ignore[type-arg]
    server, store, client, issuer = rig
    ids = [store.record_decision(decision(i), at_ms=int(time.time() * 1000)).id for i in range(75)]
    loop = SyncLoop(client).start()
    try:
        assert wait_for(lambda: loop.status().backlog == 0 and loop.status().online)
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
        assert wait_for(lambda: server.store.entry_count() == 76)
        # an outage shows in the status, and ends by itself
        set_faults(server.url, "500:1")
        store.record_decision(decision(100), at_ms=int(time.time() * 1000))
        loop.trigger()
        # offline shows mid-round, as soon as the request fails; the backlog at the round's end
        assert wait_for(lambda: not loop.status().online and loop.status().backlog == 1)
        assert "500" in loop.status().last_error
        set_faults(server.url, "none")
        assert wait_for(lambda: loop.status().online and loop.status().backlog == 0)
    finally:
        loop.stop()
    assert server.store.entry_count() == 77
    assert server.store.check_chain("gate-01").ok


def test_logging_and_status_go_on_while_a_sync_request_hangs(tmp_path: Path) -> None:
    """A server frozen mid-request holds up neither the log nor the status.

    No duration is measured: every write and every status call must finish while
    the sync request is still outstanding at a server that never answers.
    """
    issuer = make_issuer(tmp_path / "issuer")
    with FrozenServer() as frozen:
        config, key = kiosk(
            tmp_path / "kiosk", url=frozen.url, issuer_dir=issuer.directory, timeout_s=120
        )
        config.data_dir.mkdir(parents=True, exist_ok=True)
        store = EntryStore(config.data_dir / "entries.sqlite", kiosk_id=config.kiosk_id)
        client = SyncClient(config, store, key, root_key=load_root_key(issuer.root_public_pem))
        store.record_decision(decision(0), at_ms=int(time.time() * 1000))
        loop = SyncLoop(client).start()
        try:
            loop.trigger()
            assert frozen.accepted.wait(30), "the sync loop never reached the server"
            assert frozen.outstanding() == 1
            for n in range(1, 201):
                store.record_decision(decision(n), at_ms=int(time.time() * 1000))
            statuses = [loop.status() for _ in range(50)]
            assert frozen.outstanding() == 1, "the request ended: nothing was shown to overlap it"
            assert store.backlog() == 201
            assert len(statuses) == 50 and all(isinstance(s, SyncStatus) for s in statuses)
        finally:
            frozen.close()  # the hung request fails at once, so the loop can stop
            loop.stop(timeout=10)
            store.close()
