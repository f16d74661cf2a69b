"""Screens over the main view: the guard's dialogs, the log search and the help.

The dialogs only collect what the guard types (a reason, a temperature) and
hand it back with ``dismiss``; the app sends it to the port.  They refuse an
empty reason or a reading that is not a number on the spot, with a message
in the dialog, because a guard action without a reason is never logged.
Whether a temperature is plausible or a fever is the core's call, not theirs.

The log screen asks the port to search the entry log, in a thread worker
so that a slow disk never freezes the screen.  Every string from a code or
the log is shown as plain ``Text``.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable
from typing import ClassVar, TypeVar

from rich.cells import cell_len
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Input, Static

from kiosk.core.display import clean_text
from kiosk.core.model import Verdict
from kiosk.core.reason_words import REASON_WORDS, codes_matching
from kiosk.core.visit import looks_like_code
from kiosk.port import KioskPort, LogRow
from kiosk.ui import lines, words
from kiosk.ui.i18n import N_, _, localize_bindings

MAX_REASON_LENGTH = 200
"""Longest override reason the dialog takes: a sentence, not an essay."""

REASON_REQUIRED = N_("A reason is required: type it, then Enter (Esc cancels).")
REASON_IS_A_CODE = N_("That is a scanned code, not a reason: type the reason in words.")
LOG_WIDE_FROM = 120
"""From this many columns the log view shows each entry's full date; below, the time."""
LOG_SCROLLBAR = 1
"""Columns the log table's vertical scrollbar takes."""
LOG_FLEX_MIN = 8
"""Fewest cells the reasons or the note column gets on the narrowest screen."""

NOT_A_NUMBER = N_("Type the reading in °C as a number, e.g. 36.6 (Esc cancels).")

_T = TypeVar("_T")


class PromptDialog(ModalScreen[_T]):
    """One line to type, checked on Enter: dismisses with the value, or says what is wrong.

    Subclasses give the words and ``parse``; Esc cancels without a value.
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", N_("Cancel"))]
    REFUSED = ""
    """Shown in the dialog when ``parse`` refuses what was typed."""

    def __init__(self, title: Text, label: str, placeholder: str, max_length: int) -> None:
        super().__init__(classes="dialog")
        localize_bindings(self)
        self.title_text = title
        self.label = label
        self.placeholder = placeholder
        self.max_length = max_length

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.title_text, id="dialog-title")
            yield Static(Text(self.label))
            yield Input(placeholder=self.placeholder, max_length=self.max_length)
            yield Static(Text(""), id="dialog-error")
            yield Static(Text(_("Enter confirms · Esc cancels"), style=lines.DIM_STYLE))

    def on_mount(self) -> None:
        field = self.query_one(Input)
        field.cursor_blink = False
        field.focus()

    def parse(self, text: str) -> _T | None:
        raise NotImplementedError

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = self.parse(event.value)
        if value is None:
            self.query_one("#dialog-error", Static).update(Text(_(self.REFUSED)))
            self.add_class("-invalid")
            return
        self.dismiss(value)


class ReasonDialog(PromptDialog[str]):
    """Approve or deny one visit; dismisses with the reason typed.

    The title names the person and when they came, so the guard sees whom the
    key will act on before it does.
    """

    REFUSED = REASON_REQUIRED

    def __init__(self, verdict: Verdict, who: str) -> None:
        verb = _("Approve: ") if verdict is Verdict.ALLOW else _("Deny: ")
        title = Text.assemble(
            (f"{lines.SYMBOL[verdict]} {verb}", lines.VERDICT_STYLE[verdict]),
            (who, "bold"),
        )
        super().__init__(title, _("Reason (required, it is logged):"), _("why"), MAX_REASON_LENGTH)
        self.verdict = verdict

    def parse(self, text: str) -> str | None:
        if looks_like_code(text):
            self.REFUSED = REASON_IS_A_CODE
            return None
        self.REFUSED = REASON_REQUIRED
        return text.strip() or None


def parse_celsius(text: str) -> float | None:
    """``36.6`` or ``36,6`` -> 36.6; anything that is not a finite number -> None."""
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


class TemperatureDialog(PromptDialog[float]):
    """The temperature measured at the door, in °C; dismisses with the number."""

    REFUSED = NOT_A_NUMBER

    def __init__(self, who: str) -> None:
        title = Text.assemble(_("Temperature of "), (who, "bold"))
        super().__init__(title, _("Reading in °C:"), "36.6", 8)

    def parse(self, text: str) -> float | None:
        return parse_celsius(text)


class LogScreen(Screen[None]):
    """Search the entry log: a text box and a table of the rows the port finds.

    Enter on a row shows its visit on the main screen (``pick``), where the
    guard's keys act on it, if the kiosk still holds it.
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", N_("Back"))]

    class Found(Message):
        def __init__(self, query: str, rows: list[LogRow]) -> None:
            super().__init__()
            self.query = query
            self.rows = rows

    def __init__(
        self,
        port: KioskPort,
        *,
        tz: dt.tzinfo,
        pick: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        localize_bindings(self)
        self._port = port
        self._tz = tz
        self._pick = pick
        self._clock = clock
        self._query = ""
        self._rows: list[LogRow] = []

    def compose(self) -> ComposeResult:
        yield Static(Text(_("Entry log"), style="bold"), id="log-title")
        yield Input(placeholder=_("search: name, verdict, reason, reading, note"), id="search")
        yield DataTable[Text](id="log-table", cursor_type="row", zebra_stripes=True)
        yield Static(Text(""), id="log-count")
        yield Footer()

    def on_mount(self) -> None:
        search = self.query_one(Input)
        search.cursor_blink = False
        search.focus()
        self._show_rows()
        self._search("")

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._search(event.value)

    def _search(self, text: str) -> None:
        self._query = text
        port, app = self._port, self.app

        # A guard searching in Chinese ("截图", "发热") finds the entries whose reason codes
        # those words describe, as the service does for English words.
        table = {code: words.search_words(code) for code in REASON_WORDS}
        codes = [] if text.isascii() else codes_matching(text, table)

        def find() -> None:
            try:
                rows = port.search(text)
                seen = {(r.entry_id, r.visit_id) for r in rows}
                for code in codes:
                    for row in port.search(code):
                        if (row.entry_id, row.visit_id) not in seen:
                            seen.add((row.entry_id, row.visit_id))
                            rows.append(row)
                rows.sort(key=lambda r: r.at_ms, reverse=True)
                found = self.Found(text, rows)
            except Exception as exc:
                failed = _("Log search failed: {error}").format(error=exc)
                app.call_from_thread(app.notify, failed, severity="error", markup=False)
                return
            app.call_from_thread(self.post_message, found)

        self.run_worker(find, thread=True, group="search", exit_on_error=False)

    def on_log_screen_found(self, message: Found) -> None:
        if message.query != self._query:
            return
        self._rows = message.rows
        self._show_rows()
        n = len(message.rows)
        count = _("{n} entries found") if message.query else _("{n} entries")
        count = count.format(n=n) + _(" · Enter on a row shows its visit")
        self.query_one("#log-count", Static).update(Text(count, style=lines.DIM_STYLE))

    def on_resize(self) -> None:
        self._show_rows()

    def _when(self, at_ms: int, wide: bool) -> Text:
        """``2026-11-23 15:56:00`` when there is room; else ``15:56:00`` today, ``11-22 15:56``."""
        when = dt.datetime.fromtimestamp(at_ms / 1000, self._tz)
        if wide:
            return Text(when.strftime("%Y-%m-%d %H:%M:%S"))
        today = dt.datetime.fromtimestamp(self._clock(), self._tz).date()
        return Text(when.strftime("%H:%M:%S" if when.date() == today else "%m-%d %H:%M"))

    def _show_rows(self) -> None:
        """Fill the table so that it fits the screen's width: the reasons and the note share
        the columns left, and a long one wraps inside its cell (the row grows) instead of
        running off the screen.  Widths are in terminal cells (a CJK character takes two)."""
        table: DataTable[Text] = self.query_one(DataTable)
        screen_width = table.size.width or self.app.size.width
        wide = screen_width >= LOG_WIDE_FROM
        width = screen_width - LOG_SCROLLBAR
        heads = [_("When"), _("Kind"), _("Verdict"), _("Name"), _("Reasons"), _("Note")]
        cells = [
            [
                self._when(row.at_ms, wide),
                Text(_(KIND_WORDS.get(row.kind, clean_text(row.kind, 16)))),
                lines.verdict_text(row.verdict),
                lines.log_name(row),
                lines.log_reasons(row),
                lines.log_note(row),
            ]
            for row in self._rows
        ]
        need = [
            max([cell_len(head), *(row[i].cell_len for row in cells)])
            for i, head in enumerate(heads)
        ]
        pads = 2 * table.cell_padding * len(heads)
        left = max(width - pads - sum(need[:4]), 2 * LOG_FLEX_MIN)
        reasons, note = need[4], need[5]
        if reasons + note > left:  # the reasons first, the note keeps a third or more
            least = min(note, max(left // 3, LOG_FLEX_MIN, cell_len(heads[5])))
            note = max(min(note, left - reasons), least)
            reasons = max(left - note, LOG_FLEX_MIN)
        widths: list[int | None] = [None, None, None, None, reasons, note]
        table.clear(columns=True)
        for head, column_width in zip(heads, widths, strict=True):
            table.add_column(head, width=column_width)
        for row, row_cells in zip(self._rows, cells, strict=True):
            tall = any(c.cell_len > w for c, w in zip(row_cells[4:], (reasons, note), strict=True))
            table.add_row(
                *row_cells, key=f"{row.entry_id}|{row.visit_id}", height=None if tall else 1
            )

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        key = event.row_key.value or ""
        visit_id = key.partition("|")[2]
        if visit_id and self._pick is not None:
            self._pick(visit_id)


HELP_KEYS: tuple[tuple[str, str], ...] = (
    ("a", N_("approve the visit on screen (reason required; policy may refuse)")),
    ("d", N_("deny the visit on screen (a reason is required)")),
    ("t", N_("enter the temperature; the visit is judged again with it")),
    ("m", N_("mask confirmed")),
    ("n", N_("no mask")),
    ("↑ / ↓", N_("pick a visit waiting for you; the keys then act on it")),
    ("Esc", N_("back to the newest visit")),
    ("p", N_("pause or resume the camera")),
    ("s", N_("sync with the server now")),
    ("l", N_("entry log, with search")),
    ("? / F1", N_("this help")),
    ("q / Ctrl+C", N_("quit")),
    (N_("scanner"), N_("a hand scanner types the code and Enter; Esc clears the line")),
    ("Caps Lock", N_("keys work the same with Caps Lock or Shift")),
)

KIND_WORDS = {
    "scan": N_("scan"),
    "visit": N_("visit"),
    "observation": N_("observation"),
    "override": N_("override"),
    "left": N_("left"),
}
"""Kinds of log entries as the log view names them (unknown kinds are shown as they are)."""


class HelpScreen(ModalScreen[None]):
    """What each key does and what the verdicts mean."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "app.pop_screen", N_("Close"))
    ]

    def __init__(self) -> None:
        super().__init__()
        localize_bindings(self)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static(help_text(), id="help-text")
            yield Static(Text(_("Esc closes"), style=lines.DIM_STYLE))


def help_text() -> Table:
    """The keys and the verdicts as a two-column grid: a description that is too long for
    the screen wraps under itself (hanging indent), measured in cells (CJK takes two)."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(justify="right", no_wrap=True, style="bold")
    grid.add_column(ratio=1, overflow="fold")
    grid.add_row("", Text(_("Keys"), style="bold"))
    for key, what in HELP_KEYS:
        grid.add_row(_(key), Text(_(what)))
    grid.add_row("", "")
    for verdict in lines.ADVICE:
        word = f"{lines.SYMBOL[verdict]} {lines.verdict_word(verdict)}"
        grid.add_row(Text(word, style=lines.VERDICT_STYLE[verdict]), Text(lines.advice(verdict)))
    return grid
