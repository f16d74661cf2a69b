"""An in-memory ``KioskPort`` for the UI tests: records actions, replays set-up answers.

It is faithful to the contract where the UI depends on it: events are
delivered on a separate thread (as the service's worker threads do), actions
return a ``Decision`` or raise ``ActionError``, and an override without a
reason is refused.  It judges nothing: ``observe`` returns the decision the
test set up, as the real service would return the core's re-judgement.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable

from kiosk.core.errors import Reason, ReasonCode, Severity
from kiosk.core.model import Decision, Verdict
from kiosk.port import ActionError, KioskEvent, KioskStatus, LogRow

Action = tuple[object, ...]


class FakePort:
    """A ``KioskPort`` whose answers are set by the test."""

    def __init__(self, status: KioskStatus | None = None, rows: list[LogRow] | None = None):
        self.kiosk_status = status or KioskStatus()
        self.rows = list(rows or [])
        self.decisions: dict[str, Decision] = {}
        self.observe_results: dict[tuple[str, float | None, bool | None], Decision] = {}
        self.actions: list[Action] = []
        self.refuse: str = ""
        self._callbacks: list[Callable[[KioskEvent], None]] = []
        self._lock = threading.Lock()

    # --- test side --------------------------------------------------------

    def push(self, event: KioskEvent) -> threading.Thread:
        """Deliver ``event`` to the subscribers on a new thread, as the service does."""
        decision = getattr(event, "decision", None)
        if decision is not None:
            self.decisions[event.entry_id] = decision  # type: ignore[union-attr]
        status = getattr(event, "status", None)
        if status is not None:
            self.kiosk_status = status  # as the service: status() answers what it last published

        def deliver() -> None:
            for callback in list(self._callbacks):
                callback(event)

        thread = threading.Thread(target=deliver, daemon=True)
        thread.start()
        return thread

    @property
    def subscribed(self) -> bool:
        return bool(self._callbacks)

    def _record(self, *action: object) -> None:
        with self._lock:
            self.actions.append(action)

    # --- KioskPort ----------------------------------------------------------

    def subscribe(self, callback: Callable[[KioskEvent], None]) -> None:
        self._callbacks.append(callback)

    def status(self) -> KioskStatus:
        return self.kiosk_status

    def override(self, entry_id: str, verdict: Verdict, reason: str) -> Decision:
        self._record("override", entry_id, verdict, reason)
        if self.refuse:
            raise ActionError(self.refuse)
        if not reason.strip():
            raise ActionError("an override needs a reason")
        if entry_id not in self.decisions:
            raise ActionError(f"no entry {entry_id}")
        code = ReasonCode.GUARD_APPROVED if verdict is Verdict.ALLOW else ReasonCode.GUARD_DENIED
        before = self.decisions[entry_id]
        guard = Reason(code, Severity.NOTE, f"guard: {reason}")
        after = dataclasses.replace(before, verdict=verdict, reasons=(*before.reasons, guard))
        self.decisions[entry_id] = after
        return after

    def observe(
        self, entry_id: str, *, temperature_c: float | None = None, mask: bool | None = None
    ) -> Decision:
        self._record("observe", entry_id, temperature_c, mask)
        if self.refuse:
            raise ActionError(self.refuse)
        result = self.observe_results.get((entry_id, temperature_c, mask))
        if result is None:
            return self.decisions[entry_id]
        self.decisions[entry_id] = result
        return result

    def submit_text(self, text: str) -> None:
        self._record("submit_text", text)

    def set_paused(self, paused: bool) -> None:
        self._record("set_paused", paused)
        camera = dataclasses.replace(self.kiosk_status.camera, paused=paused)
        self.kiosk_status = dataclasses.replace(self.kiosk_status, camera=camera)

    def sync_now(self) -> None:
        self._record("sync_now")

    def recent(self, limit: int = 50) -> list[LogRow]:
        return sorted(self.rows, key=lambda r: r.at_ms, reverse=True)[:limit]

    def search(self, text: str, limit: int = 200) -> list[LogRow]:
        self._record("search", text)
        needle = text.casefold()
        found = [
            row
            for row in self.recent(len(self.rows))
            if needle
            in " ".join((row.name, row.verdict, row.kind, row.note, *row.reasons)).casefold()
        ]
        return found[:limit]
