"""The widgets of the guard's main screen.

Each widget shows one part of what the port publishes and nothing else:
the verdict panel, the certificates and reasons, the status bar, today's
counters, the recent entries and the scanner line.  They take port values
and draw them with the ``Text`` builders of ``kiosk.ui.lines``; none of them
calls the port, reads a clock or decides anything.
"""

from __future__ import annotations

import datetime as dt
from itertools import groupby

from rich.text import Text
from textual.app import RenderResult
from textual.message import Message
from textual.widget import Widget
from textual.widgets import DataTable, Input, Static

from kiosk.core import limits
from kiosk.core.model import Decision, Verdict
from kiosk.port import KioskStatus, LogRow, VisitView
from kiosk.ui import banner, lines

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
            idle = "Waiting for a code…\nshow the health code to the camera"
            if self.waiting:
                idle += f"\n{self.waiting} waiting for you: ↑ to pick"
            return Text(idle)
        verdict = decision.verdict
        word = f"{lines.SYMBOL[verdict]} {verdict.value}"
        identity = lines.identity_line(decision, self._tz, self.note)
        if self.picked:
            identity = Text.assemble(("▸ picked · ", "bold"), identity)
        advice = Text(lines.ADVICE[verdict])
        for scale in (2, 1):
            if banner.width(word, scale) <= width and banner.height(scale) + 1 <= height:
                big = banner.draw(word, scale)
                tail = [identity]
                if banner.height(scale) + 3 <= height:
                    tail = [Text(), identity, advice]
                elif banner.height(scale) + 2 <= height:
                    tail = [identity, advice]
                return Text("\n").join([_inked(row) for row in big] + tail)
        return Text("\n").join([Text(word, style="bold"), identity, advice][: max(height, 1)])

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


class StatusBar(TextLines):
    """Camera and sync on the first line; lists and the clock on the second."""

    def show_status(self, status: KioskStatus, now_s: float, tz: dt.tzinfo) -> None:
        lists = status.lists
        first = [lines.camera_text(status.camera), lines.sync_text(status.sync, now_s)]
        if status.kiosk_id:
            first.insert(0, Text.assemble(("Kiosk ", "bold"), status.kiosk_id))
        if status.log.fault:
            first = [lines.log_fault_text(status.log)]
        second = [
            lines.list_age("Trust list", lists.trust_age_s, lists),
            lines.list_age("Revocations", lists.revocation_age_s, lists),
            lines.clock_text(status.clock, now_s, tz),
        ]
        self.show_lines([lines.joined(first), lines.joined(second)])


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
            (f"Waiting for you ({len(waiting)})", lines.WARN_STYLE),
            ("  ↑↓ pick · Esc newest", lines.DIM_STYLE),
        )
        rows = [head]
        for view in waiting[: self.SHOWN]:
            rows.append(lines.waiting_line(view, tz, chosen=view.visit_id == current))
        if len(waiting) > self.SHOWN:
            rows.append(Text(f"  +{len(waiting) - self.SHOWN} more", style=lines.DIM_STYLE))
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
        self.add_columns("Time", "Verdict", "Name")

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
    if not buffer and character in " M":
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
