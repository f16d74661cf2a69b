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


async def deliver(pilot: Pilot[None], port: FakePort, event: KioskEvent) -> None:
    thread = port.push(event)
    while thread.is_alive():
        await pilot.pause(0.01)
    await settle(pilot)


async def type_text(pilot: Pilot[None], text: str) -> None:
    await pilot.press(*text)
