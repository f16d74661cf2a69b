"""The guard's screen as plain text, as a terminal shows it (for tests and the README)."""

from __future__ import annotations

import io

from rich.console import Console
from textual.app import App


def screen_text(app: App[None]) -> str:
    """Every row of the screen, trailing spaces stripped: what ``tmux capture-pane`` gives."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    screen_render = app.screen._compositor.render_update(
        full=True, screen_stack=app._background_screens, simplify=True
    )
    console.print(screen_render)
    text = console.export_text(styles=False)
    return "\n".join(row.rstrip() for row in text.splitlines())
