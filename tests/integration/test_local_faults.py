"""Local faults the kiosk must show, not hide (issue 12, problems 4 and 5)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from kiosk.adapters.config import load_config
from kiosk.adapters.identity import IdentityError, load_registered_identity
from kiosk.adapters.store import EntryStore, StoreError
from kiosk.commands.run import FaultedSync
from kiosk.port import KioskEvent, StatusEvent
from kiosk.service import KioskService
from server_stub.issuer import Issuer
from tests.conftest import NOW, context_for

REPO = Path(__file__).resolve().parents[2]


class FailingStore(EntryStore):
    """A store whose reads fail, as a damaged file's do."""

    def backlog(self) -> int:
        raise StoreError("entries.sqlite: database disk image is malformed")


def test_the_status_worker_survives_store_errors(tmp_path: Path, issuer: Issuer) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text('kiosk_id = "k"\ndata_dir = "var"\n[trust]\nroot_key = "r.pem"\n')
    config = load_config(path)
    config.data_dir.mkdir()
    store = FailingStore(config.data_dir / "entries.sqlite", kiosk_id="k")
    service = KioskService(config, context_for(issuer), store, clock=lambda: float(NOW))
    seen: list[KioskEvent] = []
    two = threading.Event()

    def on_event(event: KioskEvent) -> None:
        if isinstance(event, StatusEvent):
            seen.append(event)
            if len(seen) >= 2:
                two.set()

    service.subscribe(on_event)
    service.start()
    try:
        assert two.wait(timeout=30), "the status worker died on the first StoreError"
    finally:
        service.stop()


def test_a_missing_identity_key_is_a_fault_never_a_new_key(tmp_path: Path) -> None:
    key = tmp_path / "var" / "kiosk-identity.pem"
    with pytest.raises(
        IdentityError, match="identity key missing: run kiosk keygen and re-register"
    ):
        load_registered_identity(key)
    assert not key.exists()
    status = FaultedSync("identity key missing").status()
    assert status.online is False and "identity key missing" in status.last_error


def test_kiosk_sync_with_a_lost_key_exits_2_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "kiosk.toml").write_text(
        'kiosk_id = "k"\ndata_dir = "var"\n[trust]\nroot_key = "root.pub.pem"\n'
        '[server]\nurl = "http://127.0.0.1:9"\n'
    )
    Issuer.create(tmp_path / "issuer", now=NOW)
    (tmp_path / "root.pub.pem").write_bytes((tmp_path / "issuer" / "root.pub.pem").read_bytes())
    done = subprocess.run(
        [sys.executable, "-m", "kiosk", "sync", "--config", str(tmp_path / "kiosk.toml")],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().count("\n") == 0
    assert "identity key missing: run kiosk keygen and re-register" in done.stderr
    assert not (tmp_path / "var" / "kiosk-identity.pem").exists()
