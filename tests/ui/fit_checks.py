"""Checks that a dialog, the log view or the help fits the screen: every line whole.

Run inside the snapshot tests' own runs (``tests/ui/test_snapshots.py``), so the
screens are checked as text at every size they are taken without starting the
app again.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual.app import App
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from kiosk.core.model import Verdict
from kiosk.ui import lines
from kiosk.ui.i18n import _
from kiosk.ui.screens import HELP_KEYS, REASON_REQUIRED, HelpScreen, LogScreen, ReasonDialog
from tests.ui.screen_text import screen_text


def dialog_fits(app: App[None]) -> None:
    """The override dialog: its title, label, refusal and hint each whole on one row."""
    assert isinstance(app.screen, ReasonDialog)
    rows = screen_text(app).splitlines()
    for static in app.screen.query(Static):
        for line in str(static.render()).splitlines():
            assert any(line.strip() in row for row in rows), f"{app.size}: {line!r}"
    assert any(_(REASON_REQUIRED) in row for row in rows)


def log_fits(app: App[None], entries: int) -> None:
    """The log view: no column off the screen; a cell whole on one row, or wrapped at spaces
    inside its column when it is longer than the column."""
    assert isinstance(app.screen, LogScreen)
    table = app.screen.query_one(DataTable)
    assert table.row_count == entries
    assert table.virtual_size.width <= table.scrollable_content_region.width, app.size
    text = screen_text(app)
    rows = text.splitlines()
    for index in range(table.row_count):
        for column, cell in zip(table.ordered_columns, table.get_row_at(index), strict=True):
            plain = cell.plain
            room = column.get_render_width(table) - 2 * table.cell_padding
            if cell_len(plain) <= room or " " not in plain:
                assert any(plain in row for row in rows), f"{app.size}: cut {plain!r}"
            else:
                assert all(word in text for word in plain.split()), f"{app.size}: cut {plain!r}"


def help_fits(app: App[None]) -> None:
    """The help: nothing scrolled off, each key's line and each verdict's advice whole."""
    assert isinstance(app.screen, HelpScreen)
    box = app.screen.query_one("#help", VerticalScroll)
    assert box.max_scroll_y == 0, f"{app.size}: the help does not fit"
    rows = screen_text(app).splitlines()
    for key, what in HELP_KEYS:
        line = f"{_(key)}  {_(what)}"
        assert any(line in row for row in rows), f"{app.size}: wrapped or cut: {line!r}"
    for verdict in Verdict:
        assert any(lines.advice(verdict) in row for row in rows)
