"""Screenshots of the guard's screen, compared with the accepted ones in ``__snapshots__``.

Each app runs with a fixed clock, a fixed time zone and a fake port, so the
pictures change only when the layout does.  Update them on purpose with
``pytest tests/ui --snapshot-update`` and look at the SVGs before committing.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.pilot import Pilot

from kiosk.core.model import Decision
from kiosk.port import StatusEvent
from tests.ui import samples
from tests.ui.drive import deliver, make_app, settle, type_text

SnapCompare = Callable[..., bool]

NARROW = (80, 24)
WIDE = (160, 48)


def showing(decision: Decision) -> tuple[object, Callable[[Pilot[None]], object]]:
    app, port = make_app()

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await deliver(pilot, port, samples.event(decision))

    return app, run_before


@pytest.mark.parametrize("size", [NARROW, WIDE], ids=["80x24", "160x48"])
@pytest.mark.parametrize("verdict", ["allow", "deny", "review"])
def test_main_screen(snap_compare: SnapCompare, verdict: str, size: tuple[int, int]) -> None:
    decision = {"allow": samples.allow, "deny": samples.deny, "review": samples.review}[verdict]()
    app, run_before = showing(decision)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_waiting_and_offline(snap_compare: SnapCompare) -> None:
    app, port = make_app()

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        status = samples.status(online=False, trust_age_s=30 * samples.HOUR)
        await deliver(pilot, port, StatusEvent(status))

    assert snap_compare(app, terminal_size=NARROW, run_before=run_before)


def test_markup_names_literal(snap_compare: SnapCompare) -> None:
    app, run_before = showing(samples.review("[bold green]ALLOWED[/] [@click=app.quit]x[/]"))
    assert snap_compare(app, terminal_size=NARROW, run_before=run_before)


def test_override_dialog_refuses_empty_reason(snap_compare: SnapCompare) -> None:
    app, port = make_app()

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await deliver(pilot, port, samples.event(samples.review()))
        await pilot.press("a")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(app, terminal_size=NARROW, run_before=run_before)


def test_log_view(snap_compare: SnapCompare) -> None:
    app, _ = make_app()

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        await type_text(pilot, "zhao")
        await settle(pilot)

    assert snap_compare(app, terminal_size=NARROW, run_before=run_before)
