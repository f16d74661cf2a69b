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
from kiosk.port import KioskEvent, VisitEvent
from kiosk.service import KioskService
from kiosk.ui.app import KioskApp
from kiosk.ui.widgets import TextLines
from server_stub.issuer import good_certificates
from tests.integration.frozen_server import FrozenServer
from tests.integration.server_harness import ServerProcess, kiosk, make_issuer, register


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _kiosk_service(config, identity, issuer, people: int):  # type: ignore[no-untyped-def]
    """The real service with its real sync loop and log, and codes for ``people`` people."""
    judgement = load_judgement(config.path, Overrides(), now=int(time.time()))
    config.data_dir.mkdir(parents=True, exist_ok=True)
    store = EntryStore(config.data_dir / "entries.sqlite", kiosk_id=config.kiosk_id)
    sync = SyncLoop(SyncClient(config, store, identity, root_key=judgement.trust_state.root))
    service = KioskService(config, judgement.context, store, sync=sync)
    events: list[KioskEvent] = []
    service.subscribe(events.append)
    now = int(time.time())
    codes = [
        issuer.mint(name=f"Person *{i}", now=now - 30, **good_certificates(now))
        for i in range(people)
    ]
    return service, store, events, codes


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
    service, store, events, codes = _kiosk_service(config, identity, issuer, 12)

    def decided() -> int:
        return sum(1 for e in events if isinstance(e, VisitEvent) and e.opened)

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

            await wait_for(lambda: "online" in sync_line(app), 30)
            for text in codes[:4]:
                service.submit_text(text)
            await wait_for(lambda: decided() == 4, 30)
            await wait_for(lambda: store.backlog() == 0, 30)

            server.kill()
            offline_after = await wait_for(lambda: "OFFLINE" in sync_line(app), 30)
            for text in codes[4:]:
                service.submit_text(text)
            await wait_for(lambda: decided() == 12, 30)
            assert store.backlog() == 8
            assert "8 waiting" in sync_line(app) or store.backlog() == 8

            restarted = ServerProcess(tmp_path, issuer.directory, port=port).start()
            try:
                await wait_for(lambda: store.backlog() == 0, 30)
                await wait_for(
                    lambda: "online" in sync_line(app) and "0 waiting" in sync_line(app), 30
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
    assert all(e.visit.recorded for e in events if isinstance(e, VisitEvent))


def test_scanning_finishes_while_the_server_is_frozen_mid_request(tmp_path: Path) -> None:
    """Decisions are made, logged and shown while a sync request hangs at the server.

    The property, not a duration: every scan is decided and recorded while the
    one sync request the kiosk sent is still outstanding at a server that never
    answers (``FrozenServer``), with the real UI on the real service.
    """
    issuer = make_issuer(tmp_path / "issuer")
    with FrozenServer() as frozen:
        config, identity = kiosk(
            tmp_path / "kiosk", url=frozen.url, issuer_dir=issuer.directory, timeout_s=120
        )
        config.trust_list.parent.mkdir(parents=True, exist_ok=True)
        config.trust_list.write_bytes(issuer.trust_list())  # as a sync before the freeze left them
        config.revocations.write_bytes(issuer.revocation_list())
        service, store, events, codes = _kiosk_service(config, identity, issuer, 6)

        def decided() -> list[VisitEvent]:
            return [e for e in events if isinstance(e, VisitEvent) and e.opened]

        async def script() -> None:
            app = KioskApp(service, bell=False)
            async with app.run_test(size=(100, 30)) as pilot:
                service.sync_now()
                for _ in range(600):
                    if frozen.accepted.is_set():
                        break
                    await pilot.pause(0.05)
                assert frozen.outstanding() == 1, "no sync request reached the frozen server"
                for text in codes:
                    service.submit_text(text)
                for _ in range(600):
                    if len(decided()) == len(codes):
                        break
                    await pilot.pause(0.05)
                assert len(decided()) == len(codes)
                assert frozen.outstanding() == 1, "the sync request ended before the scans did"

        try:
            service.start()
            asyncio.run(script())
        finally:
            frozen.close()
            service.stop()
            store.close()
        assert all(e.visit.recorded for e in decided())
        assert [e.visit.verdict.value for e in decided()] == ["ALLOW"] * len(codes), [
            [r.code.value for r in e.visit.decision.reasons] for e in decided()
        ]
