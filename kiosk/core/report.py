"""The supervisor's report: what one or more kiosk logs say about a day (or a range).

The district asks for "three 100 %": every person's code checked, temperature
measured and mask checked.  This module turns entries (and the visits they
fold into, ``kiosk.core.visit_log``) into the numbers a supervisor or an
inspector reads: visits by final outcome, the three checks as shares of the
visits (the code is 100 % by construction: a visit is opened by a scan), by
hour of the site's day, denials and reviews by reason, the guard's overrules
by direction and by the kiosk's reasons they overruled, and visits left
without a decision.

A visit belongs to the window when its scan is in it (site-local time, from
the UTC offset passed in).  Entries after the window that belong to a visit
opened in it (an overrule a minute after midnight) count for that visit;
entries whose scan is not among those given (purged, or read from too late)
make no visit here.

Sync: from when each entry was written and when the server acknowledged it,
``sync_summary`` derives the longest backlog (entries written and not yet
acknowledged at one moment) and the time the kiosk was *behind*: some entry
waited longer than ``lag_ms`` for its acknowledgement (purged entries take
their times with them).  The kiosk also logs its sync attempts (each change
of outcome, and at least one a minute while it stays the same:
``EntryStore.record_sync_attempt``), so ``offline_summary`` gives the time
*offline* even when nobody came: from a failed attempt to the next one that
reached the server, and any stretch longer than ``gap_ms`` with no attempt
logged at all (the kiosk was off, or its sync stopped).  Before the first
logged attempt (an older log) nothing is known, and the report says so.

Pure: no clock, no I/O; times are epoch milliseconds passed in.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kiosk.core.entry import Entry, EntryKind
from kiosk.core.errors import ReasonCode
from kiosk.core.reason_words import REASON_WORDS
from kiosk.core.visit_log import DecidedBy, VisitRecord, fold_visits

OUTCOMES = ("ALLOW", "DENY", "WAITING", "LEFT")
"""A visit's final outcome: allowed, denied, still waiting for the guard, left undecided."""

OUTCOME_WORDS = {
    "ALLOW": "allowed",
    "DENY": "denied",
    "WAITING": "waiting for the guard",
    "LEFT": "left without a decision",
}

HOUR_MS = 3_600_000
MINUTE_MS = 60_000
DAY_MS = 24 * HOUR_MS

DEFAULT_LAG_MS = 10 * MINUTE_MS
"""An entry unacknowledged for longer than this makes the kiosk count as behind."""


def reason_words(code: str) -> str:
    """The words people read for a reason code (the one place to swap for a translation)."""
    try:
        return REASON_WORDS[ReasonCode(code)]
    except ValueError:
        return code


def outcome(visit: VisitRecord) -> str:
    """One of ``OUTCOMES`` for a visit (a visit with no verdict at all counts as waiting)."""
    if visit.decided_by == DecidedBy.NOBODY:
        return "LEFT"
    if visit.final_verdict in ("ALLOW", "DENY"):
        return visit.final_verdict
    return "WAITING"


def day_window(day: dt.date, utc_offset_min: int) -> tuple[int, int]:
    """[start, end) in epoch ms of a site-local calendar day."""
    tz = dt.timezone(dt.timedelta(minutes=utc_offset_min))
    start = dt.datetime(day.year, day.month, day.day, tzinfo=tz)
    start_ms = int(start.timestamp() * 1000)
    return start_ms, start_ms + DAY_MS


def local_hour(at_ms: int, utc_offset_min: int) -> int:
    """The site-local hour of day (0-23) of an epoch-ms time."""
    return ((at_ms + utc_offset_min * MINUTE_MS) // HOUR_MS) % 24


@dataclass(frozen=True, slots=True)
class HourRow:
    """One hour of the site's day (summed over every day of a range)."""

    hour: int
    visits: int
    outcomes: Mapping[str, int]
    temperature: int
    mask: int


@dataclass(frozen=True, slots=True)
class ReasonCount:
    code: str
    words: str
    count: int


@dataclass(frozen=True, slots=True)
class OverruleCount:
    """Guard overrules from ``before`` to ``after``, by a reason the kiosk had."""

    before: str
    after: str
    code: str
    """A reason the kiosk gave before the guard overruled it; "" when it gave none."""
    words: str
    count: int

    @property
    def direction(self) -> str:
        return f"{self.before}->{self.after}"


@dataclass(frozen=True, slots=True)
class SyncSummary:
    """What the acknowledgement times tell about sync (see the module docstring)."""

    entries: int
    """Entries written in the window."""
    longest_backlog: int
    longest_backlog_at_ms: int | None
    behind_ms: int
    behind_spans: tuple[tuple[int, int], ...]
    unacknowledged: int
    """Entries written in the window and still not acknowledged when the log was read."""
    offline_ms: int | None = None
    """Time offline in the window, from the logged sync attempts; None: none logged."""
    offline_spans: tuple[tuple[int, int], ...] = ()
    known_from_ms: int | None = None
    """The first logged attempt (nothing is known of the time before it)."""


@dataclass(frozen=True, slots=True)
class Report:
    start_ms: int
    end_ms: int
    utc_offset_min: int
    kiosks: tuple[str, ...]
    visits: int
    outcomes: Mapping[str, int]
    code_checked: int
    temperature: int
    mask: int
    hours: tuple[HourRow, ...]
    denials: tuple[ReasonCount, ...]
    reviews: tuple[ReasonCount, ...]
    overrules: tuple[OverruleCount, ...]
    overrule_total: int
    per_kiosk: Mapping[str, Mapping[str, int]]
    sync: Mapping[str, SyncSummary] | None = None
    """Per kiosk, when acknowledgement times were given."""

    @property
    def left(self) -> int:
        return self.outcomes.get("LEFT", 0)


def share(part: int, whole: int) -> float:
    """``part`` as a percentage of ``whole`` (100 % of nothing is 100 %: nothing was missed)."""
    return 100.0 if whole == 0 else 100.0 * part / whole


def _counts(counter: Counter[str]) -> tuple[ReasonCount, ...]:
    rows = [ReasonCount(c, reason_words(c), n) for c, n in counter.items()]
    return tuple(sorted(rows, key=lambda r: (-r.count, r.code)))


def build_report(
    entries: Iterable[Entry],
    *,
    start_ms: int,
    end_ms: int,
    utc_offset_min: int,
    acks: Mapping[str, Sequence[tuple[int, int | None]]] | None = None,
    read_ms: int | None = None,
    lag_ms: int = DEFAULT_LAG_MS,
    attempts: Mapping[str, Sequence[tuple[int, bool]]] | None = None,
) -> Report:
    """The report for visits opened in [start_ms, end_ms).

    ``acks``: per kiosk, (written at, acknowledged at or None) of each entry,
    when the log holds them; ``read_ms`` is when the log was read (an entry not acknowledged
    by then is counted as waiting until then).
    """
    by_visit: dict[str, list[Entry]] = {}
    for e in entries:
        key = e.id if e.kind is EntryKind.SCAN else (e.refers_to or e.id)
        by_visit.setdefault(key, []).append(e)
    chosen: list[tuple[VisitRecord, list[Entry]]] = []
    for group in by_visit.values():
        if group[0].kind is not EntryKind.SCAN or not start_ms <= group[0].at_ms < end_ms:
            continue
        (visit,) = fold_visits(group)
        chosen.append((visit, group))

    outcomes: Counter[str] = Counter()
    per_kiosk: dict[str, Counter[str]] = {}
    hour_visits: Counter[int] = Counter()
    hour_outcomes: dict[int, Counter[str]] = {h: Counter() for h in range(24)}
    hour_temp: Counter[int] = Counter()
    hour_mask: Counter[int] = Counter()
    denials: Counter[str] = Counter()
    reviews: Counter[str] = Counter()
    overrules: Counter[tuple[str, str, str]] = Counter()
    overrule_total = 0
    temperature = mask = 0
    for visit, group in chosen:
        o = outcome(visit)
        outcomes[o] += 1
        per_kiosk.setdefault(visit.kiosk_id, Counter())[o] += 1
        h = local_hour(visit.opened_ms, utc_offset_min)
        hour_visits[h] += 1
        hour_outcomes[h][o] += 1
        if visit.temperature_c is not None:
            temperature += 1
            hour_temp[h] += 1
        if visit.mask is not None:
            mask += 1
            hour_mask[h] += 1
        if o == "DENY":
            denials.update(set(visit.reasons))
        before = ""
        before_reasons: tuple[str, ...] = ()
        reviewed = False
        for e in group:
            if e.kind is EntryKind.OVERRIDE and e.verdict:
                overrule_total += 1
                for code in before_reasons or ("",):
                    overrules[(before or "-", e.verdict, code)] += 1
            if e.verdict == "REVIEW" and not reviewed:
                reviewed = True
                reviews.update(set(e.reasons))
            if e.verdict:
                before, before_reasons = e.verdict, _kiosk_reasons(e.reasons)

    hours = tuple(
        HourRow(
            hour=h,
            visits=hour_visits[h],
            outcomes={k: hour_outcomes[h][k] for k in OUTCOMES},
            temperature=hour_temp[h],
            mask=hour_mask[h],
        )
        for h in range(24)
    )
    overrule_rows = tuple(
        sorted(
            (
                OverruleCount(b, a, c, reason_words(c) if c else "no reason given by the kiosk", n)
                for (b, a, c), n in overrules.items()
            ),
            key=lambda r: (r.before, r.after, -r.count, r.code),
        )
    )
    visits = len(chosen)
    sync = None
    if acks is not None:
        sync = {
            kiosk: sync_summary(
                rows, start_ms=start_ms, end_ms=end_ms, read_ms=read_ms or end_ms, lag_ms=lag_ms
            )
            for kiosk, rows in sorted(acks.items())
        }
        for kiosk, tried in (attempts or {}).items():
            if kiosk in sync and tried:
                offline, spans = offline_summary(
                    tried, start_ms=start_ms, end_ms=end_ms, read_ms=read_ms or end_ms
                )
                sync[kiosk] = dataclasses.replace(
                    sync[kiosk], offline_ms=offline, offline_spans=spans,
                    known_from_ms=min(at for at, _ in tried),
                )  # fmt: skip
    return Report(
        start_ms=start_ms,
        end_ms=end_ms,
        utc_offset_min=utc_offset_min,
        kiosks=tuple(sorted(per_kiosk)),
        visits=visits,
        outcomes={k: outcomes[k] for k in OUTCOMES},
        code_checked=visits,
        temperature=temperature,
        mask=mask,
        hours=hours,
        denials=_counts(denials),
        reviews=_counts(reviews),
        overrules=overrule_rows,
        overrule_total=overrule_total,
        per_kiosk={k: {o: c[o] for o in OUTCOMES} for k, c in sorted(per_kiosk.items())},
        sync=sync,
    )


_GUARD_CODES = frozenset(
    {
        ReasonCode.GUARD_APPROVED.value,
        ReasonCode.GUARD_DENIED.value,
        ReasonCode.LEFT_WITHOUT_DECISION.value,
    }
)


def _kiosk_reasons(reasons: tuple[str, ...]) -> tuple[str, ...]:
    """The reasons the kiosk gave (the guard's own and "left" are not the kiosk's)."""
    return tuple(dict.fromkeys(r for r in reasons if r not in _GUARD_CODES))


def sync_summary(
    acks: Iterable[tuple[int, int | None]],
    *,
    start_ms: int,
    end_ms: int,
    read_ms: int,
    lag_ms: int = DEFAULT_LAG_MS,
) -> SyncSummary:
    """Longest backlog and time behind inside [start_ms, end_ms) (see the module docstring)."""
    events: list[tuple[int, int]] = []
    spans: list[tuple[int, int]] = []
    written = unacked = 0
    for at, acked in acks:
        done = read_ms if acked is None else acked
        if start_ms <= at < end_ms:
            written += 1
            unacked += acked is None
        if done <= at:
            continue
        events.append((at, 1))
        events.append((done, -1))
        if done - at > lag_ms:
            lo, hi = max(at + lag_ms, start_ms), min(done, end_ms)
            if lo < hi:
                spans.append((lo, hi))
    events.sort(key=lambda ev: (ev[0], ev[1]))  # an ack at the same ms leaves before a write
    level = best = 0
    best_at: int | None = None
    i = 0
    while i < len(events):
        t = events[i][0]
        while i < len(events) and events[i][0] == t:
            level += events[i][1]
            i += 1
        if t < end_ms and level > best and (t >= start_ms or _still(events, i, start_ms)):
            best, best_at = level, max(t, start_ms)
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(spans):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return SyncSummary(
        entries=written,
        longest_backlog=best,
        longest_backlog_at_ms=best_at,
        behind_ms=sum(hi - lo for lo, hi in merged),
        behind_spans=tuple(merged),
        unacknowledged=unacked,
    )


DEFAULT_GAP_MS = 10 * 60_000
"""No sync attempt logged for longer than this: the kiosk was off or its sync stopped."""


def offline_summary(
    attempts: Iterable[tuple[int, bool]],
    *,
    start_ms: int,
    end_ms: int,
    read_ms: int,
    gap_ms: int = DEFAULT_GAP_MS,
) -> tuple[int, tuple[tuple[int, int], ...]]:
    """Time offline inside [start_ms, end_ms) and its spans, from (at, reached the server?)
    of the logged sync attempts (see the module docstring)."""
    rows = sorted(attempts)
    spans: list[tuple[int, int]] = []
    for i, (at, ok) in enumerate(rows):
        following = rows[i + 1][0] if i + 1 < len(rows) else max(read_ms, at)
        if not ok:
            lo, hi = at, following
        elif following - at > gap_ms:
            lo, hi = at + gap_ms, following
        else:
            continue
        lo, hi = max(lo, start_ms), min(hi, end_ms)
        if lo < hi:
            if spans and lo <= spans[-1][1]:
                spans[-1] = (spans[-1][0], max(spans[-1][1], hi))
            else:
                spans.append((lo, hi))
    return sum(hi - lo for lo, hi in spans), tuple(spans)


def _still(events: list[tuple[int, int]], i: int, start_ms: int) -> bool:
    """True when the level reached before ``start_ms`` lasts into the window."""
    return i >= len(events) or events[i][0] > start_ms


def iso_local(at_ms: int, utc_offset_min: int) -> str:
    """``YYYY-MM-DD HH:MM`` in the site's time."""
    tz = dt.timezone(dt.timedelta(minutes=utc_offset_min))
    return dt.datetime.fromtimestamp(at_ms / 1000, tz).strftime("%Y-%m-%d %H:%M")


def offset_text(utc_offset_min: int) -> str:
    sign = "+" if utc_offset_min >= 0 else "-"
    m = abs(utc_offset_min)
    return f"UTC{sign}{m // 60:02d}:{m % 60:02d}"


def report_to_json(r: Report) -> dict[str, Any]:
    """The report as JSON-ready data (lists and dicts; times in epoch ms)."""
    out = dataclasses.asdict(r)
    out["left"] = r.left
    out["hours"] = [dataclasses.asdict(h) for h in r.hours]
    out["overrules"] = [{**dataclasses.asdict(o), "direction": o.direction} for o in r.overrules]
    out["sync"] = None if r.sync is None else {k: dataclasses.asdict(s) for k, s in r.sync.items()}
    return out
