"""Print the guard's screen in Chinese at 80x24, as text, for the README's "Language" part.

    .venv/bin/python -m tests.ui.readme_screen

The real app over the real service and a real SQLite log (``Rig``), a hand
scanner only, on a machine with no audio player: a code minted with a visit to
a high-risk area is scanned, and the screen is captured as ``tmux capture-pane``
would show it (the verdict's block letters are coloured cells, blank in text).
The clocks are fixed, so the capture changes only when the screen does.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from textual.pilot import Pilot

from kiosk.adapters.sound import Sound
from server_stub.issuer import Issuer, high_risk_travel
from tests.conftest import NOW
from tests.ui.real_kiosk import Rig, scan, until
from tests.ui.screen_text import screen_text


def capture(folder: Path) -> str:
    logging.getLogger("kiosk").addHandler(logging.NullHandler())  # the sound's note: on screen
    issuer = Issuer.create(folder / "issuer", now=NOW - 30 * 86400)
    issuer.republish(now=NOW - 3600)
    rig = Rig(folder, issuer, language="zh_CN")
    sound = Sound(rig.config.sound, folder / "sound", which=lambda _name: None, probe=False)
    rig.app.show_sound(sound.status())
    code = rig.code("Zheng *wei", travel=high_risk_travel(NOW, days_ago=5))
    shown: list[str] = []

    async def script(pilot: Pilot[None]) -> None:
        await scan(pilot, rig, code)
        await until(pilot, lambda: rig.app.status.counters.visits == 1)
        shown.append(screen_text(rig.app))

    rig.run(script, size=(80, 24))
    return shown[0]


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        print(capture(Path(folder)))


if __name__ == "__main__":
    main()
