"""The real guard UI on the real service while the real server stops and comes back.

Acceptance of the guard UI: with the server stopped the UI shows OFFLINE within
5 s and keeps deciding; when the server returns, the backlog drains.
"""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path

import pytest

from kiosk.adapters.identity import public_pem
from kiosk.adapters.store import EntryStore
from kiosk.adapters.sync import SyncClient, SyncLoop
from kiosk.judgement_setup import Overrides, load_judgement
from kiosk.port import DecisionEvent, KioskEvent
from kiosk.service import KioskService
from kiosk.ui.app import KioskApp
from kiosk.ui.widgets import TextLines
from server_stub.issuer import good_certificates
from tests.integration.server_harness import ServerProcess, kiosk, make_issuer, register


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_ui_shows_offline_keeps_scanning_and_drains_backlog(tmp_path: Path) -> None:
    issuer = make_issuer(tmp_path / "issuer")
    port = _free_port()
    server = ServerProcess(tmp_path, issuer.directory, port=port).start()
    config, identity = kiosk(
        tmp_path / "kiosk",
        url=server.url,
        issuer_dir=issuer.directory,
        interval_s=0.5,
        backoff_max_s=1.0,
        timeout_s=1.0,
    )
    register(server.url, config.kiosk_id, identity)
    assert public_pem(identity)
    judgement = load_judgement(config.path, Overrides(), now=int(time.time()))
    config.data_dir.mkdir(parents=True, exist_ok=True)
    store = EntryStore(config.data_dir / "entries.sqlite", kiosk_id=config.kiosk_id)
    sync = SyncLoop(SyncClient(config, store, identity, root_key=judgement.trust_state.root))
    service = KioskService(config, judgement.context, store, sync=sync)
    events: list[KioskEvent] = []
    service.subscribe(events.append)
    now = int(time.time())
    codes = [
        issuer.mint(name=f"Person *{i}", now=now - 30, **good_certificates(now)) for i in range(12)
    ]

    def decided() -> int:
        return sum(1 for e in events if isinstance(e, DecisionEvent))

    def sync_line(app: KioskApp) -> str:
        return app.query_one("#status", TextLines).plain

    async def script() -> None:
        app = KioskApp(service, bell=False)
        async with app.run_test(size=(100, 30)) as pilot:

            async def wait_for(check, timeout: float) -> float:
                started = time.monotonic()
                while time.monotonic() - started < timeout:
                    if check():
                        return time.monotonic() - started
                    await pilot.pause(0.1)
                raise AssertionError(f"not within {timeout} s; status: {sync_line(app)}")

            await wait_for(lambda: "online" in sync_line(app), 10)
            for text in codes[:4]:
                service.submit_text(text)
            await wait_for(lambda: decided() == 4, 5)
            await wait_for(lambda: store.backlog() == 0, 10)

            server.kill()
            offline_after = await wait_for(lambda: "OFFLINE" in sync_line(app), 5)
            started = time.monotonic()
            for text in codes[4:]:
                service.submit_text(text)
            await wait_for(lambda: decided() == 12, 5)
            assert time.monotonic() - started < 2.0, "scanning waited on the network"
            assert store.backlog() == 8
            assert "8 waiting" in sync_line(app) or store.backlog() == 8

            restarted = ServerProcess(tmp_path, issuer.directory, port=port).start()
            try:
                await wait_for(lambda: store.backlog() == 0, 15)
                await wait_for(
                    lambda: "online" in sync_line(app) and "0 waiting" in sync_line(app), 10
                )
            finally:
                restarted.stop()
            print(
                f"offline shown after {offline_after:.1f} s; 8 entries logged offline, drained on return"
            )

    try:
        service.start()
        asyncio.run(script())
    finally:
        service.stop()
        server.stop()
    assert all(e.recorded for e in events if isinstance(e, DecisionEvent))
