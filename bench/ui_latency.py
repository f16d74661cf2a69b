"""Time from a logged decision to the verdict on the guard's screen.

    .venv/bin/python bench/ui_latency.py [--codes 40] [--waiting 0,50]

Runs the real guard UI (Textual, headless under its pilot) on the real
service with a real SQLite log, submits codes one at a time as a
keyboard-wedge scanner would, and measures from the moment the service
publishes the logged decision to the moment the verdict panel shows that
person's name.  Target: within 100 ms, also with 50 visits waiting for the
guard (``--waiting``: that many yellow codes are scanned first and left in the
"waiting for you" list; each figure is measured in its own run, side by side).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

from kiosk.adapters.config import load_config
from kiosk.adapters.store import EntryStore
from kiosk.core.pipeline import ScanContext
from kiosk.core.policy import DEFAULT_POLICY
from kiosk.core.trust import load_root_key, parse_revocation_list, parse_trust_list
from kiosk.port import KioskEvent, VisitEvent
from kiosk.service import KioskService
from kiosk.ui.app import KioskApp
from server_stub.issuer import Issuer, good_certificates


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--codes", type=int, default=40)
    parser.add_argument(
        "--waiting", default="0,50", help="comma-separated counts of visits left waiting"
    )
    args = parser.parse_args()
    print(f"# {os.cpu_count()} cores; {args.codes} codes a run")
    print("| visits waiting | median ms | p95 ms | max ms | shown |")
    print("|---|---|---|---|---|")
    for waiting in (int(w) for w in args.waiting.split(",")):
        latencies = run(args.codes, waiting)
        latencies.sort()
        print(
            f"| {waiting} | {statistics.median(latencies):.1f} "
            f"| {latencies[int(len(latencies) * 0.95)]:.1f} | {latencies[-1]:.1f} "
            f"| {len(latencies)} of {args.codes} |",
            flush=True,
        )


def run(count: int, waiting: int) -> list[float]:
    now = int(time.time())
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        issuer = Issuer.create(folder / "iss", now=now - 86400)
        root = load_root_key(issuer.root_public_pem)
        ctx = ScanContext(
            DEFAULT_POLICY,
            parse_trust_list(issuer.trust_list(), root, now=now),
            parse_revocation_list(issuer.revocation_list(), root, now=now),
        )
        (folder / "kiosk.toml").write_text(
            'kiosk_id = "bench"\ndata_dir = "var"\n[trust]\nroot_key = "r.pem"\n'
        )
        config = load_config(folder / "kiosk.toml")
        config.data_dir.mkdir()
        store = EntryStore(config.data_dir / "entries.sqlite", kiosk_id="bench")
        service = KioskService(config, ctx, store)
        published: dict[str, float] = {}

        def on_event(event: KioskEvent) -> None:
            if isinstance(event, VisitEvent) and event.opened:
                published[event.visit.decision.name] = time.perf_counter()

        service.subscribe(on_event)
        good = good_certificates(now)
        names = [f"Person *{i:03d}" for i in range(count)]
        codes = [issuer.mint(name=n, now=now - 30, **good) for n in names]
        queue = [
            issuer.mint(name=f"Waiting *{i:03d}", now=now - 30, colour="Y", **good)
            for i in range(waiting)
        ]
        latencies: list[float] = []

        async def script() -> None:
            app = KioskApp(service, bell=False)
            async with app.run_test(size=(160, 48)) as pilot:
                await pilot.pause(0.2)
                for code in queue:
                    service.submit_text(code)
                while len(service.waiting()) < waiting:
                    await asyncio.sleep(0.01)
                await pilot.pause(0.2)
                for name, code in zip(names, codes, strict=True):
                    service.submit_text(code)
                    deadline = time.perf_counter() + 5
                    while time.perf_counter() < deadline:
                        if name in app.verdict_text.plain:
                            latencies.append((time.perf_counter() - published[name]) * 1000)
                            break
                        await asyncio.sleep(0.001)
                    await pilot.pause(0.05)

        service.start()
        try:
            asyncio.run(script())
        finally:
            service.stop()
    return latencies


if __name__ == "__main__":
    main()
