"""Screenshots of the guard's screen, compared with the accepted ones in ``__snapshots__``.

Each app runs with a fixed clock, a fixed time zone and a fake port, so the
pictures change only when the layout does.  Every main-screen state is taken
at the five sizes the kiosk claims (80x24 to 200x60) in both languages, and
so are the override dialog and the log view; the help at the smallest size,
where it is tightest.  Update them on purpose with
``pytest tests/ui --snapshot-update`` and look at the SVGs before committing
(``tests/ui/test_fit.py`` checks the main screens as text: nothing cut; the dialog, the
log view and the help are checked in the same runs, ``tests/ui/fit_checks.py``).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.pilot import Pilot

from kiosk.port import StatusEvent
from tests.ui import fit_checks, samples
from tests.ui.drive import deliver, drawn, make_app, settle, type_text

SnapCompare = Callable[..., bool]

NARROW = (80, 24)
SIZES = [(80, 24), (100, 30), (120, 30), (160, 48), (200, 60)]
SIZE_IDS = [f"{w}x{h}" for w, h in SIZES]
LANGUAGES = ["en", "zh_CN"]


async def show_state(pilot: Pilot[None], port: object, state: str) -> None:
    """Put the screen in one of the states the snapshots cover."""
    await settle(pilot)
    if state == "allow":
        await deliver(pilot, port, samples.event(samples.allow()))  # type: ignore[arg-type]
    elif state == "deny_offline":
        offline = samples.status(online=False, trust_age_s=30 * samples.HOUR)
        await deliver(pilot, port, StatusEvent(offline))  # type: ignore[arg-type]
        await deliver(pilot, port, samples.event(samples.deny()))  # type: ignore[arg-type]
    elif state == "review_queue":
        first = samples.view(samples.review("Zhao *yu"), "e0")
        second = samples.view(samples.review("Sun *yan"), "e1")
        third = samples.view(samples.review("Qian *bo"), "e2")
        event = samples.event(samples.review("Qian *bo"), "e2", waiting=(first, second, third))
        await deliver(pilot, port, event)  # type: ignore[arg-type]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
@pytest.mark.parametrize("state", ["allow", "deny_offline", "review_queue"])
def test_main_screen(
    snap_compare: SnapCompare, state: str, size: tuple[int, int], language: str
) -> None:
    app, port = make_app(language=language)

    async def run_before(pilot: Pilot[None]) -> None:
        await show_state(pilot, port, state)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_markup_names_literal(snap_compare: SnapCompare) -> None:
    app, port = make_app()

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        review = samples.review("[bold green]ALLOWED[/] [@click=app.quit]x[/]")
        await deliver(pilot, port, samples.event(review))

    assert snap_compare(app, terminal_size=NARROW, run_before=run_before)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_override_dialog_refuses_empty_reason(
    snap_compare: SnapCompare, size: tuple[int, int], language: str
) -> None:
    app, port = make_app(language=language)

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await deliver(pilot, port, samples.event(samples.review()))
        await pilot.press("a")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await drawn(pilot, fit_checks.dialog_fits, app)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_log_view(snap_compare: SnapCompare, size: tuple[int, int], language: str) -> None:
    app, _ = make_app(language=language)

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        await drawn(pilot, fit_checks.log_fits, app, len(samples.rows()))
        await type_text(pilot, "zhao")
        await settle(pilot)
        await drawn(pilot, fit_checks.log_fits, app, 2)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("language", LANGUAGES)
def test_help(snap_compare: SnapCompare, language: str) -> None:
    app, _ = make_app(language=language)

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        await drawn(
            pilot, fit_checks.help_fits, app
        )  # the tightest size: the help is 80 wide at most

    assert snap_compare(app, terminal_size=NARROW, run_before=run_before)
