"""Injected faults: the spec, and a mix of all of them against a kiosk that keeps logging."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from kiosk.adapters.store import EntryStore
from kiosk.adapters.sync import SyncClient
from kiosk.core.trust import load_root_key
from server_stub.faults import Fault, FaultSpecError, format_faults, parse_faults
from server_stub.server import ServerThread
from tests.integration.server_harness import (
    decision,
    kiosk,
    make_issuer,
    register,
    set_faults,
    settings,
)


def test_fault_spec_parses() -> None:
    faults = parse_faults("drop:0.2, 500:0.1,429:0.1@2,delay:0.5@3,truncate:0.1")
    assert faults == (
        Fault("drop", 0.2, 0.0),
        Fault("500", 0.1, 0.0),
        Fault("429", 0.1, 2.0),
        Fault("delay", 0.5, 3.0),
        Fault("truncate", 0.1, 0.0),
    )
    assert parse_faults(format_faults(faults)) == faults
    assert parse_faults("") == parse_faults("none") == ()
    assert parse_faults("429:1")[0].param == 1.0
    assert parse_faults("delay:1")[0].param == 5.0


@pytest.mark.parametrize("spec", ["boom:1", "drop", "drop:2", "drop:x", "delay:1@-1", "500:0.1@"])
def test_bad_fault_spec_names_the_part(spec: str) -> None:
    with pytest.raises(FaultSpecError, match="fault"):
        parse_faults(spec)


@pytest.mark.slow
def test_fault_mix_loses_nothing_and_stores_nothing_twice(tmp_path: Path) -> None:
    issuer = make_issuer(tmp_path / "issuer")
    mix = (
        "drop:0.12,500:0.08,429:0.08@0.05,truncate:0.08,delay:0.06@0.8,"
        "redirect:0.06,drip:0.1@0.05,bomb:0.05,poison:0.04"
    )
    with ServerThread(
        settings(tmp_path, issuer.directory, faults=parse_faults(mix), fault_seed=2)
    ) as server:
        config, key = kiosk(
            tmp_path / "kiosk", url=server.url, issuer_dir=issuer.directory,
            timeout_s=0.4, batch_size=25, server={"deadline_s": 0.6},
        )  # fmt: skip
        register(server.url, config.kiosk_id, key)
        config.data_dir.mkdir(parents=True, exist_ok=True)
        store = EntryStore(config.data_dir / "entries.sqlite", kiosk_id=config.kiosk_id)
        client = SyncClient(config, store, key, root_key=load_root_key(issuer.root_public_pem))
        done = threading.Event()

        def scan() -> None:
            for i in range(600):
                store.record_decision(decision(i), at_ms=int(time.time() * 1000))
                time.sleep(0.002)
            done.set()

        scanner = threading.Thread(target=scan)
        scanner.start()
        deadline = time.monotonic() + 40
        failures = 0
        while time.monotonic() < deadline:
            report = client.round(int(time.time()), max_attempts=1)
            failures += 0 if report.push.ok else 1
            waiting = report.push.backlog - store.parked_count()
            if done.is_set() and report.push.ok and waiting == 0:
                break
            time.sleep(min(report.next_delay_s, 0.05))
        scanner.join()
        set_faults(server.url, "none")
        parked = store.unpark_all()  # poisoned batches, sent again after "the fix"
        client.round(int(time.time()), max_attempts=3)  # whatever a last fault left behind
        kiosk_ids = [e.id for e in store.iter_entries()]
        server_ids = server.store.entry_ids(config.kiosk_id)
        injected = dict(server.injector.injected)
        chain = server.store.check_chain(config.kiosk_id)
        store.close()
        client.close()
    lost = len(set(kiosk_ids) - set(server_ids))
    duplicated = len(server_ids) - len(set(server_ids))
    print(f"\nfault mix: {len(kiosk_ids)} entries, {failures} failed rounds, {parked} parked, "
          f"injected {injected}, lost {lost}, duplicated {duplicated}")  # fmt: skip
    assert len(kiosk_ids) == 600
    assert server_ids == kiosk_ids, (lost, duplicated)
    assert all(n > 0 for n in injected.values()), injected
    assert parked > 0  # a poisoned batch was set aside, and landed after the retry
    assert chain.ok, chain.message
