"""The guard's flows, driven with Textual's pilot against the fake port."""

from __future__ import annotations

import dataclasses

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static
from textual.widgets._toast import Toast

from kiosk.core.model import Verdict
from kiosk.port import LogRow, StatusEvent
from kiosk.ui.app import KioskApp
from kiosk.ui.screens import (
    NOT_A_NUMBER,
    REASON_REQUIRED,
    HelpScreen,
    LogScreen,
    ReasonDialog,
    TemperatureDialog,
)
from kiosk.ui.widgets import RecentEntries, ScanInput, StatusBar, TextLines, VerdictPanel
from tests.ui import samples
from tests.ui.drive import deliver, drive, make_app, settle, type_text
from tests.ui.fake_port import FakePort


def panel(app: KioskApp) -> VerdictPanel:
    return app.query_one(VerdictPanel)


def shown(app: KioskApp, widget_id: str) -> str:
    return app.query_one(f"#{widget_id}", TextLines).plain


def table_text(table: DataTable) -> str:  # type: ignore[type-arg]
    return "\n".join(
        " | ".join(str(cell) for cell in table.get_row_at(i)) for i in range(table.row_count)
    )


def toasts(app: KioskApp) -> str:
    return "\n".join(str(toast.render()) for toast in app.screen.query(Toast))


class Bell:
    def __init__(self) -> None:
        self.rung = 0

    def __call__(self) -> None:
        self.rung += 1


def with_bell(app: KioskApp) -> Bell:
    bell = Bell()
    app.bell = bell  # type: ignore[method-assign]
    return bell


# --- the verdict -------------------------------------------------------------


def test_waits_for_a_code_and_subscribes_at_start() -> None:
    app, port = make_app()

    async def script(pilot: Pilot[None]) -> None:
        assert port.subscribed
        assert "Waiting for a code" in app.verdict_text.plain
        assert panel(app).has_class("-idle")

    drive(app, script)


def test_allow_shows_word_name_colour_and_certificates() -> None:
    app, port = make_app()
    bell = with_bell(app)

    async def script(pilot: Pilot[None]) -> None:
        await deliver(pilot, port, samples.event(samples.allow()))
        text = app.verdict_text.plain
        assert "Wang *ming · green code · 15:59:55" in text
        assert "let them in" in text
        assert panel(app).has_class("-allow")
        certificates = shown(app, "certificates")
        assert "✓ Inoculation: 3 doses, last 53 days ago (1 Oct)" in certificates
        assert "✓ Nucleic acid: negative, sampled 31 hours ago" in certificates
        assert "✓ Travel: no risk areas in 14 days" in certificates
        assert "every check passed" in shown(app, "reasons")

    drive(app, script)
    assert bell.rung == 0


@pytest.mark.parametrize(("size", "rows"), [((80, 24), 5), ((160, 48), 10)])
def test_verdict_word_is_block_letters_at_both_sizes(size: tuple[int, int], rows: int) -> None:
    app, port = make_app()

    async def script(pilot: Pilot[None]) -> None:
        await deliver(pilot, port, samples.event(samples.deny()))
        text = app.verdict_text
        lines = text.plain.splitlines()
        name_at = next(i for i, line in enumerate(lines) if "Li *hua" in line)
        assert name_at >= rows
        assert not "".join(lines[:name_at]).strip(), "letters are reverse-video spaces"
        assert sum(1 for span in text.spans if span.style == "reverse") >= rows * 4

    drive(app, script, size)


def test_deny_lists_deny_reasons_first_and_rings() -> None:
    app, port = make_app()
    bell = with_bell(app)

    async def script(pilot: Pilot[None]) -> None:
        await deliver(pilot, port, samples.event(samples.deny()))
        assert panel(app).has_class("-deny")
        assert "do not let them in" in app.verdict_text.plain
        reasons = shown(app, "reasons").splitlines()
        # Words, not codes, DENY reasons first, each with its facts in words.
        assert reasons == [
            "✗ DENY   nucleic acid test positive (sampled 20 hours ago)",
            "✗ DENY   red code: not admitted here",
            "? REVIEW travel record too old: made 30 hours ago, limit 24 h",
        ]
        assert "_" not in shown(app, "reasons")
        assert "✗ Nucleic acid: positive, sampled 20 hours ago" in shown(app, "certificates")

    drive(app, script)
    assert bell.rung == 1


@pytest.mark.parametrize(("enabled", "expected"), [(True, 1), (False, 0)])
def test_review_rings_unless_the_bell_is_off(enabled: bool, expected: int) -> None:
    app, port = make_app(bell=enabled)
    bell = with_bell(app)

    async def script(pilot: Pilot[None]) -> None:
        await deliver(pilot, port, samples.event(samples.review()))
        assert panel(app).has_class("-review")
        assert "approve (a) or deny (d)" in app.verdict_text.plain

    drive(app, script)
    assert bell.rung == expected


def test_unverified_code_hides_its_name() -> None:
    app, port = make_app()

    async def script(pilot: Pilot[None]) -> None:
        await deliver(pilot, port, samples.event(samples.unreadable()))
        assert "(code not verified)" in app.verdict_text.plain
        assert "not read" in shown(app, "certificates")
        assert "not a health code" in shown(app, "reasons")
        assert "BAD_PREFIX" not in shown(app, "reasons")

    drive(app, script)


def test_recent_entries_are_listed_newest_first() -> None:
    app, _ = make_app()

    async def script(pilot: Pilot[None]) -> None:
        text = table_text(app.query_one(RecentEntries))
        assert text.splitlines()[0] == "15:59:00 | ✓ ALLOW | Wang *ming"
        assert "15:50:00 | ✗ DENY | Li *hua" in text

    drive(app, script)


# --- guard overrides -------------------------------------------------------------


def test_approve_needs_a_reason() -> None:
    app, port = make_app()

    async def script(pilot: Pilot[None]) -> None:
        await deliver(pilot, port, samples.event(samples.review(), "entry-7"))
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, ReasonDialog)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReasonDialog), "an empty reason must not close the dialog"
        error = app.screen.query_one("#dialog-error", Static)
        assert str(error.render()) == REASON_REQUIRED
        await pilot.press("space", "space", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ReasonDialog), "a blank reason is no reason"
        assert not [a for a in port.actions if a[0] == "override"]
        await type_text(pilot, "staff badge seen")
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, ReasonDialog)
        assert ("override", "entry-7", Verdict.ALLOW, "staff badge seen") in port.actions
        assert panel(app).has_class("-allow")
        assert "approved by the guard: staff badge seen" in app.verdict_text.plain

    drive(app, script)


def test_deny_by_the_guard_and_escape_cancels() -> None:
    app, port = make_app()
    bell = with_bell(app)

    async def script(pilot: Pilot[None]) -> None:
        await deliver(pilot, port, samples.event(samples.review(), "entry-8"))
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, ReasonDialog)
        assert panel(app).has_class("-review")
        await pilot.press("d")
        await settle(pilot)
        await type_text(pilot, "refused to show ID")
        await pilot.press("enter")
        await settle(pilot)
        assert ("override", "entry-8", Verdict.DENY, "refused to show ID") in port.actions
        assert panel(app).has_class("-deny")

    drive(app, script)
    assert bell.rung == 1, "the guard's own deny does not ring again"


def test_overrule_keys_need_a_visit_on_screen_and_name_it() -> None:
    """Nothing on screen: no dialog.  Any visit on screen (a DENY too) may be overruled;
    the dialog names the person and the time before anything is sent."""
    app, port = make_app()

    async def script(pilot: Pilot[None]) -> None:
        await pilot.press("a")
        await settle(pilot)
        assert not isinstance(app.screen, ReasonDialog)
        await deliver(pilot, port, samples.event(samples.deny()))
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, ReasonDialog)
        title = str(app.screen.query_one("#dialog-title", Static).render())
        assert "Li *hua" in title and "15:59:55" in title and "DENY" in title
        assert not [a for a in port.actions if a[0] == "override"], "nothing sent yet"

    drive(app, script)


def test_refused_action_is_shown_literally() -> None:
    app, port = make_app()
    port.refuse = "entry [bold]closed[/] already"

    async def script(pilot: Pilot[None]) -> None:
        await deliver(pilot, port, samples.event(samples.review()))
        await pilot.press("a")
        await settle(pilot)
        await type_text(pilot, "ok")
        await pilot.press("enter")
        await settle(pilot)
        assert "entry [bold]closed[/] already" in toasts(app)
        assert panel(app).has_class("-review")

    drive(app, script)


# --- observations ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("reading", "typed", "verdict"),
    [(36.6, "36.6", Verdict.ALLOW), (38.2, "38,2", Verdict.DENY)],
)
def test_temperature_judges_the_entry_again(reading: float, typed: str, verdict: Verdict) -> None:
    app, port = make_app()
    before = samples.review()
    reasons = (samples.FEVER,) if verdict is Verdict.DENY else ()
    after = samples.after_temperature(before, verdict, *reasons)
    if verdict is Verdict.ALLOW:
        after = dataclasses.replace(after, reasons=())
    port.observe_results[("entry-9", reading, None)] = after

    async def script(pilot: Pilot[None]) -> None:
        await deliver(pilot, port, samples.event(before, "entry-9"))
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, TemperatureDialog)
        await type_text(pilot, typed)
        await pilot.press("enter")
        await settle(pilot)
        assert ("observe", "entry-9", reading, None) in port.actions
        assert panel(app).has_class(f"-{verdict.value.lower()}")
        assert f"{reading:.1f} °C" in app.verdict_text.plain
        if verdict is Verdict.DENY:
            assert shown(app, "reasons").startswith("✗ DENY   fever: 38.2 °C")

    drive(app, script)


def test_temperature_must_be_a_number() -> None:
    app, port = make_app()

    async def script(pilot: Pilot[None]) -> None:
        await deliver(pilot, port, samples.event(samples.review()))
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TemperatureDialog)
        assert str(app.screen.query_one("#dialog-error", Static).render()) == NOT_A_NUMBER
        await type_text(pilot, "hot")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TemperatureDialog)
        assert not [a for a in port.actions if a[0] == "observe"]

    drive(app, script)


def test_mask_keys_record_the_observation() -> None:
    app, port = make_app()

    async def script(pilot: Pilot[None]) -> None:
        await deliver(pilot, port, samples.event(samples.review(), "entry-3"))
        await pilot.press("m")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("N")  # Caps Lock on: the same key
        await settle(pilot)

    drive(app, script)
    masks = [a for a in port.actions if a[0] == "observe"]
    assert masks == [
        ("observe", "entry-3", None, True),
        ("observe", "entry-3", None, False),
        ("observe", "entry-3", None, False),
    ]


# --- status -----------------------------------------------------------------


def test_status_bar_shows_camera_sync_lists_and_clock() -> None:
    app, _ = make_app()

    async def script(pilot: Pilot[None]) -> None:
        text = app.query_one(StatusBar).plain
        assert "Kiosk K-EAST-01 │ Camera ● 14.8 fps" in text
        assert "Sync ● online, last 2 minutes ago, 0 waiting" in text
        assert "Trust list 2 hours ago" in text
        assert "Clock 16:00:00" in text
        # The side column is 57 cells wide: the short form, on one line.
        assert shown(app, "counters") == "Today 42 · ✓ 37 · ✗ 3 · ? 2 · 1 overruled · 0 left"

    drive(app, script, size=(160, 48))


def test_status_bar_abbreviates_on_a_narrow_screen() -> None:
    app, _ = make_app()

    async def script(pilot: Pilot[None]) -> None:
        first, second = app.query_one(StatusBar).plain.splitlines()
        assert first == "Kiosk K-EAST-01 │ Cam ● 14.8 fps │ Sync ● online, 0 waiting"
        counters = "Today 42 visits · ✓ 37 · ✗ 3 · ? 2 waiting · 1 overruled · 0 left"
        assert shown(app, "counters") == counters
        assert second == "Trust list 2 hours ago │ Revocations 1 hour ago │ Clock 16:00:00 UTC+8"

    drive(app, script)


def test_offline_and_stale_lists_are_said_in_words() -> None:
    app, port = make_app()

    async def script(pilot: Pilot[None]) -> None:
        status = samples.status(online=False, trust_age_s=4 * 86400)
        await deliver(pilot, port, StatusEvent(status))
        text = app.query_one(StatusBar).plain
        assert "Sync ✗ OFFLINE since 13:00:00 (connection refused), 17 waiting" in text
        assert "Trust list ✗ STALE 4 days ago" in text

    drive(app, script, size=(160, 48))


def test_offline_fits_the_narrow_status_bar() -> None:
    app, port = make_app()

    async def script(pilot: Pilot[None]) -> None:
        status = samples.status(online=False, trust_age_s=4 * 86400)
        await deliver(pilot, port, StatusEvent(status))
        first, second = app.query_one(StatusBar).plain.splitlines()
        assert first == "Cam ● 14.8 fps │ Sync ✗ OFFLINE since 13:00 (connection refu…), 17 waiting"
        assert second.startswith("Trust list ✗ STALE 4 days ago │ ")

    drive(app, script)


def test_status_is_polled_when_no_event_comes() -> None:
    app, port = make_app(poll_seconds=0.05)

    async def script(pilot: Pilot[None]) -> None:
        port.kiosk_status = samples.status(online=False)
        for _ in range(200):  # wait for the poll to come round, however slow the machine
            await settle(pilot)
            if "OFFLINE" in app.query_one(StatusBar).plain:
                break
        assert "OFFLINE" in app.query_one(StatusBar).plain

    drive(app, script)


def test_events_while_the_log_view_is_open_update_the_main_screen() -> None:
    app, port = make_app()

    async def script(pilot: Pilot[None]) -> None:
        await pilot.press("l")
        await settle(pilot)
        await deliver(pilot, port, StatusEvent(samples.status(online=False)))
        await deliver(pilot, port, samples.event(samples.deny()))
        assert isinstance(app.screen, LogScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert "OFFLINE" in app.query_one(StatusBar).plain
        assert panel(app).has_class("-deny")

    drive(app, script)


def test_pause_and_sync_keys_call_the_port() -> None:
    app, port = make_app()

    async def script(pilot: Pilot[None]) -> None:
        await pilot.press("p")
        await settle(pilot)
        assert "PAUSED" in app.query_one(StatusBar).plain
        await pilot.press("p")
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)

    drive(app, script)
    assert [a for a in port.actions if a[0] != "search"] == [
        ("set_paused", True),
        ("set_paused", False),
        ("sync_now",),
    ]


# --- scanner, log, help, quit ----------------------------------------------------------


def test_wedge_scanner_line_goes_to_submit_text() -> None:
    app, port = make_app()
    code = "HCK1:6BF+70 79$%*T9WJWG.FKY/4GO0-Z"

    async def script(pilot: Pilot[None]) -> None:
        await type_text(pilot, code[:12])
        assert app.query_one(ScanInput).value == code[:12]
        await type_text(pilot, code[12:])
        await pilot.press("enter")
        await settle(pilot)
        assert app.query_one(ScanInput).value == ""
        assert not isinstance(app.screen, (ReasonDialog, TemperatureDialog, LogScreen))

    drive(app, script)
    assert ("submit_text", code) in port.actions
    assert [a for a in port.actions if a[0] not in ("submit_text", "search")] == []


def test_scanner_line_backspace_and_escape() -> None:
    app, port = make_app()

    async def script(pilot: Pilot[None]) -> None:
        await type_text(pilot, "HCK1:AB")
        await pilot.press("backspace")
        assert app.query_one(ScanInput).value == "HCK1:A"
        await pilot.press("escape")
        assert app.query_one(ScanInput).value == ""
        await pilot.press("enter")
        await settle(pilot)

    drive(app, script)
    assert not [a for a in port.actions if a[0] == "submit_text"]


def test_log_view_searches_the_port() -> None:
    app, port = make_app()

    async def script(pilot: Pilot[None]) -> None:
        await pilot.press("l")
        await settle(pilot)
        assert isinstance(app.screen, LogScreen)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 5
        await type_text(pilot, "zhao")
        await settle(pilot)
        text = table_text(table)
        assert table.row_count == 2
        # today's entries by their time at 80 columns (the full date from 120)
        assert "15:56:00 | override | ✓ ALLOW | Zhao *yu | approved by the guard" in text
        assert "known staff member" in text
        assert "2 entries found" in str(app.screen.query_one("#log-count", Static).render())
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, LogScreen)

    drive(app, script)
    assert ("search", "zhao") in port.actions


def test_help_opens_and_closes() -> None:
    app, _ = make_app()

    async def script(pilot: Pilot[None]) -> None:
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")

    drive(app, script)


@pytest.mark.parametrize("key", ["q", "ctrl+c"])
def test_quit_keys(key: str) -> None:
    app, _ = make_app()

    async def script(pilot: Pilot[None]) -> None:
        await pilot.press(key)
        await pilot.pause()

    drive(app, script)
    assert app.return_code == 0


# --- text from codes is shown literally ------------------------------------------------


@pytest.mark.parametrize("name", samples.MARKUP_NAMES)
def test_markup_names_are_shown_literally(name: str) -> None:
    visible = name.replace("\x1b", "")
    rows = [*samples.rows(), LogRow("e-9", samples.NOW * 1000, "scan", "ALLOW", name, note=name)]
    port = FakePort(samples.status(), rows)
    port.refuse = f"no entry for {name}"
    app, _ = make_app(port)

    async def script(pilot: Pilot[None]) -> None:
        await deliver(pilot, port, samples.event(samples.review(name)))
        assert f"{visible} · green code" in app.verdict_text.plain
        assert visible in table_text(app.query_one(RecentEntries))
        await pilot.press("a")
        await settle(pilot)
        assert visible in str(app.screen.query_one("#dialog-title", Static).render())
        await type_text(pilot, "x")
        await pilot.press("enter")
        await settle(pilot)
        assert f"no entry for {visible}" in toasts(app)
        await pilot.press("l")
        await settle(pilot)
        assert visible in table_text(app.screen.query_one(DataTable))
        await pilot.press("escape")
        await settle(pilot)
        assert app.is_running

    drive(app, script)


def test_scanner_ignores_markup_typed_as_a_code() -> None:
    app, port = make_app()

    async def script(pilot: Pilot[None]) -> None:
        await type_text(pilot, "HC1:[")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.query_one(ScanInput), Input)

    drive(app, script)
    assert ("submit_text", "HC1:") in port.actions


class FakeMonotonic:
    """A monotonic clock the test moves by hand: holds are judged on it, not on sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_allow_and_deny_go_back_to_waiting_review_stays() -> None:
    """An old verdict must not be read as the next person's; a REVIEW waits for the guard."""
    clock = FakeMonotonic()
    app, port = make_app(verdict_hold_s=20.0, monotonic=clock)

    async def script(pilot: Pilot[None]) -> None:
        for decision, entry in ((samples.allow(), "e1"), (samples.deny(), "e2")):
            await deliver(pilot, port, samples.event(decision, entry))
            clock.now += 19.9
            app.check_hold()
            assert not panel(app).has_class("-idle"), "cleared before its hold was over"
            clock.now += 0.2
            app.check_hold()
            await pilot.pause()
            assert panel(app).has_class("-idle")
            assert "Waiting for a code" in app.verdict_text.plain
            assert shown(app, "certificates") == "" and app.current is None
        await deliver(pilot, port, samples.event(samples.review(), "e3"))
        clock.now += 3600
        app.check_hold()
        await pilot.pause()
        assert panel(app).has_class("-review")

    drive(app, script)


def test_the_hold_timer_clears_the_verdict_by_itself() -> None:
    """The app's own tick applies the hold: no test call needed once the clock has moved."""
    clock = FakeMonotonic()
    app, port = make_app(verdict_hold_s=5.0, monotonic=clock)

    async def script(pilot: Pilot[None]) -> None:
        await deliver(pilot, port, samples.event(samples.allow(), "e1"))
        clock.now += 6
        for _ in range(200):  # the tick runs every HOLD_TICK_S; wait for it, not for a time
            if panel(app).has_class("-idle"):
                break
            await pilot.pause(0.05)
        assert panel(app).has_class("-idle")

    drive(app, script)


def test_a_new_decision_restarts_the_hold() -> None:
    clock = FakeMonotonic()
    app, port = make_app(verdict_hold_s=2.0, monotonic=clock)

    async def script(pilot: Pilot[None]) -> None:
        await deliver(pilot, port, samples.event(samples.allow(), "e1"))
        clock.now += 1.2
        await deliver(pilot, port, samples.event(samples.deny(), "e2"))
        clock.now += 1.2  # past the first decision's hold, inside the second's
        app.check_hold()
        await pilot.pause()
        assert panel(app).has_class("-deny")
        clock.now += 1.0
        app.check_hold()
        await pilot.pause()
        assert panel(app).has_class("-idle")

    drive(app, script)
