"""The guard's terminal: the kiosk's verdicts at a glance, and the guard's keys.

``KioskApp`` is thin on purpose.  It lays out the widgets, turns the port's
events into messages on the UI thread, and turns the guard's keys into port
actions.  Verdicts, reasons and certificate summaries all come from the
core through the port; nothing here judges a code.

Threads: ``KioskPort.subscribe`` calls back on the service's threads, so the
callback only posts a message with ``call_from_thread``.  Every port call
(status, recent entries, overrides, observations, scans) runs in a thread
worker, so a slow disk or network never freezes the screen; results come
back as messages too.  The status is also polled every second, in case an
event is lost.

Keys: a keyboard-wedge scanner types the code's characters and Enter.  Codes
are written in the QR alphanumeric set (digits, upper-case letters, a few
symbols), so the scanner line takes those and the guard's keys are
lower-case letters and function keys, which a scan never contains.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Footer

from kiosk.core.display import clean_text
from kiosk.core.model import Decision, Verdict
from kiosk.port import ActionError, DecisionEvent, KioskEvent, KioskPort, KioskStatus
from kiosk.ui import lines
from kiosk.ui.messages import ActionFailed, DecisionShown, RecentLoaded, StatusChanged
from kiosk.ui.screens import HelpScreen, LogScreen, ReasonDialog, TemperatureDialog
from kiosk.ui.widgets import RecentEntries, ScanInput, StatusBar, TextLines, VerdictPanel

RECENT_LIMIT = 50
"""Entries kept in the recent list on the main screen."""

POLL_SECONDS = 1.0
"""How often the status is asked for, in case an event from the port is lost."""

VERDICT_HOLD_S = 20.0
"""Seconds an ALLOW or DENY stays on screen before the panel goes back to waiting."""

HOLD_TICK_S = 0.25
"""How often the hold of the verdict on screen is checked against ``monotonic``."""

_GUARD_ACTIONS = frozenset({"approve", "deny", "temperature", "mask"})
_MAIN_ONLY_ACTIONS = _GUARD_ACTIONS | {"pause", "sync", "log", "help", "quit"}


def _local_zone() -> dt.tzinfo:
    zone = dt.datetime.now().astimezone().tzinfo
    return zone if zone is not None else dt.UTC


class KioskApp(App[None]):
    """The guard's view of a running kiosk, built on a ``KioskPort``.

    ``bell`` rings the terminal bell on DENY and REVIEW.  ``clock`` (epoch
    seconds) and ``tz`` are for the clock and the ages in the status bar;
    tests pass fixed ones so that screenshots do not change.
    """

    CSS_PATH = "kiosk.tcss"
    TITLE = "Checkpoint kiosk"
    AUTO_FOCUS = None
    ENABLE_COMMAND_PALETTE = False
    # Not a ClassVar: textual.App declares it as a plain attribute.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]  # noqa: RUF012
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "approve", "Approve"),
        Binding("d", "deny", "Deny"),
        Binding("t", "temperature", "Temp"),
        Binding("m", "mask(True)", "Mask"),
        Binding("n,M", "mask(False)", "No mask"),
        Binding("p", "pause", "Pause"),
        Binding("s", "sync", "Sync"),
        Binding("l", "log", "Log"),
        Binding("question_mark,f1", "help", "Help", key_display="?"),
        Binding("q,ctrl+c", "quit", "Quit", priority=False),
    ]

    def __init__(
        self,
        port: KioskPort,
        *,
        bell: bool = True,
        clock: Callable[[], float] = time.time,
        tz: dt.tzinfo | None = None,
        poll_seconds: float = POLL_SECONDS,
        verdict_hold_s: float = VERDICT_HOLD_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self._verdict_hold_s = verdict_hold_s
        self._monotonic = monotonic
        self._held_until: float | None = None
        self.port = port
        self.bell_enabled = bell
        self._clock = clock
        self._tz = tz if tz is not None else _local_zone()
        self._poll_seconds = poll_seconds
        self._polling = False
        self.status = KioskStatus()
        self.current: DecisionEvent | None = None

    # --- layout -------------------------------------------------------------

    def compose(self) -> ComposeResult:
        # The app keeps its widgets: messages keep coming while a dialog or the
        # log view is on top, and ``App.query_one`` searches only the top screen.
        self._status_bar = StatusBar(id="status")
        self._verdict = VerdictPanel(tz=self._tz, id="verdict")
        self._certificates = TextLines(id="certificates")
        self._reasons = TextLines(id="reasons")
        self._reasons_box = VerticalScroll(self._reasons, id="reasons-box", can_focus=False)
        self._counters = TextLines(id="counters")
        self._recent = RecentEntries(tz=self._tz, id="recent")
        self._scanner = ScanInput(
            placeholder="scanner ready: scan a code, or type it and press Enter"
        )
        yield self._status_bar
        with Container(id="body"):
            yield Vertical(self._verdict, self._certificates, self._reasons_box, id="main")
            yield Vertical(self._counters, self._recent, id="side")
        yield self._scanner
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._show_status(self.status)
        self._in_thread(self._start, "start")
        self.set_interval(self._poll_seconds, self._poll)
        self.set_interval(HOLD_TICK_S, self.check_hold)

    def _start(self) -> Message:
        self.port.subscribe(self._on_port_event)
        self._post(StatusChanged(self.port.status()))
        return RecentLoaded(self.port.recent(RECENT_LIMIT))

    # --- from the port's threads to the UI thread ---------------------------

    def _on_port_event(self, event: KioskEvent) -> None:
        """Runs on a service thread: wrap the event in a message and hand it over."""
        if isinstance(event, DecisionEvent):
            self._post(DecisionShown(event))
        else:
            self._post(StatusChanged(event.status))

    def _post(self, message: Message) -> None:
        try:
            self.call_from_thread(self.post_message, message)
        except RuntimeError:
            # Already on the UI thread, or the app has stopped: posting is safe in both.
            self.post_message(message)

    def _in_thread(self, job: Callable[[], Message | None], what: str) -> None:
        """Run a port call off the UI thread; its result, or why it failed, comes back as a message.

        ``what`` names the action in error messages and groups its workers.
        """

        def work() -> None:
            try:
                message = job()
            except ActionError as exc:
                message = ActionFailed(f"{what}: refused: {exc}")
            except Exception as exc:
                message = ActionFailed(f"{what}: failed: {type(exc).__name__}: {exc}")
            if message is not None:
                self._post(message)

        self.run_worker(work, thread=True, group=what, exit_on_error=False)

    def _poll(self) -> None:
        if self._polling:
            return
        self._polling = True

        def job() -> Message:
            try:
                return StatusChanged(self.port.status())
            finally:
                self._polling = False

        self._in_thread(job, "status")

    # --- message handlers (UI thread) --------------------------------------

    def on_decision_shown(self, message: DecisionShown) -> None:
        event = message.event
        decision = event.decision
        previous = self.current
        self.current = event
        self._verdict.show(decision, message.note)
        self._certificates.show_lines(lines.certificate_lines(decision))
        self._reasons.show_lines(lines.reason_lines(decision))
        self._reasons_box.scroll_home(animate=False)
        repeated = (
            previous is not None
            and previous.entry_id == event.entry_id
            and previous.decision.verdict == decision.verdict
        )
        if (
            self.bell_enabled
            and not message.quiet
            and not repeated
            and decision.verdict in (Verdict.DENY, Verdict.REVIEW)
        ):
            self.bell()
        self._schedule_fade(event, decision)
        self.refresh_bindings()
        self._in_thread(lambda: RecentLoaded(self.port.recent(RECENT_LIMIT)), "recent")

    def _schedule_fade(self, event: DecisionEvent, decision: Decision) -> None:
        """ALLOW and DENY go back to waiting after a while; REVIEW waits for the guard."""
        if self._verdict_hold_s <= 0 or decision.verdict is Verdict.REVIEW:
            self._held_until = None
        else:
            self._held_until = self._monotonic() + self._verdict_hold_s

    def check_hold(self) -> None:
        """Clear a held ALLOW or DENY once its hold is over (run by a timer every tick).

        The hold is measured on ``monotonic`` (injectable), so a test moves a fake
        clock past it and calls this, instead of sleeping against a real timer.
        """
        if self._held_until is None or self._monotonic() < self._held_until:
            return
        self._held_until = None
        self.current = None
        self._verdict.clear()
        self._certificates.show_lines([])
        self._reasons.show_lines([])
        self.refresh_bindings()

    def on_status_changed(self, message: StatusChanged) -> None:
        self._show_status(message.status)

    def _show_status(self, status: KioskStatus) -> None:
        self.status = status
        self._status_bar.show_status(status, self._clock(), self._tz)
        self._counters.show_lines([lines.counters_text(status.counters)])

    def on_recent_loaded(self, message: RecentLoaded) -> None:
        self._recent.show_rows(message.rows)

    def on_action_failed(self, message: ActionFailed) -> None:
        text = clean_text(message.text, lines.MAX_MESSAGE_LEN)
        self.notify(text, severity="error", timeout=8, markup=False)

    def on_scan_input_scanned(self, message: ScanInput.Scanned) -> None:
        text = message.text
        self._in_thread(lambda: self.port.submit_text(text), "scan")

    # --- keys ----------------------------------------------------------------

    def on_key(self, event: events.Key) -> None:
        """Keys that belong to a code go to the scanner line, before the bindings see them."""
        if len(self.screen_stack) > 1:
            return
        if self._scanner.take_key(event.key, event.character):
            event.stop()
            event.prevent_default()

    def on_paste(self, event: events.Paste) -> None:
        if len(self.screen_stack) == 1:
            self._scanner.take_paste(event.text)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Guard keys apply to the entry on screen; they are hidden when they cannot."""
        if action in _MAIN_ONLY_ACTIONS and len(self.screen_stack) > 1:
            return False
        current = self.current
        if action in ("approve", "deny"):
            return current is not None and current.decision.verdict is Verdict.REVIEW
        if action in ("temperature", "mask"):
            return current is not None and current.decision.credential is not None
        return True

    def _who(self, event: DecisionEvent) -> str:
        return lines.who(event.decision)

    def action_approve(self) -> None:
        self._override(Verdict.ALLOW)

    def action_deny(self) -> None:
        self._override(Verdict.DENY)

    def _override(self, verdict: Verdict) -> None:
        event = self.current
        if event is None:
            return
        done = "approved" if verdict is Verdict.ALLOW else "denied"

        def send(reason: str | None) -> None:
            if not reason:
                return
            note = f"{done} by the guard: {reason}"
            self._in_thread(
                lambda: self._rejudged(
                    event, self.port.override(event.entry_id, verdict, reason), note, quiet=True
                ),
                f"{done.capitalize()} entry",
            )

        self.push_screen(ReasonDialog(verdict, self._who(event)), send)

    def action_temperature(self) -> None:
        event = self.current
        if event is None:
            return

        def send(celsius: float | None) -> None:
            if celsius is None:
                return
            note = f"after temperature {celsius:.1f} °C"
            self._in_thread(
                lambda: self._rejudged(
                    event, self.port.observe(event.entry_id, temperature_c=celsius), note
                ),
                "Temperature",
            )

        self.push_screen(TemperatureDialog(self._who(event)), send)

    def action_mask(self, worn: bool) -> None:
        event = self.current
        if event is None:
            return
        note = "mask confirmed" if worn else "no mask"
        self._in_thread(
            lambda: self._rejudged(event, self.port.observe(event.entry_id, mask=worn), note),
            "Mask",
        )

    @staticmethod
    def _rejudged(
        event: DecisionEvent, decision: Decision, note: str, *, quiet: bool = False
    ) -> Message:
        again = DecisionEvent(event.entry_id, decision, event.recorded, event.source)
        return DecisionShown(again, note, quiet=quiet)

    def action_pause(self) -> None:
        paused = not self.status.camera.paused

        def job() -> Message:
            self.port.set_paused(paused)
            return StatusChanged(self.port.status())

        self.notify("Pausing the camera" if paused else "Resuming the camera", markup=False)
        self._in_thread(job, "Pause camera" if paused else "Resume camera")

    def action_sync(self) -> None:
        def job() -> Message:
            self.port.sync_now()
            return StatusChanged(self.port.status())

        self.notify("Sync requested", markup=False)
        self._in_thread(job, "Sync")

    def action_log(self) -> None:
        self.push_screen(LogScreen(self.port, tz=self._tz))

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    @property
    def verdict_text(self) -> Text:
        """What the verdict panel shows now, at its current size (for tests and logs)."""
        panel = self._verdict
        return panel.text(panel.content_size.width, panel.content_size.height)
