"""Messages that carry the port's news onto the UI thread.

``KioskPort.subscribe`` calls back on the service's worker threads, and port
actions run in thread workers so that a slow disk or network never freezes
the screen.  Neither may touch a widget.  They wrap what they got in one of
these messages and post it with the thread-safe ``post_message``; the handlers on the
app, on the UI thread, update the widgets.  Each message holds port values
only (frozen dataclasses), never widgets.
"""

from __future__ import annotations

from textual.message import Message

from kiosk.port import KioskStatus, LogRow, VisitEvent, VisitView


class VisitShown(Message):
    """A visit opened or changed: a new scan, a reading, an overrule, a timeout, a write.

    ``acted`` is true when it answers the guard's own action (the bell stays
    silent, and a visit picked from the waiting list and now resolved gives the
    panel back to the person at the gate).
    """

    def __init__(self, event: VisitEvent, *, acted: bool = False) -> None:
        super().__init__()
        self.event = event
        self.acted = acted


class VisitPicked(Message):
    """A visit the guard chose in the log view, as the port holds it now."""

    def __init__(self, view: VisitView) -> None:
        super().__init__()
        self.view = view


class ActionDone(Message):
    """A guard action went through; ``text`` says what landed on whom."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


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


class SoundChanged(Message):
    """The kiosk's sound changed what it can do (``KioskApp.show_sound``)."""
