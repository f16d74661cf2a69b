"""Backlog drain: a kiosk that was offline sends 100,000 logged entries to the server.

    python bench/backlog_drain.py [--entries 100000] [--batch 2000]

Fills a real kiosk entry log (EntryStore, SQLite) with entries while the
server is unreachable, then starts ``server-stub serve`` on a free
127.0.0.1 port and times ``SyncClient.push_all`` until the backlog is empty:
reading pending entries, building and signing batches, POSTing them, the
server checking and storing every entry, and marking them sent.  The
target is under 10 s.

Runs twice in one go on copies of the same filled log: acks signed by the
server and verified by the kiosk (what ships), and, side by side, unsigned
acks believed as they come (``UnsignedAckClient``: the landed behaviour,
for comparison only), each against a fresh server.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.server_ingest import ADMIN, start_server  # noqa: E402
from kiosk.adapters.config import load_config  # noqa: E402
from kiosk.adapters.http_fetch import Answer  # noqa: E402
from kiosk.adapters.identity import load_or_create_identity, public_pem  # noqa: E402
from kiosk.adapters.store import EntryStore  # noqa: E402
from kiosk.adapters.sync import PushReport, SyncClient  # noqa: E402
from kiosk.core.errors import Reason, ReasonCode, Severity  # noqa: E402
from kiosk.core.model import Colour, Decision, Verdict  # noqa: E402
from kiosk.core.trust import load_root_key  # noqa: E402

TARGET_S = 10.0


def fill(store: EntryStore, n: int) -> float:
    """Log ``n`` entries; returns the seconds it took (one durable commit each)."""
    start = time.perf_counter()
    review = (Reason(ReasonCode.COLOUR_REVIEW, Severity.REVIEW, "yellow code"),)
    base = int(time.time() * 1000) - n
    for i in range(n):
        verdict = Verdict.REVIEW if i % 7 == 0 else Verdict.ALLOW
        store.record_decision(
            Decision(
                verdict=verdict,
                reasons=review if verdict is Verdict.REVIEW else (),
                decided_at=base // 1000,
                name="王*明",
                colour=Colour.YELLOW if verdict is Verdict.REVIEW else Colour.GREEN,
                holder_key=f"{i:064x}",
            ),
            at_ms=base + i,
        )
    return time.perf_counter() - start


class UnsignedAckClient(SyncClient):
    """The landed kiosk's ack handling, kept here only to measure what verifying costs."""

    def _ensure_ack_key(self) -> str:
        return ""

    def _acked(self, batch: Any, response: Answer) -> PushReport:
        ack = json.loads(response.body)
        self.store.mark_sent(
            ack["accepted"], batch_id=batch.batch_id, acked_at_ms=int(time.time() * 1000)
        )
        self._pending = None
        return PushReport(pushed=len(ack["accepted"]), batches=1, backlog=self.store.backlog())


def write_config(tmp: Path, url: str, batch: int) -> Path:
    path = tmp / "kiosk.toml"
    path.write_text(
        'kiosk_id = "bench-01"\ndata_dir = "data"\n'
        f'policy = "{REPO / "config" / "policy.toml"}"\n'
        f'[trust]\nroot_key = "{tmp / "issuer" / "root.pub.pem"}"\n'
        f'[server]\nurl = "{url}"\ntimeout_s = 30\n'
        f"[sync]\nbatch_size = {batch}\n",
        encoding="utf-8",
    )
    return path


def drain(tmp: Path, log: Path, batch: int, entries: int, *, signed: bool) -> bool:
    """Start a server, copy the filled log in, push it all; print the figures."""
    proc, url = start_server(tmp, *(() if signed else ("--unsigned-acks",)))
    try:
        config = load_config(write_config(tmp, url, batch))
        config.data_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy(log, config.data_dir / "entries.sqlite")
        shutil.copy(log.with_name("kiosk-identity.pem"), config.identity_key)
        key = load_or_create_identity(config.identity_key)
        requests.post(
            f"{url}/v1/kiosks",
            json={"kiosk_id": config.kiosk_id, "public_key_pem": public_pem(key).decode()},
            headers=ADMIN,
            timeout=10,
        ).raise_for_status()
        store = EntryStore(config.data_dir / "entries.sqlite", kiosk_id=config.kiosk_id)
        root = load_root_key((tmp / "issuer" / "root.pub.pem").read_bytes())
        kind = SyncClient if signed else UnsignedAckClient
        client = kind(config, store, key, root_key=root)
        start = time.perf_counter()
        report = client.push_all(max_attempts=3)
        elapsed = time.perf_counter() - start
        backlog = store.backlog()
        client.close()
        store.close()
        held = requests.get(f"{url}/v1/stats", timeout=30).json()["entries"]
    finally:
        proc.terminate()
        proc.wait(10)
    acks = "signed acks, verified" if signed else "unsigned acks, believed (landed behaviour)"
    print(f"  {acks}: drained in {elapsed:.2f} s ({entries / elapsed:,.0f} entries/s, "
          f"{report.batches} batches); backlog left {backlog}; server holds {held}")  # fmt: skip
    if report.error:
        print(f"    last error: {report.error}")
    print(f"    target < {TARGET_S:.0f} s: {'met' if elapsed < TARGET_S else 'NOT met'}")
    return backlog == 0 and held == entries


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        filled = tmp / "filled"
        filled.mkdir()
        key = load_or_create_identity(filled / "kiosk-identity.pem")
        del key
        store = EntryStore(filled / "entries.sqlite", kiosk_id="bench-01")
        fill_s = fill(store, args.entries)
        store.close()
        print(f"backlog drain: {args.entries} entries logged offline in {fill_s:.1f} s; "
              f"batches of {args.batch}; load average {os.getloadavg()[0]:.2f} "
              f"on {os.cpu_count()} cores")  # fmt: skip
        results = []
        for signed in (True, False):
            run_dir = tmp / ("signed" if signed else "unsigned")
            run_dir.mkdir()
            shutil.copytree(tmp / "filled", run_dir / "filled")
            results.append(
                drain(run_dir, run_dir / "filled" / "entries.sqlite", args.batch, args.entries,
                      signed=signed)
            )  # fmt: skip
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
