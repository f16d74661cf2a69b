"""The visit log on real files: migration from the landed schema, and a disk that fills up.

``tests/fixtures/logs/schema1.sqlite`` was written by the kiosk before visits
(schema 1: observations and overrides without the visit's verdict).  Opening it
migrates it in place: nothing is lost, no hash changes, and its visits read as
those logs meant them.

The full-disk test puts the log on a real small filesystem (an 8 MiB tmpfs,
mounted by the test; skipped where mounting is not allowed), fills it, scans,
frees it, and checks that every scan is in the log, in order, chain intact.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.adapters.config import load_config
from kiosk.adapters.store import SCHEMA_VERSION, EntryStore
from kiosk.core.visit_log import fold_visits
from kiosk.port import KioskEvent, VisitEvent
from kiosk.service import KioskService
from server_stub.issuer import Issuer, good_certificates
from tests.conftest import NOW, context_for

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "logs" / "schema1.sqlite"


def test_a_schema_1_log_is_migrated_on_open_and_loses_nothing(tmp_path: Path) -> None:
    db = tmp_path / "entries.sqlite"
    shutil.copyfile(FIXTURE, db)
    with EntryStore(db, kiosk_id="gate-old") as store:
        before = {e.id: e.hash for e in store.iter_entries()}
        assert store.verify_chain().ok
    with EntryStore(db, kiosk_id="gate-old") as store:  # opening twice migrates once
        entries = list(store.iter_entries())
        assert {e.id: e.hash for e in entries} == before and len(entries) == 5
        assert store._meta()["schema_version"] == str(SCHEMA_VERSION)
        scans = [e for e in entries if e.kind.value == "scan"]
        assert [len(store.visit_entries(s.id)) for s in scans] == [2, 3]
        visits = fold_visits(entries)
        assert [(v.name, v.final_verdict, v.decided_by) for v in visits] == [
            ("Old *allow", "ALLOW", "kiosk"),
            ("Old *review", "ALLOW", "guard"),
        ]
        assert visits[0].temperature_c == 38.4 and visits[1].mask is True
        counts = store.visit_counts_since(0)
        assert (counts["visits"], counts["ALLOW"], counts["overruled"]) == (2, 2, 1)
        assert store.verify_chain().ok


@contextlib.contextmanager
def small_filesystem(where: Path, size: str = "8m") -> Iterator[Path]:
    where.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(where)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small filesystem here: {mounted.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(directory: Path) -> Path:
    """Fill the filesystem: write until ENOSPC; returns the filler to delete."""
    filler = directory / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        chunk = b"\0" * 4096
        with contextlib.suppress(OSError):
            while True:
                os.write(fd, chunk)
    finally:
        os.close(fd)
    return filler


@pytest.mark.slow
def test_a_full_disk_holds_every_scan_in_order_and_writes_it_when_freed(
    tmp_path: Path, issuer: Issuer
) -> None:
    with small_filesystem(tmp_path / "small") as disk:
        config_path = tmp_path / "kiosk.toml"
        config_path.write_text(
            f'kiosk_id = "gate-full"\ndata_dir = "{disk}"\n[trust]\nroot_key = "root.pub.pem"\n'
            "[sync]\nenabled = false\n",
            encoding="utf-8",
        )
        config = load_config(config_path)
        store = EntryStore(disk / "entries.sqlite", kiosk_id="gate-full")
        service = KioskService(config, context_for(issuer), store, clock=lambda: float(NOW))
        opened: list[str] = []
        faults: list[str] = []
        done = threading.Condition()

        def seen(event: KioskEvent) -> None:
            if isinstance(event, VisitEvent) and event.opened:
                with done:
                    opened.append(event.visit.visit_id)
                    done.notify_all()

        service.subscribe(seen)
        service.start()
        try:
            codes = [
                issuer.mint(name=f"Person *{i}", now=NOW - 60, **good_certificates(NOW))
                for i in range(30)
            ]
            service.submit_text(codes[0])
            with done:
                assert done.wait_for(lambda: len(opened) == 1, 30)
            filler = fill(disk)
            for text in codes[1:]:
                service.submit_text(text)
            with done:
                assert done.wait_for(lambda: len(opened) == len(codes), 60)
            for _ in range(600):
                status = service.status()
                if status.log.fault:
                    faults.append(status.log.fault)
                    break
                threading.Event().wait(0.05)
            assert faults and "full" in faults[0], "the full disk was never reported"
            assert service.status().log.held > 0
            filler.unlink()
            for _ in range(1200):
                if service.status().log.held == 0:
                    break
                threading.Event().wait(0.05)
            assert service.status().log.held == 0 and not service.status().log.fault
        finally:
            service.stop()
        scans = [e.id for e in store.iter_entries() if e.kind.value == "scan"]
        assert scans == opened, "every scan logged once, in the order it was decided"
        assert store.verify_chain().ok
        store.close()
