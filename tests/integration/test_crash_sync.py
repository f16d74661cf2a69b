"""A kiosk killed at random moments while it logs and syncs loses nothing and sends nothing twice.

A child process logs entries as fast as a busy gate and runs the real
SyncLoop against a real server (which also drops and truncates some
answers).  It is SIGKILLed at a random moment, started again on the same
files, many times.  Then the backlog is drained, and the server must hold
exactly the entries the kiosk committed: none lost, none twice, the hash
chain intact on both sides.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk.adapters.config import load_config
from kiosk.adapters.identity import load_identity
from kiosk.adapters.store import EntryStore
from kiosk.adapters.sync import SyncClient
from kiosk.core.trust import load_root_key
from server_stub.faults import parse_faults
from server_stub.server import ServerThread
from tests.integration.server_harness import REPO, make_issuer, register, settings, write_config

RUNS = 15
"""Kills per run: a fixed count, so a loaded machine makes the test slower, never weaker."""

CHILD = """
import sys, time
from kiosk.adapters.config import load_config
from kiosk.adapters.identity import load_identity
from kiosk.adapters.identity import load_or_create_identity
from kiosk.adapters.store import EntryStore
from kiosk.adapters.sync import SyncClient, SyncLoop
from kiosk.adapters.trust_store import load_root
from tests.integration.server_harness import decision

config = load_config(sys.argv[1])
config.data_dir.mkdir(parents=True, exist_ok=True)
store = EntryStore(config.data_dir / "entries.sqlite", kiosk_id=config.kiosk_id)
identity = load_or_create_identity(config.identity_key)
client = SyncClient(config, store, identity, root_key=load_root(config.root_key))
SyncLoop(client).start()
print("ready", flush=True)
i = 0
while True:
    store.record_decision(decision(i), at_ms=int(time.time() * 1000))
    i += 1
    time.sleep(0.002)
"""


@pytest.mark.slow
def test_kiosk_killed_while_syncing_loses_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    issuer = make_issuer(tmp_path / "issuer")
    rng = random.Random(int(os.environ.get("CRASH_SEED", "20261123")))
    faults = parse_faults("drop:0.05,truncate:0.05")
    started = time.monotonic()
    with ServerThread(settings(tmp_path, issuer.directory, faults=faults)) as server:
        config_path = write_config(
            tmp_path / "kiosk", url=server.url, issuer_dir=issuer.directory,
            timeout_s=1.0, interval_s=0.05, batch_size=40,
        )  # fmt: skip
        script = tmp_path / "kiosk_child.py"
        script.write_text(CHILD, encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        runs = 0
        registered = False
        while runs < RUNS:
            child = subprocess.Popen(
                [sys.executable, str(script), str(config_path)],
                cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
            assert child.stdout is not None
            line = child.stdout.readline()
            assert line.strip() == "ready", child.stderr.read() if child.stderr else line
            if not registered:
                config = load_config(config_path)
                register(server.url, config.kiosk_id, load_identity(config.identity_key))
                registered = True
            time.sleep(rng.uniform(0.2, 1.2))
            child.send_signal(signal.SIGKILL)
            child.wait(10)
            runs += 1
            if child.stderr is not None:
                errors = child.stderr.read()
                assert "Traceback" not in errors, errors

        # recovery: the kiosk starts once more and drains its backlog
        server.injector.set(())
        config = load_config(config_path)
        store = EntryStore(config.data_dir / "entries.sqlite", kiosk_id=config.kiosk_id)
        client = SyncClient(
            config, store, load_identity(config.identity_key),
            root_key=load_root_key(issuer.root_public_pem),
        )  # fmt: skip
        for _ in range(50):
            if client.round(int(time.time()), lists=False, max_attempts=3).push.backlog == 0:
                break
        kiosk_ids = [e.id for e in store.iter_entries()]
        kiosk_chain = store.verify_chain()
        backlog = store.backlog()
        client.close()
        store.close()
        server_ids = server.store.entry_ids(config.kiosk_id)
        server_chain = server.store.check_chain(config.kiosk_id)
    lost = len(set(kiosk_ids) - set(server_ids))
    duplicated = len(server_ids) - len(set(server_ids))
    extra = len(set(server_ids) - set(kiosk_ids))
    summary = (
        f"crash test: {runs} runs killed, {len(kiosk_ids)} entries committed, "
        f"{len(server_ids)} on the server, lost {lost}, duplicated {duplicated}, "
        f"unknown to the kiosk {extra}, backlog {backlog}, "
        f"{time.monotonic() - started:.1f} s"
    )
    with capsys.disabled():
        print(f"\n{summary}")
    assert runs >= 10, summary
    assert len(kiosk_ids) > 0, summary
    assert (lost, duplicated, extra, backlog) == (0, 0, 0, 0), summary
    assert server_ids == kiosk_ids, summary
    assert kiosk_chain.ok, kiosk_chain.message
    assert server_chain.ok, server_chain.message
