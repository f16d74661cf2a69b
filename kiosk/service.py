"""The imperative shell: frames -> core -> visits -> log -> UI, and the sync loop beside it.

``KioskService`` implements ``kiosk.port.KioskPort``.  Four threads run so that
none waits on another:

- the **scan worker** reads frames from the source, runs the scan loop and
  puts decisions on an unbounded queue (decisions are rare; frames are not:
  a slow consumer drops frames, never decisions);
- the **recorder** opens a visit for each decision (one person at the gate,
  ``kiosk.core.visit``) and is the only writer of the entry log: scans,
  readings, overrules and timeouts are written in the order they happened.
  When the log cannot be written (disk full, read-only, locked) the entries
  are held in that order and retried with backoff; the status says so and
  each visit says it is not yet recorded.  Nothing is dropped;
- the **status worker** publishes the status every second, closes visits
  that waited for the guard past ``ui.review_timeout_s`` and purges
  acknowledged entries hourly; a store error never stops it;
- the **sync loop** (``kiosk.adapters.sync``) uploads and fetches lists; new
  lists and policy are swapped into the judging context between two frames.

Guard actions (overrule, temperature, mask) name their visit by id and change
that visit only; their entries go through the recorder's queue like scans.
Where it is wired: ``kiosk/commands/run.py`` (``build_service``).
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import datetime as dt
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from kiosk.adapters.config import KioskConfig
from kiosk.adapters.store import EntryStore, ReasonFacts, facts_of
from kiosk.core import visit as visits
from kiosk.core.clock import clock_reasons, purge_allowed
from kiosk.core.entry import Entry, EntryDraft, EntryKind, new_entry_id
from kiosk.core.model import Decision, Verdict
from kiosk.core.pipeline import ScanContext
from kiosk.core.policy import Policy, local_date, verdict_of
from kiosk.core.reason_words import codes_matching
from kiosk.core.replay import ReplayGuard
from kiosk.core.trust import RevocationList, TrustList
from kiosk.core.visit import Visit, VisitBook, VisitError
from kiosk.core.visit_log import VisitRecord, fold_visits
from kiosk.port import (
    ActionError,
    CameraStatus,
    ClockStatus,
    Counters,
    FrameStream,
    KioskEvent,
    KioskStatus,
    ListStatus,
    LogRow,
    LogStatus,
    ScannedLine,
    StatusEvent,
    SyncRunner,
    SyncStatus,
    VisitEvent,
    VisitView,
)
from kiosk.scan_loop import Decoder, ScanLoop, StreamDecision, replay_rules

log = logging.getLogger(__name__)

PURGE_EVERY_S = 3600.0
"""How often acknowledged entries past the retention period are purged."""

ACTION_WAIT_S = 2.0
"""How long a guard action waits for its entry to be written before it answers.

It answers either way: a visit whose entry is not yet written says so
(``recorded=False``) and the entry is written, in order, when the log can take it.
"""

RETRY_MIN_S = 0.2
RETRY_MAX_S = 5.0
"""Backoff between attempts to write to a log that refused a write."""


def log_row(entry: Entry, facts: ReasonFacts = ()) -> LogRow:
    return LogRow(
        entry_id=entry.id,
        at_ms=entry.at_ms,
        kind=entry.kind.value,
        verdict=entry.verdict,
        name=entry.name,
        reasons=entry.reasons,
        note=entry.note,
        visit_id=entry.refers_to or entry.id,
        temperature_c=entry.temperature_c,
        mask=entry.mask,
        reason_params=params_by_reason(entry.reasons, facts),
    )


def params_by_reason(
    reasons: tuple[str, ...], facts: ReasonFacts
) -> tuple[tuple[tuple[str, str], ...], ...]:
    """The params of each of ``reasons``, in their order: the facts the log kept for them
    (written from the same reasons, so in the same order), or none when it kept none or
    they are not these reasons' facts."""
    if tuple(code for code, _params in facts) != reasons:
        return ()
    return tuple(params for _code, params in facts)


def reading_note(temperature_c: float | None, mask: bool | None) -> str:
    """``temperature 38.5 °C`` / ``mask worn`` / ``no mask``: an observation in words."""
    parts = []
    if temperature_c is not None:
        parts.append(f"temperature {temperature_c:.1f} °C")
    if mask is not None:
        parts.append("mask worn" if mask else "no mask")
    return ", ".join(parts)


@dataclass(slots=True)
class _Write:
    """One entry on its way to the log, and who waits for it."""

    draft: EntryDraft
    visit_id: str
    facts: ReasonFacts = ()
    """The params of the draft's reasons, kept beside the entry for the log view."""
    done: threading.Event = dataclasses.field(default_factory=threading.Event)


class KioskService:
    """The running kiosk: implements ``KioskPort`` for the UI and headless runs."""

    def __init__(
        self,
        config: KioskConfig,
        context: ScanContext,
        store: EntryStore,
        *,
        frames: FrameStream | None = None,
        source_name: str = "",
        decoder: Decoder | None = None,
        sync: SyncRunner | None = None,
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
        self._decisions: queue.Queue[StreamDecision | _Write | None] = queue.Queue()
        self._book = VisitBook()
        self._judgements: dict[str, tuple[Visit, ScanContext, visits.Judgement]] = {}
        self._unwritten: collections.Counter[str] = collections.Counter()
        self._sources: dict[str, tuple[str, float | None]] = {}
        self._log_fault = ""
        self._held = 0
        self._counters = Counters()
        self._last_backlog = 0
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
            confirm_other=not (frames is not None and frames.stills),
        )
        if sync is not None:
            sync.set_on_lists(self.swap_lists)

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
        if self._frames is not None:
            with contextlib.suppress(Exception):
                self._frames.close()

    def wait_source_done(self, timeout: float | None = None) -> bool:
        """Wait until a finite source (a file) has been read and every decision recorded."""
        if not self._source_done.wait(timeout):
            return False
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._decisions.unfinished_tasks or (self._held and not self._log_fault):
            if deadline is not None and time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    # --- workers ----------------------------------------------------------

    def _scan_worker(self) -> None:
        assert self._frames is not None
        frames: Iterator[object] = iter(self._frames)
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

    def _frame(self, frame: object) -> list[StreamDecision]:
        if isinstance(frame, ScannedLine):
            made = self._loop.process_text(frame.text, frame.t, frame.index, self._source_name)
            return [made] if made is not None else []
        return self._loop.process_frame(frame, self._source_name)

    def _record_worker(self) -> None:
        """Open visits and write entries, in order; hold them while the log refuses writes."""
        pending: collections.deque[_Write] = collections.deque()
        delay = RETRY_MIN_S
        stopping = False
        while True:
            items: list[StreamDecision | _Write | None] = []
            try:
                items.append(self._decisions.get(timeout=delay if pending else None))
                while True:
                    items.append(self._decisions.get_nowait())
            except queue.Empty:
                pass
            opened: list[str] = []
            for item in items:
                try:
                    if item is None:
                        stopping = True
                    elif isinstance(item, _Write):
                        pending.append(item)
                    else:
                        write = self._open_visit(item)
                        pending.append(write)
                        opened.append(write.visit_id)
                except Exception:
                    log.exception("opening a visit failed")
            with self._lock:
                self._held = len(pending)
            written = self._flush(pending)
            delay = RETRY_MIN_S if not pending else min(delay * 2, RETRY_MAX_S)
            for visit_id in opened:
                self._publish_visit(visit_id, opened=True)
            for visit_id in dict.fromkeys(written):
                if visit_id not in opened:
                    self._publish_visit(visit_id)
            for _ in items:
                self._decisions.task_done()
            if stopping:
                if pending:
                    log.error(
                        "stopping with %d entries not logged (%s): they are lost",
                        len(pending),
                        self._log_fault,
                    )
                return

    def _flush(self, pending: collections.deque[_Write]) -> list[str]:
        """Write held entries in order until the log refuses one; the visits written."""
        written: list[str] = []
        was_fault = self._log_fault
        while pending:
            write = pending[0]
            try:
                self.store.record(write.draft, facts=write.facts)
            except Exception as exc:
                fault = str(exc) or type(exc).__name__
                if fault != self._log_fault:
                    log.error("entry log not writable: %s", fault)
                with self._lock:
                    self._log_fault = fault
                    self._held = len(pending)
                break
            pending.popleft()
            with self._lock:
                self._unwritten[write.visit_id] -= 1
                if self._unwritten[write.visit_id] <= 0:
                    del self._unwritten[write.visit_id]
                self._held = len(pending)
                self._log_fault = ""
            write.done.set()
            written.append(write.visit_id)
        if was_fault != self._log_fault:
            self._publish(StatusEvent(self.status()))
        return written

    def _open_visit(self, item: StreamDecision) -> _Write:
        decision = self._with_clock_reasons(item.decision)
        at_ms = int(self._clock() * 1000)
        visit = Visit(new_entry_id(at_ms, os.urandom(10)), at_ms, decision)
        with self._lock:
            self._book = self._book.opened(visit, self._context)
            self._sources[visit.id] = (item.source, item.frame_time_s)
            for gone in set(self._sources) - {v.id for v in self._book.visits}:
                del self._sources[gone]
            return self._queue_write(visit, EntryKind.SCAN, at_ms, enqueue=False)

    def _queue_write(
        self,
        visit: Visit,
        kind: EntryKind,
        at_ms: int,
        *,
        note: str = "",
        temperature_c: float | None = None,
        mask: bool | None = None,
        enqueue: bool = True,
    ) -> _Write:
        """Draft the entry for ``kind`` with the visit's verdict after it (lock held)."""
        judged = self._judge(visit).decision
        draft = EntryDraft(
            id=visit.id if kind is EntryKind.SCAN else new_entry_id(at_ms, os.urandom(10)),
            at_ms=at_ms,
            kind=kind,
            verdict=judged.verdict.value,
            reasons=judged.reason_codes,
            colour="" if judged.colour is None else judged.colour.value,
            certificates=tuple(
                (c.kind.value, c.status.value, c.summary) for c in judged.certificates
            )
            if kind is EntryKind.SCAN
            else (),
            name=judged.name,
            holder_key=judged.holder_key,
            refers_to=None if kind is EntryKind.SCAN else visit.id,
            temperature_c=temperature_c,
            mask=mask,
            note=note,
        )
        write = _Write(draft, visit.id, facts_of(judged.reasons))
        self._unwritten[visit.id] += 1
        if enqueue:
            self._decisions.put(write)
        return write

    def _with_clock_reasons(self, decision: Decision) -> Decision:
        now_ms = int(self._clock() * 1000)
        skew = None
        if self._sync is not None:
            skew = self._sync.status().clock_skew_s
        try:
            newest = self.store.newest_at_ms()
        except Exception:  # a log that cannot be read is reported by the writes
            newest = None
        extra = clock_reasons(
            now_ms,
            newest,
            skew,
            self.config.sync.clock_warn_s,
            confirmed_skew_s=self._confirmed_skew(),
        )
        if not extra:
            return decision
        reasons = (*decision.reasons, *extra)
        return dataclasses.replace(decision, reasons=reasons, verdict=verdict_of(reasons))

    # --- visits as the UI sees them ------------------------------------------------

    def _view(self, visit: Visit) -> VisitView:
        """The visit as the guard sees it (lock held)."""
        judged = self._judge(visit)
        source, frame_time = self._sources.get(visit.id, ("", None))
        o = visit.overrule
        return VisitView(
            visit_id=visit.id,
            opened_ms=visit.opened_ms,
            decision=judged.decision,
            status=judged.status,
            code_verdict=visit.decision.verdict,
            temperature_c=visit.temperature_c,
            mask=visit.mask,
            overrule=o.verdict if o is not None else None,
            overrule_reason=o.reason if o is not None else "",
            recorded=self._unwritten[visit.id] == 0 if visit.id in self._unwritten else True,
            source=source,
            frame_time_s=frame_time,
        )

    def _judge(self, visit: Visit) -> visits.Judgement:
        """``visits.judge`` with the current context, remembered per visit (lock held).

        Visits are values: a changed visit or a new context (lists, policy) is a
        new key, so a remembered judgement is never stale.  The queue asks for
        every held visit's judgement on every event; this keeps that cheap.
        """
        cached = self._judgements.get(visit.id)
        if cached is not None and cached[0] is visit and cached[1] is self._context:
            return cached[2]
        judged = visits.judge(visit, self._context)
        self._judgements[visit.id] = (visit, self._context, judged)
        if len(self._judgements) > 2 * visits.MAX_HELD:
            held = {v.id for v in self._book.visits}
            self._judgements = {k: v for k, v in self._judgements.items() if k in held}
        return judged

    def _waiting_visits(self) -> list[Visit]:
        return [v for v in self._book.visits if self._judge(v).needs_guard]

    def _waiting_views(self) -> tuple[VisitView, ...]:
        return tuple(self._view(v) for v in self._waiting_visits())

    def _publish_visit(self, visit_id: str, *, opened: bool = False) -> None:
        with self._lock:
            try:
                visit = self._book.get(visit_id)
            except VisitError:
                return
            event = VisitEvent(self._view(visit), self._waiting_views(), opened=opened)
        self._publish(event)

    def _status_worker(self) -> None:
        """Every second: close visits past the review timeout, publish the status, and
        purge hourly.  Nothing here may end the thread: an error is logged and shown."""
        last_purge = -PURGE_EVERY_S
        while not self._stop.wait(1.0):
            try:
                self.expire_waiting()
                if time.monotonic() - last_purge >= PURGE_EVERY_S:
                    last_purge = time.monotonic()
                    self.purge()
                self._publish(StatusEvent(self.status()))
            except Exception:
                log.exception("status round failed; the next one runs in a second")

    def expire_waiting(self) -> list[str]:
        """Close the visits that waited for the guard past ``ui.review_timeout_s``.

        Each is logged as left without a decision (never dropped silently);
        returns their ids.  Runs every second; tests call it with a moved clock.
        """
        timeout_ms = int(self.config.ui.review_timeout_s * 1000)
        now_ms = int(self._clock() * 1000)
        closed = []
        with self._lock:
            due = [
                v
                for v in self._waiting_visits()
                if timeout_ms > 0 and now_ms - v.opened_ms >= timeout_ms
            ]
            for visit in due:
                left = visits.leave(visit, now_ms)
                self._book = self._book.replaced(left)
                waited = (now_ms - visit.opened_ms) // 1000
                note = f"left without a decision after {waited} s waiting for the guard"
                self._queue_write(left, EntryKind.LEFT, now_ms, note=note)
                closed.append(visit.id)
        return closed

    def _confirmed_skew(self) -> float | None:
        """Kiosk minus server time from the last time the server signed, or None."""
        return self._sync.confirmed_skew() if self._sync is not None else None

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

    # --- guard actions ----------------------------------------------------

    def _act(self, visit_id: str, change: Callable[[Visit], Visit], kind: EntryKind,
             note: Callable[[Visit], str], **reading: Any) -> VisitView:  # fmt: skip
        at_ms = int(self._clock() * 1000)
        with self._lock:
            try:
                visit = change(self._book.get(visit_id))
            except VisitError as exc:
                raise ActionError(exc.text, codes=exc.codes, **exc.params) from None
            self._book = self._book.replaced(visit)
            write = self._queue_write(visit, kind, at_ms, note=note(visit), **reading)
        write.done.wait(ACTION_WAIT_S)
        with self._lock:
            return self._view(self._book.get(visit_id))

    def override(self, visit_id: str, verdict: Verdict, reason: str) -> VisitView:
        """The guard approves or denies that visit; the policy says what may be approved."""
        if verdict is Verdict.REVIEW:
            raise ActionError("an overrule approves (ALLOW) or denies (DENY)")
        return self._act(
            visit_id,
            lambda v: visits.overrule(v, verdict, reason, int(self._clock() * 1000), self._context),
            EntryKind.OVERRIDE,
            lambda v: v.overrule.reason if v.overrule is not None else "",
        )

    def observe(
        self, visit_id: str, *, temperature_c: float | None = None, mask: bool | None = None
    ) -> VisitView:
        """A reading for that visit; the visit keeps its other reading and is judged again."""
        return self._act(
            visit_id,
            lambda v: visits.observe(v, temperature_c=temperature_c, mask=mask),
            EntryKind.OBSERVATION,
            lambda _v: reading_note(temperature_c, mask),
            temperature_c=temperature_c,
            mask=mask,
        )

    def visit(self, visit_id: str) -> VisitView:
        with self._lock:
            try:
                return self._view(self._book.get(visit_id))
            except VisitError as exc:
                raise ActionError(exc.text, codes=exc.codes, **exc.params) from None

    def waiting(self) -> list[VisitView]:
        with self._lock:
            return list(self._waiting_views())

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
        """The newest visits, newest first: one row each with its final verdict."""
        rows: list[LogRow] = []
        with self._lock:
            held = [v for v in self._book.visits if v.id in self._unwritten]
            for visit in reversed(held):
                view = self._view(visit)
                rows.append(
                    LogRow(
                        entry_id=visit.id,
                        at_ms=visit.opened_ms,
                        kind="visit",
                        verdict=view.verdict.value,
                        name=view.decision.name if view.decision.credential else "",
                        reasons=view.decision.reason_codes,
                        note="not yet in the log",
                        visit_id=visit.id,
                        temperature_c=visit.temperature_c,
                        mask=visit.mask,
                        reason_params=tuple(r.params for r in view.decision.reasons),
                    )
                )
        shown = {r.visit_id for r in rows}
        found: list[tuple[Entry, VisitRecord, int]] = []
        for scan in self.store.recent_scans(limit):
            if len(rows) + len(found) >= limit:
                break
            if scan.id in shown:
                continue
            entries = self.store.visit_entries(scan.id)
            # the reasons a visit shows are those of its newest entry with a verdict
            source = next((e for e in reversed(entries) if e.verdict), scan)
            found.append((scan, fold_visits(entries)[0], source.seq))
        facts = self.store.reason_facts([seq for _scan, _record, seq in found])
        for scan, record, seq in found:
            rows.append(
                LogRow(
                    entry_id=scan.id,
                    at_ms=record.opened_ms,
                    kind="visit",
                    verdict=record.final_verdict,
                    name=record.name,
                    reasons=record.reasons,
                    note=record.guard_note,
                    visit_id=scan.id,
                    temperature_c=record.temperature_c,
                    mask=record.mask,
                    reason_params=params_by_reason(record.reasons, facts.get(seq, ())),
                )
            )
        return rows[:limit]

    def search(self, text: str, limit: int = 200) -> list[LogRow]:
        """Entries whose fields hold ``text``, or whose reasons are described by it."""
        found = {e.seq: e for e in self.store.search(text, limit)}
        for code in codes_matching(text):
            for e in self.store.search(code, limit):
                found.setdefault(e.seq, e)
        newest_first = sorted(found.values(), key=lambda e: e.seq, reverse=True)[:limit]
        facts = self.store.reason_facts([e.seq for e in newest_first])
        return [log_row(e, facts.get(e.seq, ())) for e in newest_first]

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
            shown = "; ".join(x for x in (s.last_error, s.notes) if x)
            sync = SyncStatus(True, s.online, s.last_success_ms, self._backlog(), shown)
            warning, skew = s.clock_warning, s.clock_skew_s
        else:
            sync = SyncStatus(False, False, None, self._backlog(), "sync is off")
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
        camera = dataclasses.replace(
            camera, paused=self._paused.is_set(), scanner_only=self._frames is None
        )
        try:
            newest = self.store.newest_at_ms()
        except Exception:
            newest = None
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
            counters=self._counters_now(now, ctx.policy),
            log=LogStatus(fault=self._log_fault, held=self._held),
        )

    def _backlog(self) -> int:
        """Entries waiting to be sent: the log's outbox, plus those not yet in the log."""
        try:
            self._last_backlog = self.store.backlog()
        except Exception:
            log.debug("backlog unreadable; showing the last count", exc_info=True)
        return self._last_backlog + self._held

    def _counters_now(self, now: float, policy: Policy) -> Counters:
        """Today's visits by final verdict, from the log; the last known counts if it fails."""
        day = local_date(int(now), policy)
        offset = policy.site.utc_offset_hours * 3600
        midnight = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp() - offset
        try:
            counts = self.store.visit_counts_since(int(midnight * 1000))
        except Exception:
            return self._counters
        self._counters = Counters(
            visits=counts["visits"],
            allowed=counts["ALLOW"],
            denied=counts["DENY"],
            waiting=counts["waiting"],
            overruled=counts["overruled"],
            left=counts["left"],
        )
        return self._counters
