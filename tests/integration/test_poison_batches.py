"""A batch the server refuses for good is parked with its reason; the rest goes on.

On the landed kiosk a permanent 422 on the batch holding seq 3 was sent 35
times in 30 s, forever, nothing behind it was sent, and the summary said
"online".  Here the real server refuses that batch (``poison`` fault) and
the counts are: that batch sent once, everything else stored, then after
``--retry-parked`` everything stored once (lost 0, duplicated 0).
"""

from __future__ import annotations

import time
from pathlib import Path

from kiosk.adapters.config import load_config
from kiosk.adapters.identity import load_or_create_identity
from kiosk.adapters.store import EntryStore
from kiosk.adapters.sync import SyncClient, SyncLoop
from kiosk.core.trust import load_root_key
from server_stub.faults import parse_faults
from server_stub.server import ServerThread
from tests.integration.server_harness import (
    ServerProcess,
    decision,
    kiosk,
    make_issuer,
    register,
    set_faults,
    settings,
    write_config,
)
from tests.integration.test_sync_command import kiosk_cli


def test_poison_batch_is_parked_and_the_backlog_goes_on(tmp_path: Path) -> None:
    issuer = make_issuer(tmp_path / "issuer")
    poison = parse_faults("poison:1@3")
    with ServerThread(settings(tmp_path, issuer.directory, faults=poison)) as server:
        config, key = kiosk(tmp_path / "k", url=server.url, issuer_dir=issuer.directory)
        register(server.url, config.kiosk_id, key)
        config.data_dir.mkdir(parents=True, exist_ok=True)
        store = EntryStore(config.data_dir / "entries.sqlite", kiosk_id=config.kiosk_id)
        ids = [
            store.record_decision(decision(i), at_ms=int(time.time() * 1000)).id for i in range(200)
        ]
        client = SyncClient(
            config, store, key, root_key=load_root_key(issuer.root_public_pem), sleep=lambda s: 0
        )
        loop = SyncLoop(client)
        for _ in range(3):  # three rounds: the parked batch is not sent again
            loop._round()
        posts = client.requests
        status = loop.status()
        assert server.store.entry_count(config.kiosk_id) == 150  # seq 51..200
        assert store.backlog() == 50 and store.parked_count() == 50
        (parked,) = store.parked()
        assert (parked.first_seq, parked.last_seq) == (1, 50)
        assert "422 POISON" in parked.reason
        assert "50 entries parked" in status.notes and "retry-parked" in status.notes

        # after the fix, the parked batch goes again and lands once
        set_faults(server.url, "none")
        assert store.unpark_all() == 50
        report = client.push_all(max_attempts=2)
        assert report.ok, report.error
        server_ids = server.store.entry_ids(config.kiosk_id)
        chain = server.store.check_chain(config.kiosk_id)
        client.close()
        store.close()
    lost = len(set(ids) - set(server_ids))
    duplicated = len(server_ids) - len(set(server_ids))
    print(f"\npoison: {posts} requests in 3 rounds, lost {lost}, duplicated {duplicated}")
    assert server_ids == ids and (lost, duplicated) == (0, 0)
    assert chain.ok, chain.message


def test_kiosk_sync_and_log_show_parked_and_retry_them(tmp_path: Path) -> None:
    issuer = make_issuer(tmp_path / "issuer")
    with ServerProcess(tmp_path, issuer.directory, "--fault", "poison:1@2") as server:
        path = write_config(tmp_path / "k", url=server.url, issuer_dir=issuer.directory)
        config = load_config(path)
        key = load_or_create_identity(config.identity_key)
        register(server.url, config.kiosk_id, key)
        config.data_dir.mkdir(parents=True, exist_ok=True)
        with EntryStore(config.data_dir / "entries.sqlite", kiosk_id=config.kiosk_id) as store:
            for i in range(120):
                store.record_decision(decision(i), at_ms=int(time.time() * 1000))
        synced = kiosk_cli("sync", "--config", str(path), "--no-lists")
        assert synced.returncode == 1
        assert "parked 50 entries the server refused: 422 POISON" in synced.stdout
        assert "backlog 50" in synced.stdout
        assert "retry-parked" in synced.stderr
        shown = kiosk_cli("log", "parked", "--config", str(path))
        assert shown.returncode == 0 and "seq 1-50 (50 entries)" in shown.stdout
        verify = kiosk_cli("log", "verify", "--config", str(path))
        assert "50 entries parked" in verify.stdout
        set_faults(server.url, "none")
        again = kiosk_cli("sync", "--config", str(path), "--no-lists", "--retry-parked")
        assert again.returncode == 0, again.stdout + again.stderr
        assert "retrying 50 parked entries" in again.stdout
        assert "backlog 0" in again.stdout
