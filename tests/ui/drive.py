"""Running the app under Textual's pilot from plain (sync) pytest tests.

pytest-asyncio is not a dependency: each test hands an async script to
``drive``, which runs it with ``asyncio.run``.  ``deliver`` pushes an event
through the fake port on its own thread and waits until the app has shown it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from textual.pilot import Pilot

from kiosk.port import KioskEvent
from kiosk.ui.app import KioskApp
from tests.ui import samples
from tests.ui.fake_port import FakePort

Script = Callable[[Pilot[None]], Awaitable[None]]


def make_app(port: FakePort | None = None, **options: object) -> tuple[KioskApp, FakePort]:
    port = port or FakePort(samples.status(), samples.rows())
    app = KioskApp(port, clock=samples.clock, tz=samples.SITE, **options)  # type: ignore[arg-type]
    return app, port


def drive(app: KioskApp, script: Script, size: tuple[int, int] = (80, 24)) -> None:
    async def main() -> None:
        async with app.run_test(size=size, notifications=True) as pilot:
            await settle(pilot)
            await script(pilot)

    asyncio.run(main())


async def settle(pilot: Pilot[None], rounds: int = 3) -> None:
    """Let thread workers finish and their messages be handled."""
    for _ in range(rounds):
        await pilot.pause(0.02)
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def drawn(pilot: Pilot[None], check: Callable[..., None], *args: object) -> None:
    """Run a check of what the screen shows once it is drawn: a widget given new rows is
    painted on a later frame, and a loaded machine may take several.  The check is tried
    again each frame until it passes, up to ``DRAW_FRAMES`` frames; then its failure stands.
    """
    for _ in range(DRAW_FRAMES):
        try:
            check(*args)
        except AssertionError:
            await pilot.pause(0.05)
        else:
            return
    check(*args)


DRAW_FRAMES = 60
"""Frames ``drawn`` waits for the screen to show what a check expects (a bound, not a time
limit that a test asserts: a check that never passes fails with its own message)."""


async def deliver(pilot: Pilot[None], port: FakePort, event: KioskEvent) -> None:
    thread = port.push(event)
    while thread.is_alive():
        await pilot.pause(0.01)
    await settle(pilot)


async def type_text(pilot: Pilot[None], text: str) -> None:
    await pilot.press(*text)
