"""Messages that carry the port's news onto the UI thread.

``KioskPort.subscribe`` calls back on the service's worker threads, and port
actions run in thread workers so that a slow disk or network never freezes
the screen.  Neither may touch a widget.  They wrap what they got in one of
these messages and post it with ``App.call_from_thread``; the handlers on the
app, on the UI thread, update the widgets.  Each message holds port values
only (frozen dataclasses), never widgets.
"""

from __future__ import annotations

from textual.message import Message

from kiosk.port import DecisionEvent, KioskStatus, LogRow


class DecisionShown(Message):
    """A decision to put on the verdict panel: a new scan, or a re-judged entry.

    ``note`` says why an entry was judged again ("after temperature 36.6 °C",
    "approved by the guard"); it is empty for a fresh scan.  ``quiet`` keeps
    the bell silent, for the guard's own overrides.
    """

    def __init__(self, event: DecisionEvent, note: str = "", *, quiet: bool = False) -> None:
        super().__init__()
        self.event = event
        self.note = note
        self.quiet = quiet


class StatusChanged(Message):
    """The kiosk's status: camera, sync, lists, clock and today's counters."""

    def __init__(self, status: KioskStatus) -> None:
        super().__init__()
        self.status = status


class RecentLoaded(Message):
    """The latest lines of the entry log, newest first."""

    def __init__(self, rows: list[LogRow]) -> None:
        super().__init__()
        self.rows = rows


class ActionFailed(Message):
    """A guard action was refused or failed; ``text`` is shown as is, never as markup."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
