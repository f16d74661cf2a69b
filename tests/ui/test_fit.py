"""Every size, both languages: nothing wraps or is cut, the colour block is big enough.

The same screens as the snapshots, checked as text (``screen_text``): each
reason and waiting line appears whole on one row, the status bar is two rows
that fit, and the verdict panel covers at least a third of the screen.  The
override dialog, the log view and the help fit at every size too.
"""

from __future__ import annotations

import pytest
from rich.cells import cell_len
from textual.containers import VerticalScroll
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from kiosk.core.announcements import SoundStatus
from kiosk.core.model import Verdict
from kiosk.ui import lines
from kiosk.ui.i18n import _
from kiosk.ui.screens import HELP_KEYS, REASON_REQUIRED, HelpScreen, LogScreen, ReasonDialog
from kiosk.ui.widgets import StatusBar, VerdictPanel
from tests.ui import samples
from tests.ui.drive import deliver, drive, make_app, settle
from tests.ui.screen_text import screen_text
from tests.ui.test_snapshots import LANGUAGES, SIZE_IDS, SIZES, show_state


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
@pytest.mark.parametrize("state", ["deny_offline", "review_queue"])
def test_nothing_is_cut(state: str, size: tuple[int, int], language: str) -> None:
    app, port = make_app(language=language)
    width, height = size

    async def script(pilot: Pilot[None]) -> None:
        if state == "deny_offline":  # the tightest bar: offline with its cause, and no sound
            app.show_sound(SoundStatus(enabled=True, note=NO_PLAYER))
        await show_state(pilot, port, state)
        rows = screen_text(app).splitlines()

        def whole(text: str) -> bool:
            return any(text.strip() in row for row in rows)

        shown = [*app.query_one("#reasons").rows, *app.query_one("#waiting").rows]  # type: ignore[attr-defined]
        assert shown
        for line in shown:
            assert whole(line.plain), f"cut or wrapped at {size}: {line.plain!r}"
        bar = app.query_one(StatusBar)
        first, second = bar.plain.splitlines()
        for line in (first, second):
            assert cell_len(line) <= bar.content_size.width
            assert whole(line)
            if width >= 100:  # abbreviated, never cut at the end, from 100 columns
                assert not line.endswith("…"), line
        if state == "deny_offline":  # the sound's note, whole or short, never cut off
            silent = SoundStatus(enabled=True, note=NO_PLAYER)
            forms = [lines.sound_text(silent), lines.sound_text(silent, short=True)]
            assert any(f is not None and f.plain in bar.plain for f in forms), bar.plain
        panel = app.query_one(VerdictPanel)
        assert panel.region.width * panel.region.height * 3 >= width * height
        for certificate in app.query_one("#certificates").rows:  # type: ignore[attr-defined]
            assert whole(certificate.plain)

    drive(app, script, size=size)


NO_PLAYER = "sound: no audio player (aplay, paplay or sox's play); off"


async def open_override_dialog(pilot: Pilot[None], port: object) -> None:
    """A REVIEW on screen, ``a``, and Enter with no reason: the dialog and its refusal."""
    await settle(pilot)
    await deliver(pilot, port, samples.event(samples.review()))  # type: ignore[arg-type]
    await pilot.press("a")
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_dialogs_log_and_help_fit(size: tuple[int, int], language: str) -> None:
    """The override dialog, the log view and the help: every line whole, nothing scrolled off."""
    app, port = make_app(language=language)

    async def script(pilot: Pilot[None]) -> None:
        await open_override_dialog(pilot, port)
        assert isinstance(app.screen, ReasonDialog)
        rows = screen_text(app).splitlines()
        for static in app.screen.query(Static):
            for line in str(static.render()).splitlines():
                assert any(line.strip() in row for row in rows), f"{size}: {line!r}"
        assert any(_(REASON_REQUIRED) in row for row in rows)
        await pilot.press("escape")
        await settle(pilot)

        await pilot.press("l")
        await settle(pilot)
        assert isinstance(app.screen, LogScreen)
        table = app.screen.query_one(DataTable)
        assert table.row_count == len(samples.rows())
        assert table.virtual_size.width <= table.scrollable_content_region.width, size
        text = screen_text(app)
        rows = text.splitlines()
        for index in range(table.row_count):
            for column, cell in zip(table.ordered_columns, table.get_row_at(index), strict=True):
                plain = cell.plain
                room = column.get_render_width(table) - 2 * table.cell_padding
                if cell_len(plain) <= room or " " not in plain:
                    assert any(plain in row for row in rows), f"{size}: cut {plain!r}"
                else:  # a long cell may wrap inside its column, at spaces
                    assert all(word in text for word in plain.split()), f"{size}: cut {plain!r}"
        await pilot.press("escape")
        await settle(pilot)

        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        box = app.screen.query_one("#help", VerticalScroll)
        assert box.max_scroll_y == 0, f"{size}: the help does not fit"
        rows = screen_text(app).splitlines()
        for key, what in HELP_KEYS:
            line = f"{_(key)}  {_(what)}"
            assert any(line in row for row in rows), f"{size}: wrapped or cut: {line!r}"
        for verdict in Verdict:
            assert any(lines.advice(verdict) in row for row in rows)

    drive(app, script, size=size)
