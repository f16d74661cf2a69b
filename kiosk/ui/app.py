"""The guard's terminal: the kiosk's verdicts at a glance, and the guard's keys.

``KioskApp`` is thin on purpose.  It lays out the widgets, turns the port's
events into messages on the UI thread, and turns the guard's keys into port
actions.  Verdicts, reasons and certificate summaries all come from the
core through the port; nothing here judges a code.

Threads: ``KioskPort.subscribe`` calls back on the service's threads, so the
callback only posts a message (``post_message`` is thread-safe).  Every port call
(status, recent entries, overrides, observations, scans) runs in a thread
worker, so a slow disk or network never freezes the screen; results come
back as messages too.  The status is also polled every second, in case an
event is lost.

Visits: the panel shows the newest visit (one person at the gate), unless
the guard picked one from the "waiting for you" list (↑/↓, Esc back to the
newest).  Every key that acts (a, d, t, m, n) acts on the visit shown when it
was pressed, by id, and its dialog names that person and time; a visit that
waits for the guard stays in the list until it is resolved or times out.

Keys: a keyboard-wedge scanner types the code's characters and Enter.  Codes
are written in the QR alphanumeric set (digits, upper-case letters, a few
symbols), so on the main screen the scanner line takes those and the guard's
keys are lower-case letters and function keys, which a scan never contains.
While a dialog or the log search has focus, ``ScanRouter`` sends a scanner's
burst to the scanner and everything else to the field.
"""

from __future__ import annotations

import contextlib
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

from kiosk.core.announcements import SoundStatus
from kiosk.core.display import clean_text
from kiosk.core.model import Verdict
from kiosk.core.visit import VisitStatus
from kiosk.port import (
    ActionError,
    KioskEvent,
    KioskPort,
    KioskStatus,
    VisitEvent,
    VisitView,
)
from kiosk.ui import lines
from kiosk.ui.i18n import N_, _, localize_bindings, set_language
from kiosk.ui.messages import (
    ActionDone,
    ActionFailed,
    RecentLoaded,
    SoundChanged,
    StatusChanged,
    VisitPicked,
    VisitShown,
)
from kiosk.ui.scan_router import Routed, ScanRouter
from kiosk.ui.screens import HelpScreen, LogScreen, ReasonDialog, TemperatureDialog
from kiosk.ui.widgets import (
    Counters,
    RecentEntries,
    ScanInput,
    StatusBar,
    TextLines,
    VerdictPanel,
    WaitingList,
)
from kiosk.ui.words import refusal_words

RECENT_LIMIT = 50
"""Entries kept in the recent list on the main screen."""

POLL_SECONDS = 1.0
"""How often the status is asked for, in case an event from the port is lost."""

VERDICT_HOLD_S = 20.0
"""Seconds an ALLOW or DENY stays on screen before the panel goes back to waiting."""

SYNC_REPORT_POLLS = 120
SYNC_REPORT_EVERY_S = 0.25
"""``s`` watches the status this often, this many times, to report how the sync went."""

QUIT_DRAIN_S = 10.0
"""How long ``q`` waits for waiting entries to be sent before it quits anyway."""

HOLD_TICK_S = 0.25
"""How often the hold of the verdict on screen is checked against ``monotonic``."""

WIDE_FROM = 120
"""From this many columns the entries list goes beside the verdict (``HORIZONTAL_BREAKPOINTS``)."""

SIDE_WIDE = 60
SIDE_MEDIUM = 40
"""Width of the entries column beside the verdict: from 160 columns, and below."""

NARROW_SIDE_MIN = 2
"""Rows kept under the verdict on a narrow screen for today's counters and one entry."""

_GUARD_ACTIONS = frozenset({"approve", "deny", "temperature", "mask"})
_MAIN_ONLY_ACTIONS = _GUARD_ACTIONS | {
    "pause",
    "sync",
    "log",
    "help",
    "quit",
    "pick_older",
    "pick_newer",
    "newest",
}

MAX_VIEWS = 500
"""Visits whose latest view the app keeps (for the waiting list and picking)."""


def _local_zone() -> dt.tzinfo:
    zone = dt.datetime.now().astimezone().tzinfo
    return zone if zone is not None else dt.UTC


class KioskApp(App[None]):
    """The guard's view of a running kiosk, built on a ``KioskPort``.

    ``bell`` rings the terminal bell on DENY and REVIEW.  ``clock`` (epoch
    seconds) and ``tz`` are for the clock and the ages in the status bar;
    tests pass fixed ones so that screenshots do not change.  ``language``
    ("zh_CN" or "en", ``[ui] language``) is the language of every word shown.
    """

    CSS_PATH = "kiosk.tcss"
    TITLE = "Checkpoint kiosk"
    AUTO_FOCUS = None
    ENABLE_COMMAND_PALETTE = False
    # Not a ClassVar: textual.App declares it as a plain attribute.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (WIDE_FROM, "-wide")]  # noqa: RUF012
    BINDINGS: ClassVar[list[BindingType]] = [
        # Each key also in capitals: Caps Lock or Shift must not change what a key does.
        Binding("a,A", "approve", N_("Approve")),
        Binding("d,D", "deny", N_("Deny")),
        Binding("t,T", "temperature", N_("Temp")),
        Binding("m,M", "mask(True)", N_("Mask")),
        Binding("n,N", "mask(False)", N_("No mask")),
        Binding("up", "pick_older", N_("Older"), show=False),
        Binding("down", "pick_newer", N_("Newer"), show=False),
        Binding("escape", "newest", N_("Newest"), show=False),
        Binding("p,P", "pause", N_("Pause")),
        Binding("s,S", "sync", N_("Sync")),
        Binding("l,L", "log", N_("Log")),
        Binding("question_mark,f1", "help", N_("Help"), key_display="?"),
        Binding("q,Q,ctrl+c", "quit", N_("Quit"), priority=False),
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
        language: str = "en",
    ) -> None:
        set_language(language)
        super().__init__()
        localize_bindings(self)
        self.title = _("Checkpoint kiosk")
        self.language = language
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
        self.current: VisitView | None = None
        """The visit on the panel: what the guard's keys act on."""
        self.newest: VisitView | None = None
        self.picked: str | None = None
        """Id of the visit the guard picked from the waiting list (None: follow the newest)."""
        self.views: dict[str, VisitView] = {}
        self.waiting: tuple[VisitView, ...] = ()
        self._faded: str | None = None
        self._quitting = False
        self.router = ScanRouter()
        self.sound: SoundStatus | None = None
        """The kiosk's sound as last reported (``show_sound``); its note is in the status bar."""

    # --- layout -------------------------------------------------------------

    def compose(self) -> ComposeResult:
        # The app keeps its widgets: messages keep coming while a dialog or the
        # log view is on top, and ``App.query_one`` searches only the top screen.
        self._status_bar = StatusBar(id="status")
        self._verdict = VerdictPanel(tz=self._tz, id="verdict")
        self._waiting = WaitingList(id="waiting")
        self._certificates = TextLines(id="certificates")
        self._reasons = TextLines(id="reasons")
        self._reasons_box = VerticalScroll(self._reasons, id="reasons-box", can_focus=False)
        self._counters = Counters(id="counters")
        self._recent = RecentEntries(tz=self._tz, id="recent")
        self._scanner = ScanInput(
            placeholder=_("scanner ready: scan a code, or type it and press Enter")
        )
        yield self._status_bar
        with Container(id="body"):
            yield Vertical(
                self._verdict, self._waiting, self._certificates, self._reasons_box, id="main"
            )
            self._side = Vertical(self._counters, self._recent, id="side")
            yield self._side
        yield self._scanner
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._show_status(self.status)
        self._show_waiting()
        self._in_thread(self._start, _("start"))
        self.set_interval(self._poll_seconds, self._poll)
        self.set_interval(HOLD_TICK_S, self.check_hold)
        self.set_interval(HOLD_TICK_S / 5, self._route_tick)

    def _start(self) -> Message:
        self.port.subscribe(self._on_port_event)
        self._post(StatusChanged(self.port.status()))
        return RecentLoaded(self.port.recent(RECENT_LIMIT))

    # --- from the port's threads to the UI thread ---------------------------

    def _on_port_event(self, event: KioskEvent) -> None:
        """Runs on a service thread: wrap the event in a message and hand it over."""
        if isinstance(event, VisitEvent):
            self._post(VisitShown(event))
        else:
            self._post(StatusChanged(event.status))

    def _post(self, message: Message) -> None:
        """Queue ``message`` for the UI thread from any thread, without waiting for it.

        ``post_message`` is thread-safe (it hands the message to the app's loop with
        ``call_soon_threadsafe``), so a service thread never blocks on the screen; once
        the app has stopped there is no loop, and the message is dropped.
        """
        with contextlib.suppress(RuntimeError):
            self.post_message(message)

    def _in_thread(self, job: Callable[[], Message | None], what: str) -> None:
        """Run a port call off the UI thread; its result, or why it failed, comes back as a message.

        ``what`` names the action in error messages and groups its workers.
        """

        def work() -> None:
            try:
                message = job()
            except ActionError as exc:
                message = ActionFailed(
                    _("{what}: refused: {error}").format(what=what, error=refusal_words(exc))
                )
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                message = ActionFailed(_("{what}: failed: {error}").format(what=what, error=error))
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

    def on_visit_shown(self, message: VisitShown) -> None:
        """A visit opened or changed: keep its view, then show what the guard should see."""
        if self._screens_gone():
            return
        event = message.event
        view = event.visit
        self._keep(view)
        self.waiting = event.waiting
        if event.opened or self.newest is None or self.newest.visit_id == view.visit_id:
            if event.opened:
                self.picked = None  # a new person at the gate: show them
            self.newest = view
        if message.acted and self.picked == view.visit_id and not view.needs_guard:
            self.picked = None  # resolved: back to the person at the gate
        if event.opened and self.bell_enabled and view.verdict is not Verdict.ALLOW:
            self.bell()
        self._refresh_panel(restart_hold=event.opened or message.acted)
        self._in_thread(lambda: RecentLoaded(self.port.recent(RECENT_LIMIT)), _("recent"))

    def _screens_gone(self) -> bool:
        """The app is shutting down (its screens are gone): a service message that arrives
        now has nothing to show on."""
        return not self.screen_stack

    def _keep(self, view: VisitView) -> None:
        self.views[view.visit_id] = view
        self.views = {k: self.views[k] for k in list(self.views)[-MAX_VIEWS:]}

    def _refresh_panel(self, *, restart_hold: bool = False) -> None:
        """Show the picked visit, else the newest; the waiting list beside it."""
        shown = self.views.get(self.picked) if self.picked else None
        if shown is None:
            self.picked = None
            shown = self.newest
            if shown is not None and shown.visit_id == self._faded and not restart_hold:
                shown = None  # its hold is over: the panel waits for the next person
        if shown is None:
            self.current = None
            self._verdict.clear(waiting=len(self.waiting))
            self._certificates.show_lines([])
            self._reasons.show_lines([])
        else:
            self.current = shown
            self._faded = None if shown.visit_id == self._faded else self._faded
            self._verdict.show(shown.decision, lines.visit_note(shown), picked=bool(self.picked))
            self._certificates.show_lines(lines.certificate_lines(shown.decision))
            self._reasons.show_lines(lines.reason_lines(shown.decision))
            self._reasons_box.scroll_home(animate=False)
        if restart_hold or shown is None:
            self._schedule_fade(shown)
        self._show_waiting()
        self.fit()
        self.refresh_bindings()

    def on_resize(self) -> None:
        self.fit()

    def fit(self) -> None:
        """Share the rows out so that nothing is cut: every reason and waiting line in full,
        the verdict's colour block on at least a third of the screen, as big as the rest
        allows; the certificates go on one line, and the recent list shrinks, when rows
        are short.  Text is measured in terminal cells (a CJK character takes two)."""
        width, height = self.size
        if width <= 0 or height <= 0:
            return
        wide = width >= WIDE_FROM
        side_width = (SIDE_WIDE if width >= 160 else SIDE_MEDIUM) if wide else 0
        if wide:
            self._side.styles.width = side_width
        main_width = max(width - side_width, 10)
        text_width = max(main_width - (4 if wide else 2), 8)
        body = height - 4  # status bar (2), scanner line, footer

        def rows(texts: list[Text]) -> int:
            return sum(len(t.wrap(self.console, text_width)) for t in texts)

        decision = self.current.decision if self.current is not None else None
        waiting = rows(getattr(self._waiting, "rows", [])) if self.waiting else 0
        reasons = rows(getattr(self._reasons, "rows", [])) if decision is not None else 0
        certificates = list(getattr(self._certificates, "rows", [])) if decision else []
        third = -(-width * height // (3 * main_width))
        side_min = 0 if wide else NARROW_SIDE_MIN
        space = body - side_min - waiting - reasons - rows(certificates)
        if decision is not None and space < third and len(certificates) > 1:
            certificates = [lines.certificates_in_one_line(decision)]
            self._certificates.show_lines(certificates)
            space = body - side_min - waiting - reasons - rows(certificates)
        wanted = self._verdict.rows_wanted(main_width - (4 if wide else 2))
        if not wide:
            wanted = min(wanted, body // 2)  # leave the recent entries some rows
        wanted = max(wanted, third)
        panel = max(min(space, wanted), 3)
        side = body
        if not wide:
            used = panel + waiting + reasons + rows(certificates)
            side = max(body - used, 0)
            if 1 < side < 3:
                # A table header with no row under it says nothing: the counters only,
                # and the verdict takes the row left over.
                panel += side - 1
                side = 1
            self._side.styles.height = side
        self._verdict.styles.height = panel
        self._recent.display = side >= 3

    def _show_waiting(self) -> None:
        self._waiting.show_waiting(
            self.waiting, self.current.visit_id if self.current else None, self._tz
        )

    def _schedule_fade(self, view: VisitView | None) -> None:
        """ALLOW and DENY go back to waiting after a while; a visit waiting for the guard stays."""
        if view is None or self._verdict_hold_s <= 0 or view.needs_guard or self.picked:
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
        current = self.current
        if current is None or current.needs_guard or self.picked:
            return
        self._faded = current.visit_id
        self._refresh_panel()

    def on_status_changed(self, message: StatusChanged) -> None:
        if self._screens_gone():
            return
        self._show_status(message.status)

    def show_sound(self, status: SoundStatus) -> None:
        """What the kiosk's sound can do now; from any thread (``kiosk run`` calls it from
        the sound's threads), before or while the app runs."""
        self.sound = status
        if self.is_running:
            self._post(SoundChanged())

    def on_sound_changed(self, _message: SoundChanged) -> None:
        if self._screens_gone():
            return
        self._show_status(self.status)

    def _show_status(self, status: KioskStatus) -> None:
        self.status = status
        hint = lines.idle_hint(status.camera)
        if hint != self._verdict.hint:
            self._verdict.hint = hint
            self._verdict.refresh()
        self._status_bar.show_status(status, self._clock(), self._tz, self.sound)
        self._counters.show_counters(status.counters)

    def on_recent_loaded(self, message: RecentLoaded) -> None:
        if self._screens_gone():
            return
        self._recent.show_rows(message.rows)

    def on_action_failed(self, message: ActionFailed) -> None:
        if self._screens_gone():
            return
        text = clean_text(message.text, lines.MAX_MESSAGE_LEN)
        self.notify(text, severity="error", timeout=8, markup=False)

    def on_action_done(self, message: ActionDone) -> None:
        if self._screens_gone():
            return
        self.notify(clean_text(message.text, lines.MAX_MESSAGE_LEN), timeout=4, markup=False)

    def on_scan_input_scanned(self, message: ScanInput.Scanned) -> None:
        self._submit(message.text)

    def _submit(self, text: str) -> None:
        self._in_thread(lambda: self.port.submit_text(text), _("scan"))

    # --- keys ----------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        """Every key passes the scanner router first while a dialog or the log has focus."""
        if (
            isinstance(event, events.Key)
            and not event.is_forwarded
            and len(self.screen_stack) > 1
            and not getattr(event, "_routed", False)
        ):
            routed = self.router.feed(event.key, event.character, self._monotonic())
            await self._deliver(routed)
            return
        await super().on_event(event)

    async def _deliver(self, routed: Routed) -> None:
        for text in routed.scanned:
            self._submit(text)
        for key, character in routed.to_focus:
            again = events.Key(key, character)
            again._routed = True  # type: ignore[attr-defined]
            await super().on_event(again)

    async def _route_tick(self) -> None:
        if self.router.busy:
            await self._deliver(self.router.tick(self._monotonic()))

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
        """Guard keys apply to the visit on screen; they are hidden when they cannot."""
        if action in _MAIN_ONLY_ACTIONS and len(self.screen_stack) > 1:
            return False
        current = self.current
        if action in _GUARD_ACTIONS:
            return current is not None and current.status is not VisitStatus.LEFT
        if action in ("pick_older", "pick_newer"):
            return bool(self.waiting)
        if action == "newest":
            return self.picked is not None
        return True

    def _who(self, view: VisitView) -> str:
        """``Wang *ming (11:51:20, REVIEW)``: whom an action will land on."""
        return lines.visit_who(view, self._tz)

    def action_approve(self) -> None:
        self._override(Verdict.ALLOW)

    def action_deny(self) -> None:
        self._override(Verdict.DENY)

    def _override(self, verdict: Verdict) -> None:
        view = self.current
        if view is None:
            return
        who = self._who(view)
        if verdict is Verdict.ALLOW:
            done, what = _("approved: {who}"), _("Approve {who}")
        else:
            done, what = _("denied: {who}"), _("Deny {who}")

        def send(reason: str | None) -> None:
            if not reason:
                return
            self._in_thread(
                lambda: self._acted(
                    self.port.override(view.visit_id, verdict, reason), done.format(who=who)
                ),
                what.format(who=who),
            )

        self.push_screen(ReasonDialog(verdict, who), send)

    def action_temperature(self) -> None:
        view = self.current
        if view is None:
            return
        who = self._who(view)

        def send(celsius: float | None) -> None:
            if celsius is None:
                return
            self._in_thread(
                lambda: self._acted(
                    self.port.observe(view.visit_id, temperature_c=celsius),
                    _("temperature {c} °C: {who}").format(c=f"{celsius:.1f}", who=who),
                ),
                _("Temperature of {who}").format(who=who),
            )

        self.push_screen(TemperatureDialog(who), send)

    def action_mask(self, worn: bool) -> None:
        view = self.current
        if view is None:
            return
        who = self._who(view)
        what = _("mask worn: {who}") if worn else _("no mask: {who}")
        self._in_thread(
            lambda: self._acted(self.port.observe(view.visit_id, mask=worn), what.format(who=who)),
            _("Mask of {who}").format(who=who),
        )

    def _acted(self, view: VisitView, done: str) -> Message:
        """Runs in the action's thread: the visit as it is now, for the UI thread."""
        self._post(ActionDone(done))
        return VisitShown(VisitEvent(view, tuple(self.port.waiting())), acted=True)

    def _pick(self, step: int) -> None:
        if not self.waiting:
            return
        ids = [v.visit_id for v in self.waiting]
        here = self.current.visit_id if self.current is not None else None
        start = len(ids) if step < 0 else -1  # from outside the list: its near end
        index = (ids.index(here) if here in ids else start) + step
        self.picked = ids[max(0, min(index, len(ids) - 1))]
        for view in self.waiting:
            self.views.setdefault(view.visit_id, view)
        self._refresh_panel()

    def action_pick_older(self) -> None:
        self._pick(-1)

    def action_pick_newer(self) -> None:
        self._pick(+1)

    def action_newest(self) -> None:
        self.picked = None
        self._refresh_panel()

    def on_visit_picked(self, message: VisitPicked) -> None:
        """A visit chosen in the log view: show it, so the guard's keys act on it."""
        self._keep(message.view)
        self.picked = message.view.visit_id
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self._refresh_panel()

    def pick_visit(self, visit_id: str) -> None:
        """Ask the port for a visit it still holds and show it (from the log view)."""
        self._in_thread(lambda: VisitPicked(self.port.visit(visit_id)), _("Show visit"))

    def action_pause(self) -> None:
        paused = not self.status.camera.paused

        def job() -> Message:
            self.port.set_paused(paused)
            return StatusChanged(self.port.status())

        self.notify(_("Pausing the camera") if paused else _("Resuming the camera"), markup=False)
        self._in_thread(job, _("Pause camera") if paused else _("Resume camera"))

    def action_sync(self) -> None:
        """Sync now, and say how it went once the round is over (or still going after 30 s)."""
        before = self.status.sync

        def job() -> Message:
            if not before.enabled:
                return ActionFailed(_("Sync: off in this kiosk's configuration ([sync] enabled)"))
            self.port.sync_now()
            status = self.port.status()
            for _poll in range(SYNC_REPORT_POLLS):
                sync = status.sync
                if sync.last_success_ms != before.last_success_ms and sync.online:
                    self._post(StatusChanged(status))
                    done = _("Sync done: {n} entries still to send")
                    return ActionDone(done.format(n=sync.backlog))
                if (
                    not sync.online
                    and sync.last_error
                    and (sync.last_error != before.last_error or not before.online)
                ):
                    self._post(StatusChanged(status))
                    return ActionFailed(_("Sync failed: {error}").format(error=sync.last_error))
                time.sleep(SYNC_REPORT_EVERY_S)
                status = self.port.status()
            return ActionFailed(_("Sync: no answer yet from the server; it keeps trying"))

        self.notify(_("Sync requested…"), markup=False, timeout=3)
        self._in_thread(job, _("Sync"))

    async def action_quit(self) -> None:
        """Quit; entries not yet sent are sent first (q again quits at once, they stay logged)."""
        if self._quitting:
            self.exit()
            return
        backlog = self.status.sync.backlog
        if not self.status.sync.enabled or backlog == 0:
            self.exit()
            return
        self._quitting = True
        self.notify(
            _("Stopping: sending {n} entries… (q again to quit now; they stay in the log)").format(
                n=backlog
            ),
            markup=False,
            timeout=30,
        )

        def job() -> None:
            try:
                self.port.drain_backlog(QUIT_DRAIN_S)
            finally:
                self.call_from_thread(self.exit)

        self.run_worker(job, thread=True, group="quit", exit_on_error=False)

    def action_log(self) -> None:
        self.push_screen(LogScreen(self.port, tz=self._tz, pick=self.pick_visit, clock=self._clock))

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    @property
    def verdict_text(self) -> Text:
        """What the verdict panel shows now, at its current size (for tests and logs)."""
        panel = self._verdict
        return panel.text(panel.content_size.width, panel.content_size.height)
