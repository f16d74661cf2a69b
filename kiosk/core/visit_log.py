"""Entries -> visits: one row per person from the log's scans, readings and overrules.

The log keeps events (a scan, a temperature, a mask check, an approval, a
timeout), each linked to its visit: a scan's id is the visit's id and every
other entry names it in ``refers_to``.  Each entry carries the visit's verdict
after it, so a visit's final verdict is the verdict of its last entry.  This
module folds a stream of entries into ``VisitRecord`` rows for exports,
reports and the server's counts.

Logs written before visits existed hold observations with an empty verdict:
for them the final verdict is the last non-empty one (the scan's, or an
override's), which is what those logs meant.  Pure: no clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kiosk.core.entry import Entry, EntryKind

VISIT_FIELDS = (
    "visit_id",
    "kiosk_id",
    "opened_ms",
    "last_ms",
    "name",
    "holder_key",
    "colour",
    "code_verdict",
    "final_verdict",
    "reasons",
    "temperature_c",
    "mask",
    "decided_by",
    "guard_note",
    "entries",
)
"""Every field of ``VisitRecord``, in declaration order (the CSV columns)."""


class DecidedBy:
    """Who gave a visit its final verdict."""

    KIOSK = "kiosk"
    GUARD = "guard"
    NOBODY = "nobody"
    """Left without a decision: it waited for the guard past the review timeout."""
    WAITING = "waiting"
    """Still waiting for the guard when the log was read."""


@dataclass(frozen=True, slots=True)
class VisitRecord:
    """One person at the gate, as the log holds it."""

    visit_id: str
    kiosk_id: str
    opened_ms: int
    last_ms: int
    name: str
    holder_key: str
    colour: str
    code_verdict: str
    """The verdict the code got when it was scanned, before readings and overrules."""
    final_verdict: str
    reasons: tuple[str, ...]
    temperature_c: float | None
    mask: bool | None
    decided_by: str
    guard_note: str
    entries: int


@dataclass(slots=True)
class _Folding:
    scan: Entry | None
    last: Entry
    final_verdict: str
    reasons: tuple[str, ...]
    temperature_c: float | None = None
    mask: bool | None = None
    override: Entry | None = None
    left: bool = False
    count: int = 0


def _visit_id(entry: Entry) -> str:
    return entry.id if entry.kind is EntryKind.SCAN else (entry.refers_to or entry.id)


def _fold(f: _Folding, e: Entry) -> None:
    f.last = e
    f.count += 1
    if e.verdict:
        f.final_verdict = e.verdict
        f.reasons = e.reasons
    if e.temperature_c is not None:
        f.temperature_c = e.temperature_c
    if e.mask is not None:
        f.mask = e.mask
    if e.kind is EntryKind.OVERRIDE:
        f.override = e
    if e.kind is EntryKind.LEFT:
        f.left = True


def _record(visit_id: str, f: _Folding) -> VisitRecord:
    first = f.scan or f.last
    if f.left:
        decided_by = DecidedBy.NOBODY
    elif f.override is not None and f.final_verdict == f.override.verdict:
        decided_by = DecidedBy.GUARD
    elif f.final_verdict == "REVIEW":
        decided_by = DecidedBy.WAITING
    else:
        decided_by = DecidedBy.KIOSK
    return VisitRecord(
        visit_id=visit_id,
        kiosk_id=first.kiosk_id,
        opened_ms=first.at_ms,
        last_ms=f.last.at_ms,
        name=first.name or f.last.name,
        holder_key=first.holder_key or f.last.holder_key,
        colour=first.colour,
        code_verdict=f.scan.verdict if f.scan is not None else "",
        final_verdict=f.final_verdict,
        reasons=f.reasons,
        temperature_c=f.temperature_c,
        mask=f.mask,
        decided_by=decided_by,
        guard_note=f.override.note if f.override is not None else "",
        entries=f.count,
    )


def fold_visits(entries: Iterable[Entry]) -> list[VisitRecord]:
    """Visits in the order they were opened, from entries in log order.

    An entry whose visit's scan is not among ``entries`` (purged, or before
    ``--since``) still makes a visit of its own, so nothing read is dropped.
    """
    visits: dict[str, _Folding] = {}
    for e in entries:
        key = _visit_id(e)
        f = visits.get(key)
        if f is None:
            f = visits[key] = _Folding(
                scan=e if e.kind is EntryKind.SCAN else None,
                last=e,
                final_verdict="",
                reasons=(),
            )
        _fold(f, e)
    return [_record(key, f) for key, f in visits.items()]
