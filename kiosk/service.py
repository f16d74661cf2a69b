"""The imperative shell: frames -> core -> log -> UI, and the sync loop beside it.

``KioskService`` implements ``kiosk.port.KioskPort``.  Three kinds of work
run on their own threads so that none waits on another:

- the **scan worker** reads frames from the source, runs the scan loop and
  puts decisions on an unbounded queue (decisions are rare; frames are not:
  a slow consumer drops frames, never decisions);
- the **recorder** commits each decision to the entry log (durable before it
  is shown as recorded) and publishes it to subscribers;
- the **sync loop** (``kiosk.adapters.sync``) uploads and fetches lists; new
  lists and policy are swapped into the judging context between two frames.

Guard actions (override, temperature, mask) are entries too, written by the
caller's thread through the same store.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from kiosk.adapters.config import KioskConfig
from kiosk.adapters.store import EntryStore
from kiosk.core.clock import clock_reasons, purge_allowed
from kiosk.core.entry import Entry
from kiosk.core.errors import Reason, ReasonCode, Severity
from kiosk.core.model import Decision, Observations, Verdict
from kiosk.core.pipeline import ScanContext, rejudge
from kiosk.core.policy import Policy, local_date, verdict_of
from kiosk.core.replay import ReplayGuard
from kiosk.core.trust import RevocationList, TrustList
from kiosk.port import (
    ActionError,
    CameraStatus,
    ClockStatus,
    Counters,
    DecisionEvent,
    KioskEvent,
    KioskStatus,
    ListStatus,
    LogRow,
    StatusEvent,
    SyncStatus,
)
from kiosk.scan_loop import Decoder, ScanLoop, StreamDecision, replay_rules

log = logging.getLogger(__name__)

MAX_REMEMBERED = 500
"""Decisions kept in memory for guard actions (the log keeps them all)."""

PURGE_EVERY_S = 3600.0
"""How often acknowledged entries past the retention period are purged."""


def log_row(entry: Entry) -> LogRow:
    return LogRow(
        entry_id=entry.id,
        at_ms=entry.at_ms,
        kind=entry.kind.value,
        verdict=entry.verdict,
        name=entry.name,
        reasons=entry.reasons,
        note=entry.note,
    )


class KioskService:
    """The running kiosk: implements ``KioskPort`` for the UI and headless runs."""

    def __init__(
        self,
        config: KioskConfig,
        context: ScanContext,
        store: EntryStore,
        *,
        frames: Iterable[Any] | None = None,
        source_name: str = "",
        decoder: Decoder | None = None,
        sync: Any | None = None,
        clock: Callable[[], float] = time.time,
        camera_stats: Callable[[], CameraStatus] | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self._context = context
        self._frames = frames
        self._source_name = source_name
        self._sync = sync
        self._clock = clock
        self._camera_stats = camera_stats
        self._subscribers: list[Callable[[KioskEvent], None]] = []
        self._decisions: queue.Queue[StreamDecision | None] = queue.Queue()
        self._remembered: OrderedDict[str, Decision] = OrderedDict()
        self._lock = threading.RLock()
        self._loop_lock = threading.Lock()
        self._paused = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._source_done = threading.Event()
        self._camera_message = ""
        self._fps = 0.0
        self._loop = ScanLoop(
            decoder or (lambda _image: []),
            self.context,
            ReplayGuard(replay_rules(config.scan)),
            now=lambda _t: int(self._clock()),
            confirm_foreign=not getattr(frames, "stills", False),
        )
        if sync is not None and getattr(sync, "client", None) is not None:
            sync.client.on_lists = self.swap_lists

    # --- judging material ------------------------------------------------

    def context(self) -> ScanContext:
        return self._context

    def swap_lists(
        self, trust: TrustList | None, revocations: RevocationList | None, policy: Policy | None
    ) -> None:
        """Take new lists or policy from a sync, without a restart."""
        with self._lock:
            ctx = self._context
            self._context = dataclasses.replace(
                ctx,
                trust=trust if trust is not None else ctx.trust,
                revocations=revocations if revocations is not None else ctx.revocations,
                policy=policy if policy is not None else ctx.policy,
            )

    # --- life cycle -------------------------------------------------------

    def start(self) -> KioskService:
        self._spawn(self._record_worker, "kiosk-recorder")
        if self._frames is not None:
            self._spawn(self._scan_worker, "kiosk-scan")
        else:
            self._source_done.set()
        self._spawn(self._status_worker, "kiosk-status")
        if self._sync is not None:
            self._sync.start()
        return self

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        self._decisions.put(None)
        if self._sync is not None:
            self._sync.stop(timeout=5)
        for thread in self._threads:
            thread.join(timeout=5)
        close = getattr(self._frames, "close", None)
        if callable(close):
            with contextlib.suppress(Exception):
                close()

    def wait_source_done(self, timeout: float | None = None) -> bool:
        """Wait until a finite source (a file) has been read and every decision recorded."""
        if not self._source_done.wait(timeout):
            return False
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._decisions.unfinished_tasks:
            if deadline is not None and time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    # --- workers ----------------------------------------------------------

    def _scan_worker(self) -> None:
        assert self._frames is not None
        frames: Iterator[Any] = iter(self._frames)
        window_start = time.monotonic()
        window_frames = 0
        try:
            for frame in frames:
                if self._stop.is_set():
                    break
                if self._paused.is_set():
                    continue
                with self._loop_lock:
                    made = self._frame(frame)
                for item in made:
                    self._decisions.put(item)
                window_frames += 1
                elapsed = time.monotonic() - window_start
                if elapsed >= 1.0:
                    self._fps = window_frames / elapsed
                    window_start, window_frames = time.monotonic(), 0
        except Exception as exc:  # a source failure is reported, never a crash
            log.exception("frame source failed")
            self._camera_message = f"source stopped: {exc}"
        finally:
            self._source_done.set()

    def _frame(self, frame: Any) -> list[StreamDecision]:
        text = getattr(frame, "text", None)
        if text is not None:
            made = self._loop.process_text(text, frame.t, frame.index, self._source_name)
            return [made] if made is not None else []
        return self._loop.process_frame(frame, self._source_name)

    def _record_worker(self) -> None:
        while True:
            item = self._decisions.get()
            try:
                if item is None:
                    return
                self._record(item)
            except Exception:
                log.exception("recording a decision failed")
            finally:
                self._decisions.task_done()

    def _with_clock_reasons(self, decision: Decision) -> Decision:
        now_ms = int(self._clock() * 1000)
        skew = None
        if self._sync is not None:
            skew = self._sync.status().clock_skew_s
        extra = clock_reasons(
            now_ms,
            self.store.newest_at_ms(),
            skew,
            self.config.sync.clock_warn_s,
            confirmed_skew_s=self._confirmed_skew(),
        )
        if not extra:
            return decision
        reasons = (*decision.reasons, *extra)
        return dataclasses.replace(decision, reasons=reasons, verdict=verdict_of(reasons))

    def _record(self, item: StreamDecision) -> None:
        decision = self._with_clock_reasons(item.decision)
        entry_id = ""
        recorded = False
        try:
            entry = self.store.record_decision(decision, at_ms=int(self._clock() * 1000))
            entry_id, recorded = entry.id, True
        except Exception as exc:
            log.exception("entry log write failed")
            reason = Reason(ReasonCode.INTERNAL_ERROR, Severity.REVIEW, f"not logged: {exc}")
            reasons = (*decision.reasons, reason)
            decision = dataclasses.replace(decision, reasons=reasons, verdict=verdict_of(reasons))
        if recorded:
            self._remember(entry_id, decision)
        self._publish(DecisionEvent(entry_id, decision, recorded, item.source, item.frame_time_s))

    def _status_worker(self) -> None:
        last_purge = -PURGE_EVERY_S
        while not self._stop.wait(1.0):
            if time.monotonic() - last_purge >= PURGE_EVERY_S:
                last_purge = time.monotonic()
                self.purge()
            self._publish(StatusEvent(self.status()))

    def _confirmed_skew(self) -> float | None:
        """Kiosk minus server time from the last time the server signed, or None."""
        confirmed = getattr(self._sync, "confirmed_skew", None)
        return confirmed() if callable(confirmed) else None

    def purge(self) -> int:
        """Remove acknowledged entries older than ``sync.retention_days``; never unsent ones.

        Only on a clock the server confirmed (a signed time) within ``sync.clock_warn_s``:
        a kiosk started with its clock weeks ahead must not purge by that clock.
        """
        if not purge_allowed(self._confirmed_skew(), self.config.sync.clock_warn_s):
            log.info("purge skipped: the server has not confirmed the kiosk clock")
            return 0
        cutoff_ms = int((self._clock() - self.config.sync.retention_days * 86400) * 1000)
        try:
            return self.store.purge_synced(cutoff_ms)
        except Exception:
            log.exception("purging old entries failed; they are kept")
            return 0

    # --- events -----------------------------------------------------------

    def subscribe(self, callback: Callable[[KioskEvent], None]) -> None:
        with self._lock:
            self._subscribers.append(callback)

    def _publish(self, event: KioskEvent) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for callback in subscribers:
            try:
                callback(event)
            except Exception:
                log.exception("a subscriber failed")

    def _remember(self, entry_id: str, decision: Decision) -> None:
        with self._lock:
            self._remembered[entry_id] = decision
            self._remembered.move_to_end(entry_id)
            while len(self._remembered) > MAX_REMEMBERED:
                self._remembered.popitem(last=False)

    def _decision(self, entry_id: str) -> Decision:
        with self._lock:
            decision = self._remembered.get(entry_id)
        if decision is None:
            raise ActionError("that entry is no longer on screen; find it in the log view")
        return decision

    # --- guard actions ----------------------------------------------------

    def override(self, entry_id: str, verdict: Verdict, reason: str) -> Decision:
        note = reason.strip()
        if not note:
            raise ActionError("an override needs a reason")
        if verdict is Verdict.REVIEW:
            raise ActionError("an override approves (ALLOW) or denies (DENY)")
        decision = self._decision(entry_id)
        code = ReasonCode.GUARD_APPROVED if verdict is Verdict.ALLOW else ReasonCode.GUARD_DENIED
        self.store.record_override(entry_id, verdict, note, at_ms=int(self._clock() * 1000))
        overridden = dataclasses.replace(
            decision,
            verdict=verdict,
            reasons=(*decision.reasons, Reason(code, Severity.NOTE, f"guard: {note}")),
        )
        self._remember(entry_id, overridden)
        return overridden

    def observe(
        self, entry_id: str, *, temperature_c: float | None = None, mask: bool | None = None
    ) -> Decision:
        decision = self._decision(entry_id)
        self.store.record_observation(
            entry_id, temperature_c=temperature_c, mask=mask, at_ms=int(self._clock() * 1000)
        )
        judged = rejudge(decision, self._context, Observations(temperature_c, mask))
        self._remember(entry_id, judged)
        return judged

    def submit_text(self, text: str) -> None:
        t = time.monotonic()
        with self._loop_lock:
            made = self._loop.process_text(text.strip(), t, 0, "keyboard")
        if made is not None:
            self._decisions.put(made)

    def set_paused(self, paused: bool) -> None:
        if paused:
            self._paused.set()
        else:
            self._paused.clear()

    def sync_now(self) -> None:
        if self._sync is not None:
            self._sync.trigger()

    def drain_backlog(self, timeout: float) -> bool:
        """Sync now and wait until nothing is left to send; False if entries still wait."""
        if self._sync is None:
            return self.store.backlog() == 0
        self._sync.trigger()
        deadline = time.monotonic() + timeout
        while self.store.backlog():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)
        return True

    def recent(self, limit: int = 50) -> list[LogRow]:
        return [log_row(e) for e in self.store.recent(limit)]

    def search(self, text: str, limit: int = 200) -> list[LogRow]:
        return [log_row(e) for e in self.store.search(text, limit)]

    # --- status -----------------------------------------------------------

    def status(self) -> KioskStatus:
        now = self._clock()
        ctx = self._context
        rules = ctx.policy.lists
        sync = SyncStatus()
        warning = ""
        skew = None
        if self._sync is not None:
            s = self._sync.status()
            shown = "; ".join(x for x in (s.last_error, getattr(s, "notes", "")) if x)
            sync = SyncStatus(True, s.online, s.last_success_ms, self.store.backlog(), shown)
            warning, skew = s.clock_warning, s.clock_skew_s
        else:
            sync = SyncStatus(False, False, None, self.store.backlog(), "sync is off")
        camera = (
            self._camera_stats()
            if self._camera_stats
            else CameraStatus(
                source=self._source_name,
                connected=(self._frames is None and bool(self._source_name))
                or (self._frames is not None and not self._source_done.is_set()),
                paused=self._paused.is_set(),
                fps=round(self._fps, 1),
                message=self._camera_message,
            )
        )
        camera = dataclasses.replace(camera, paused=self._paused.is_set())
        newest = self.store.newest_at_ms()
        if not warning:
            reasons = clock_reasons(
                int(now * 1000),
                newest,
                skew,
                self.config.sync.clock_warn_s,
                confirmed_skew_s=self._confirmed_skew(),
            )
            warning = "; ".join(r.message for r in reasons)
        return KioskStatus(
            kiosk_id=self.config.kiosk_id,
            camera=camera,
            sync=sync,
            lists=ListStatus(
                trust_version=ctx.trust.version if ctx.trust else None,
                trust_age_s=int(now - ctx.trust.issued_at) if ctx.trust else None,
                revocation_version=ctx.revocations.version if ctx.revocations else None,
                revocation_age_s=int(now - ctx.revocations.issued_at) if ctx.revocations else None,
                warn_after_s=rules.warn_hours * 3600,
                refuse_after_s=rules.max_hours * 3600,
            ),
            clock=ClockStatus(now_ms=int(now * 1000), warning=warning, skew_s=skew),
            counters=self._counters(now, ctx.policy),
        )

    def _counters(self, now: float, policy: Policy) -> Counters:
        day = local_date(int(now), policy)
        offset = policy.site.utc_offset_hours * 3600
        midnight = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp() - offset
        counts = self.store.counts_since(int(midnight * 1000))
        return Counters(
            entries=counts.get("entries", 0),
            allowed=counts.get("ALLOW", 0),
            denied=counts.get("DENY", 0),
            reviewed=counts.get("REVIEW", 0),
        )
