"""An in-memory ``KioskPort`` for the UI tests: records actions, replays set-up answers.

It is faithful to the contract where the UI depends on it: events are
delivered on a separate thread (as the service's worker threads do), actions
name a visit and return its ``VisitView`` or raise ``ActionError``, and an
override without a reason is refused.  It judges nothing: ``observe`` returns
the decision the test set up, as the real service would return the core's
judgement of the visit.  The tests of the guard's workflow against the real
judgement run the real service instead (``tests/ui/test_visits.py``).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable

from kiosk.core.errors import Reason, ReasonCode, Severity
from kiosk.core.model import Decision, Verdict
from kiosk.core.visit import VisitStatus
from kiosk.port import ActionError, KioskEvent, KioskStatus, LogRow, VisitEvent, VisitView

Action = tuple[object, ...]


class FakePort:
    """A ``KioskPort`` whose answers are set by the test."""

    def __init__(self, status: KioskStatus | None = None, rows: list[LogRow] | None = None):
        self.kiosk_status = status or KioskStatus()
        self.rows = list(rows or [])
        self.views: dict[str, VisitView] = {}
        self.waiting_views: list[VisitView] = []
        self.observe_results: dict[tuple[str, float | None, bool | None], Decision] = {}
        self.actions: list[Action] = []
        self.refuse: str = ""
        self._callbacks: list[Callable[[KioskEvent], None]] = []
        self._lock = threading.Lock()

    # --- test side --------------------------------------------------------

    def push(self, event: KioskEvent) -> threading.Thread:
        """Deliver ``event`` to the subscribers on a new thread, as the service does."""
        if isinstance(event, VisitEvent):
            self.views[event.visit.visit_id] = event.visit
            self.waiting_views = list(event.waiting)
        else:
            self.kiosk_status = (
                event.status
            )  # as the service: status() answers what it last published

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

    def _changed(self, view: VisitView) -> VisitView:
        self.views[view.visit_id] = view
        self.waiting_views = [
            view if v.visit_id == view.visit_id else v
            for v in self.waiting_views
            if v.visit_id != view.visit_id or view.needs_guard
        ]
        return view

    def _held(self, visit_id: str) -> VisitView:
        if visit_id not in self.views:
            raise ActionError(f"no visit {visit_id}")
        return self.views[visit_id]

    def override(self, visit_id: str, verdict: Verdict, reason: str) -> VisitView:
        self._record("override", visit_id, verdict, reason)
        if self.refuse:
            raise ActionError(self.refuse)
        if not reason.strip():
            raise ActionError("an override needs a reason")
        before = self._held(visit_id)
        code = ReasonCode.GUARD_APPROVED if verdict is Verdict.ALLOW else ReasonCode.GUARD_DENIED
        guard = Reason(code, Severity.NOTE, reason)
        decision = before.decision
        after = dataclasses.replace(decision, verdict=verdict, reasons=(*decision.reasons, guard))
        return self._changed(
            dataclasses.replace(
                before,
                decision=after,
                status=VisitStatus.OVERRULED,
                overrule=verdict,
                overrule_reason=reason,
            )
        )

    def observe(
        self, visit_id: str, *, temperature_c: float | None = None, mask: bool | None = None
    ) -> VisitView:
        self._record("observe", visit_id, temperature_c, mask)
        if self.refuse:
            raise ActionError(self.refuse)
        before = self._held(visit_id)
        result: Decision = self.observe_results.get(
            (visit_id, temperature_c, mask), before.decision
        )
        status = VisitStatus.WAITING if result.verdict is Verdict.REVIEW else VisitStatus.DECIDED
        return self._changed(
            dataclasses.replace(
                before,
                decision=result,
                status=status,
                temperature_c=before.temperature_c if temperature_c is None else temperature_c,
                mask=before.mask if mask is None else mask,
            )
        )

    def visit(self, visit_id: str) -> VisitView:
        self._record("visit", visit_id)
        return self._held(visit_id)

    def waiting(self) -> list[VisitView]:
        return list(self.waiting_views)

    def submit_text(self, text: str) -> None:
        self._record("submit_text", text)

    def set_paused(self, paused: bool) -> None:
        self._record("set_paused", paused)
        camera = dataclasses.replace(self.kiosk_status.camera, paused=paused)
        self.kiosk_status = dataclasses.replace(self.kiosk_status, camera=camera)

    def sync_now(self) -> None:
        """As a real round does: the status shows a newer last success (or the same failure)."""
        self._record("sync_now")
        sync = self.kiosk_status.sync
        if sync.enabled and sync.online:
            done = dataclasses.replace(sync, last_success_ms=(sync.last_success_ms or 0) + 1000)
            self.kiosk_status = dataclasses.replace(self.kiosk_status, sync=done)

    def drain_backlog(self, timeout: float) -> bool:
        self._record("drain_backlog", timeout)
        return True

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
