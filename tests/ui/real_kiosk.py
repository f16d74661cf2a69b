"""The real guard UI on the real service and a real SQLite log, for the guard's workflow.

``Rig`` builds a kiosk as ``kiosk run`` does (a ``KioskService`` over an
``EntryStore`` file, judging with a real issuer's signed lists), with two
clocks the test moves by hand: ``wall`` for the service (decision times,
review timeouts) and ``mono`` for the app (verdict hold, scanner bursts).
A code is "scanned" by pressing its characters and Enter with no time
between them, as a wedge scanner types; a person types with ``human``,
which moves ``mono`` between keys.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from textual import events
from textual.keys import _character_to_key
from textual.pilot import Pilot

from kiosk.adapters.config import load_config
from kiosk.adapters.store import EntryStore
from kiosk.core.pipeline import ScanContext
from kiosk.port import KioskEvent, VisitEvent
from kiosk.service import KioskService
from kiosk.ui.app import KioskApp
from server_stub.issuer import Issuer, good_certificates
from tests.conftest import NOW, context_for
from tests.ui import samples


class Clock:
    """A clock the test moves: ``clock()`` reads it, ``clock.now += s`` moves it."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Rig:
    def __init__(
        self,
        tmp_path: Path,
        issuer: Issuer,
        *,
        ctx: ScanContext | None = None,
        language: str = "en",
    ) -> None:
        self.issuer = issuer
        path = tmp_path / "kiosk.toml"
        path.write_text(
            'kiosk_id = "gate-ui"\ndata_dir = "var"\n[trust]\nroot_key = "root.pub.pem"\n'
            "[sync]\nenabled = false\n[ui]\nreview_timeout_s = 600\n",
            encoding="utf-8",
        )
        self.config = load_config(path)
        self.config.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = EntryStore(self.config.data_dir / "entries.sqlite", kiosk_id="gate-ui")
        self.wall = Clock(float(NOW))
        self.mono = Clock(1000.0)
        self.service = KioskService(
            self.config, ctx or context_for(issuer), self.store, clock=self.wall
        )
        self.events: list[KioskEvent] = []
        self.service.subscribe(self.events.append)
        self.app = KioskApp(
            self.service,
            bell=False,
            clock=self.wall,
            tz=samples.SITE,
            monotonic=self.mono,
            language=language,
        )
        self.minted = 0

    def code(self, name: str, **fields: Any) -> str:
        """A fresh code for ``name`` (each person a different holder)."""
        self.minted += 1
        holder = self.minted.to_bytes(16, "big")
        return self.issuer.mint(
            name=name,
            now=NOW - 60,
            holder_id=holder,
            **{**good_certificates(NOW), **fields},
        )

    def opened(self) -> list[VisitEvent]:
        return [e for e in self.events if isinstance(e, VisitEvent) and e.opened]

    def run(self, script: Callable[[Pilot[None]], Awaitable[None]], size=(100, 30)) -> None:
        async def main() -> None:
            async with self.app.run_test(size=size, notifications=True) as pilot:
                await until(pilot, lambda: True)
                await script(pilot)

        self.service.start()
        try:
            asyncio.run(main())
        finally:
            self.service.stop()


async def until(pilot: Pilot[None], check: Callable[[], bool], rounds: int = 400) -> None:
    """Let workers and messages run until ``check()`` holds (a bound, not a timing)."""
    for _ in range(rounds):
        await pilot.pause(0.01)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if check():
            return
    raise AssertionError("the expected state never came")


async def burst(pilot: Pilot[None], text: str) -> None:
    """Keys as a wedge scanner sends them: all at once, then Enter (no wait between keys)."""
    app = pilot.app
    driver = app._driver
    assert driver is not None
    for ch in text:
        key = ch if ch.isalnum() else _character_to_key(ch)
        event = events.Key(key, ch)
        event.set_sender(app)
        driver.send_message(event)
    enter = events.Key("enter", "\r")
    enter.set_sender(app)
    driver.send_message(enter)
    await pilot.pause()


async def scan(pilot: Pilot[None], rig: Rig, text: str) -> str:
    """A wedge scanner types ``text`` and Enter in one burst; returns the new visit's id."""
    before = len(rig.opened())
    await burst(pilot, text)
    await until(pilot, lambda: len(rig.opened()) > before)
    visit_id = rig.opened()[-1].visit.visit_id
    await until(pilot, lambda: rig.app.newest is not None and rig.app.newest.visit_id == visit_id)
    return visit_id


async def human(pilot: Pilot[None], rig: Rig, text: str) -> None:
    """A person types ``text``: a fifth of a second between keys."""
    for ch in text:
        rig.mono.now += 0.2
        await pilot.press(ch)
    rig.mono.now += 0.2
    await pilot.pause()
