"""Every size, both languages: nothing wraps or is cut, the colour block is big enough.

The same screens as the snapshots, checked as text (``screen_text``): each
reason and waiting line appears whole on one row, the status bar is two rows
that fit, and the verdict panel covers at least a third of the screen.  The
override dialog, the log view and the help are checked the same way in the runs
that take their snapshots (``tests/ui/fit_checks.py``), at every size they are taken.
"""

from __future__ import annotations

import pytest
from rich.cells import cell_len
from textual.pilot import Pilot

from kiosk.core.announcements import SoundStatus
from kiosk.ui import lines
from kiosk.ui.widgets import StatusBar, VerdictPanel
from tests.ui.drive import drawn, drive, make_app
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

        def check() -> None:
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

        await drawn(pilot, check)

    drive(app, script, size=size)


NO_PLAYER = "sound: no audio player (aplay, paplay or sox's play); off"
