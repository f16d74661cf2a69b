"""The widgets of the guard's main screen.

Each widget shows one part of what the port publishes and nothing else:
the verdict panel, the certificates and reasons, the status bar, today's
counters, the recent entries and the scanner line.  They take port values
and draw them with the ``Text`` builders of ``kiosk.ui.lines``; none of them
calls the port, reads a clock or decides anything.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from itertools import groupby

from rich.text import Text
from textual.app import RenderResult
from textual.message import Message
from textual.widget import Widget
from textual.widgets import DataTable, Input, Static

from kiosk.core import limits
from kiosk.core.announcements import SoundStatus
from kiosk.core.model import Decision, Verdict
from kiosk.port import Counters as CounterValues
from kiosk.port import KioskStatus, LogRow, VisitView
from kiosk.ui import banner, lines
from kiosk.ui.i18n import _

_PANEL_CLASS = {Verdict.ALLOW: "-allow", Verdict.DENY: "-deny", Verdict.REVIEW: "-review"}


class VerdictPanel(Widget):
    """The verdict, as big as its box allows: word and symbol, name, code colour.

    The word is drawn in block letters at the largest scale that fits (two at
    160x48, one at 80x24), or as plain bold text in a very small box.  The
    panel's background says the same in colour: green, red, amber.
    """

    def __init__(self, *, tz: dt.tzinfo, id: str | None = None) -> None:
        super().__init__(id=id, classes="-idle")
        self._tz = tz
        self.decision: Decision | None = None
        self.note = ""
        self.picked = False
        self.waiting = 0
        self.hint = _("show the health code to the camera")
        """What the waiting panel asks for (``lines.idle_hint`` of the camera's state)."""

    def show(self, decision: Decision, note: str = "", *, picked: bool = False) -> None:
        """Show a visit's verdict; ``picked``: the guard chose it from the waiting list."""
        self.decision = decision
        self.note = note
        self.picked = picked
        self.set_class(False, "-idle", *_PANEL_CLASS.values())
        self.add_class(_PANEL_CLASS[decision.verdict])
        self.refresh()

    def clear(self, waiting: int = 0) -> None:
        """Back to waiting: an old verdict must not be read as the next person's."""
        self.decision = None
        self.note = ""
        self.picked = False
        self.waiting = waiting
        self.set_class(False, *_PANEL_CLASS.values())
        self.add_class("-idle")
        self.refresh()

    def text(self, width: int, height: int) -> Text:
        """What the panel shows in a box of ``width`` x ``height`` cells."""
        decision = self.decision
        if decision is None:
            idle = [_("Waiting for a code…"), self.hint]
            if self.waiting:
                idle.append(_("{n} waiting for you: ↑ to pick").format(n=self.waiting))
            return Text("\n").join(Text(row) for row in idle[: max(height, 1)])
        verdict = decision.verdict
        said = lines.verdict_word(verdict)
        word = f"{lines.SYMBOL[verdict]} {said}"
        identity = lines.identity_line(decision, self._tz, self.note)
        if self.picked:
            identity = Text.assemble((_("▸ picked · "), "bold"), identity)
        identity.truncate(max(width, 1), overflow="ellipsis")
        advice = Text(lines.advice(verdict))
        # Block letters for the word when the font has it (English), else for the symbol,
        # with the word in plain bold text beside the rest (Chinese).
        drawn = word if banner.can_draw(word) else lines.SYMBOL[verdict]
        heading = [] if drawn == word else [Text(said, style="bold")]
        for scale in (3, 2, 1):
            rows = banner.height(scale) + len(heading) + 1
            if banner.width(drawn, scale) <= width and rows <= height:
                big = banner.draw(drawn, scale)
                tail = [*heading, identity]
                if rows + 2 <= height:
                    tail = [Text(), *heading, identity, advice]
                elif rows + 1 <= height:
                    tail = [*heading, identity, advice]
                return Text("\n").join([_inked(row) for row in big] + tail)
        small = [Text(word, style="bold"), identity, advice][: max(height, 1)]
        return Text("\n").join(small)

    def rows_wanted(self, width: int) -> int:
        """Rows the panel's content needs at the biggest scale that fits ``width`` cells."""
        decision = self.decision
        if decision is None:
            return 3 + (1 if self.waiting else 0)
        verdict = decision.verdict
        word = f"{lines.SYMBOL[verdict]} {lines.verdict_word(verdict)}"
        drawn = word if banner.can_draw(word) else lines.SYMBOL[verdict]
        heading = 0 if drawn == word else 1
        for scale in (3, 2, 1):
            if banner.width(drawn, scale) <= width:
                return banner.height(scale) + heading + 3
        return 3

    def render(self) -> RenderResult:
        size = self.content_size
        return self.text(size.width, size.height)


def _inked(row: str) -> Text:
    """A row of block letters with the ink as reverse-video spaces.

    Solid cells need no glyph from the terminal's font (some draw "█" with
    gaps) and come out the same in every terminal and screenshot.
    """
    text = Text()
    for ink, run in groupby(row, key=lambda ch: ch != " "):
        cells = " " * len(list(run))
        text.append(cells, style="reverse" if ink else "")
    return text


class TextLines(Static):
    """A block of ``Text`` lines, replaced as a whole."""

    def show_lines(self, rows: list[Text]) -> None:
        self.rows = rows
        self.update(Text("\n").join(rows))

    @property
    def plain(self) -> str:
        return "\n".join(row.plain for row in getattr(self, "rows", []))


def fitted(forms: list[Text], width: int) -> Text:
    """The first of ``forms`` (longest first) that fits ``width`` cells, else the last cut
    with an ellipsis: a status line is abbreviated, never wrapped."""
    for form in forms:
        if form.cell_len <= width:
            return form
    last = forms[-1].copy()
    last.truncate(max(width, 1), overflow="ellipsis")
    return last


class StatusBar(TextLines):
    """Camera and sync on the first line; lists and the clock on the second.

    Each line is built long, then shorter, and the longest form that fits the
    bar's width (in terminal cells: a CJK character takes two) is shown.
    """

    def show_status(
        self,
        status: KioskStatus,
        now_s: float,
        tz: dt.tzinfo,
        sound: SoundStatus | None = None,
    ) -> None:
        """``sound``: the kiosk's sound, whose note (if any) goes on the first line, else on
        the second, else beside an OFFLINE without its cause: it is never cut off."""
        self._last = (status, now_s, tz, sound)
        width = self.content_size.width or (self.app.size.width - 2 if self.is_attached else 80)
        lists = status.lists
        kiosk = Text.assemble((_("Kiosk "), "bold"), status.kiosk_id) if status.kiosk_id else None
        full = [lines.camera_text(status.camera), lines.sync_text(status.sync, now_s, tz)]
        short = [
            lines.camera_text(status.camera, short=True),
            lines.sync_text(status.sync, now_s, tz, short=True),
        ]
        first_parts = [[*opt(kiosk), *full]]
        if kiosk:
            first_parts.append([kiosk, *short])
        first_parts.append(short)
        if status.log.fault:
            first_parts = [[lines.log_fault_text(status.log)]]
        second_parts = [
            [
                lines.list_age(label, lists.trust_age_s, lists),
                lines.list_age(label2, lists.revocation_age_s, lists),
                lines.clock_text(status.clock, now_s, tz),
            ]
            for label, label2 in ((_("Trust list"), _("Revocations")), (_("Trust"), _("Revoc.")))
        ]
        first_forms = [lines.joined(parts) for parts in first_parts]
        second_forms = [lines.joined(parts) for parts in second_parts]
        chosen = [fitted(first_forms, width), fitted(second_forms, width)]
        heard = lines.sound_text(sound) if sound is not None else None
        heard_short = lines.sound_text(sound, short=True) if sound is not None else None
        if heard is not None and heard_short is not None:
            bare_sync = dataclasses.replace(status.sync, last_error="")
            bare = [short[0], lines.sync_text(bare_sync, now_s, tz, short=True), heard_short]
            tries = [
                (0, [lines.joined([*first_parts[0], heard])]),
                (0, [lines.joined([*parts, heard_short]) for parts in first_parts]),
                (1, [lines.joined([*parts, heard_short]) for parts in second_parts]),
                (0, [lines.joined(bare)] if not status.log.fault else []),
            ]
            for row, forms in tries:
                fitting = [form for form in forms if form.cell_len <= width]
                if fitting:
                    chosen[row] = fitting[0]
                    break
        self.show_lines(chosen)

    def on_resize(self) -> None:
        last = getattr(self, "_last", None)
        if last is not None:
            self.show_status(*last)


def opt(text: Text | None) -> list[Text]:
    """``[text]``, or nothing for None: an optional part of a status line."""
    return [] if text is None else [text]


class Counters(TextLines):
    """Today's counters: the long form when it fits the column, else the short one."""

    def show_counters(self, counters: CounterValues) -> None:
        self._counters = counters
        width = self.content_size.width or 58
        forms = [
            lines.counters_text(counters),
            lines.counters_text(counters, short=True),
            lines.counters_tiny(counters),
        ]
        self.show_lines([fitted(forms, width)])

    def on_resize(self) -> None:
        counters = getattr(self, "_counters", None)
        if counters is not None:
            self.show_counters(counters)


class WaitingList(TextLines):
    """Visits waiting for the guard, oldest first; the one on the panel is marked ▸.

    At most ``SHOWN`` lines, then "+N more": the panel and its reasons keep
    their room.  Empty (no height) when nobody waits.
    """

    SHOWN = 3

    def show_waiting(
        self, waiting: tuple[VisitView, ...], current: str | None, tz: dt.tzinfo
    ) -> None:
        if not waiting:
            self.show_lines([])
            self.display = False
            return
        self.display = True
        head = Text.assemble(
            (_("Waiting for you ({n})").format(n=len(waiting)), lines.WARN_STYLE),
            (_("  ↑↓ pick · Esc newest"), lines.DIM_STYLE),
        )
        rows = [head]
        for view in waiting[: self.SHOWN]:
            rows.append(lines.waiting_line(view, tz, chosen=view.visit_id == current))
        if len(waiting) > self.SHOWN:
            more = _("  +{n} more").format(n=len(waiting) - self.SHOWN)
            rows.append(Text(more, style=lines.DIM_STYLE))
        self.show_lines(rows)


class RecentEntries(DataTable[Text]):
    """The latest entries of the log, newest first: time, verdict, name.

    Not focusable: the keyboard belongs to the scanner and the guard's keys.
    """

    can_focus = False

    def __init__(self, *, tz: dt.tzinfo, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="none", zebra_stripes=True)
        self._tz = tz

    def on_mount(self) -> None:
        self.add_columns(_("Time"), _("Verdict"), _("Name"))

    def show_rows(self, rows: list[LogRow]) -> None:
        self.clear()
        for row in rows:
            self.add_row(
                Text(lines.clock_time(row.at_ms / 1000, self._tz)),
                lines.verdict_text(row.verdict),
                lines.recent_name(row),
            )


CODE_CHARACTERS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
"""What a scanner can type: the QR alphanumeric set (Base45's alphabet, the prefixes).

No lower-case letter is among them, so the guard's keys (a, d, t, ...) never
collide with a scan.
"""

GUARD_KEYS_UPPER = frozenset(" ADTMNPSLQ")
"""Capitals of the guard's keys (and space): on an empty scanner line they are keys, so
Caps Lock and Shift do not change what a key does.  Every code starts with ``H``."""

MAX_SCAN_LENGTH = limits.MAX_QR_TEXT + 1
"""Characters kept from one scan: one more than the core accepts, so it can say 'too long'."""


def scan_key(buffer: str, key: str, character: str | None) -> tuple[str, str | None] | None:
    """One key on the scanner line: ``(new buffer, finished line or None)``, or None if not ours.

    Enter finishes a non-empty line; backspace and escape edit it; a code
    character is added (up to ``MAX_SCAN_LENGTH``).  A space or an ``M`` on an
    empty line, and every other key, are left to the bindings.
    """
    if key == "enter" and buffer:
        return "", buffer
    if key == "backspace" and buffer:
        return buffer[:-1], None
    if key == "escape" and buffer:
        return "", None
    if character is None or character not in CODE_CHARACTERS:
        return None
    if not buffer and character in GUARD_KEYS_UPPER:
        return None
    return (buffer + character)[:MAX_SCAN_LENGTH], None


class ScanInput(Input):
    """The line a keyboard-wedge scanner (or the guard) types a code into.

    It never takes focus: the app hands it the keys that can belong to a code
    (``take_key``) and lets every other key reach the bindings.  A code
    always starts with ``HCK1:`` or ``HC1:``, so an upper-case ``M`` on an
    empty line is left to the "no mask" binding.  Enter posts ``Scanned``.
    """

    can_focus = False

    class Scanned(Message):
        """A whole line was typed: QR text for ``KioskPort.submit_text``."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def take_key(self, key: str, character: str | None) -> bool:
        """Handle a key if it belongs to the scanner line; False leaves it to the bindings."""
        taken = scan_key(self.value, key, character)
        if taken is None:
            return False
        buffer, line = taken
        if line is not None:
            self.post_message(self.Scanned(line))
        if buffer != self.value:
            self.value = buffer
            self.cursor_position = len(buffer)
        return True

    def take_paste(self, text: str) -> None:
        """Pasted text: every line is a scan (a wedge may paste instead of typing)."""
        for line in text.splitlines():
            if line.strip():
                self.post_message(self.Scanned(line[:MAX_SCAN_LENGTH]))
