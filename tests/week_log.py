"""A generated week at one site: several kiosks' real logs, and the script they were made from.

``plan_week`` writes down, visit by visit, what happens at the gates: which
kiosk, when, who (a holder id and a masked name), what kind of visit (see
``KINDS``) and whether the temperature and the mask were taken.
``write_logs`` then writes it into real SQLite logs through
``EntryStore.record(EntryDraft(...))`` with the times of the script, and
acknowledges every entry one second after it was written, except on the
offline afternoon (``OFFLINE``), whose entries wait until the kiosk is back.
Each log also holds the kiosk's sync attempts, every five minutes all week, failing
through the offline afternoon only.

Tests count their expectations from the plan (plain loops over ``PlannedVisit``),
never through the report code.
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from kiosk.adapters.store import EntryStore
from kiosk.core.entry import EntryDraft, EntryKind, new_entry_id
from kiosk.core.holder import holder_key

UTC_OFFSET_MIN = 8 * 60
SITE_TZ = dt.timezone(dt.timedelta(minutes=UTC_OFFSET_MIN))
FIRST_DAY = dt.date(2026, 11, 23)
DAYS = 7
KIOSKS = ("gate-n", "gate-s", "gate-e")
ISSUER = "CN-HC"
SALT = b"week-test-salt-0123456789abcdef"

OFFLINE = ("gate-s", dt.date(2026, 11, 25), dt.time(13, 0), dt.time(17, 0))
"""gate-s lost the network that afternoon: nothing it wrote from 13:00 was acknowledged
until it came back at 17:00, when the whole backlog was acknowledged at once."""
OFFLINE_ACK_DELAY_MS = 0

SLOT_MS = 60_000
"""Each kiosk opens at most one visit a minute: the scan at the start of a minute plus
0-9 s, its other entries 15 s, 30 s and 40 s later, so no two entries of one kiosk ever
fall within the one-second acknowledgement delay of each other."""


@dataclass(frozen=True)
class Kind:
    """What happens in a visit of this kind, entry by entry, and what it must count as."""

    name: str
    scan: tuple[str, tuple[str, ...]]
    """(verdict, reasons) of the scan."""
    after_readings: tuple[str, tuple[str, ...]] | None
    """(verdict, reasons) the visit has after its readings (None: unchanged)."""
    override: tuple[str, str] | None
    """(verdict, note) of a guard's overrule, if any."""
    left: bool
    outcome: str
    denial_codes: tuple[str, ...]
    review_codes: tuple[str, ...]
    overrule: tuple[str, str, tuple[str, ...]] | None
    """(before, after, the kiosk's reasons overruled) expected."""
    fever: bool = False


KINDS = {
    k.name: k
    for k in (
        Kind("allow", ("ALLOW", ()), None, None, False, "ALLOW", (), (), None),
        Kind(
            "red", ("DENY", ("COLOUR_NOT_ALLOWED",)), None, None, False, "DENY",
            ("COLOUR_NOT_ALLOWED",), (), None,
        ),
        Kind(
            "fever", ("REVIEW", ("TEMPERATURE_NEEDED",)), ("DENY", ("TEMPERATURE_HIGH",)),
            None, False, "DENY", ("TEMPERATURE_HIGH",), ("TEMPERATURE_NEEDED",), None, fever=True,
        ),
        Kind(
            "yellow-approved", ("REVIEW", ("COLOUR_REVIEW",)), None,
            ("ALLOW", "known staff member"), False, "ALLOW", (), ("COLOUR_REVIEW",),
            ("REVIEW", "ALLOW", ("COLOUR_REVIEW",)),
        ),
        Kind(
            "nat-overruled", ("DENY", ("NAT_TOO_OLD", "VAC_MISSING")), None,
            ("ALLOW", "paper test result shown"), False, "ALLOW", (), (),
            ("DENY", "ALLOW", ("NAT_TOO_OLD", "VAC_MISSING")),
        ),
        Kind(
            "guard-denied", ("ALLOW", ()), None, ("DENY", "refused to wear a mask"), False,
            "DENY", ("GUARD_DENIED",), (), ("ALLOW", "DENY", ()),
        ),
        Kind(
            "left", ("REVIEW", ("MASK_NEEDED",)), None, None, True, "LEFT", (),
            ("MASK_NEEDED",), None,
        ),
        Kind(
            "waiting", ("REVIEW", ("PASSBACK",)), None, None, False, "WAITING", (),
            ("PASSBACK",), None,
        ),
    )
}  # fmt: skip

WEIGHTS = {
    "allow": 60,
    "red": 4,
    "fever": 3,
    "yellow-approved": 6,
    "nat-overruled": 3,
    "guard-denied": 2,
    "left": 3,
    "waiting": 1,
}


@dataclass(frozen=True)
class PlannedVisit:
    kiosk: str
    at_ms: int
    kind: str
    holder_id: bytes
    name: str
    temperature: bool
    mask: bool

    @property
    def spec(self) -> Kind:
        return KINDS[self.kind]

    @property
    def holder_key(self) -> str:
        return holder_key(SALT, ISSUER, self.holder_id)

    @property
    def local(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.at_ms / 1000, SITE_TZ)


def local_ms(day: dt.date, at: dt.time) -> int:
    return int(dt.datetime.combine(day, at, SITE_TZ).timestamp() * 1000)


def plan_week(seed: int = 16, *, per_kiosk_day: int = 24, holders: int = 120) -> list[PlannedVisit]:
    """Visits of ``DAYS`` days at ``KIOSKS``, opening hours 07:00-21:00, plus two planted ones:
    a visit at 23:59:50 whose readings and overrule come after midnight, and a visit at
    each day's 00:00:00, so a day's edges are both tested."""
    rnd = random.Random(seed)
    people = [(rnd.randbytes(16), f"P{i:03d}*") for i in range(holders)]
    kinds = list(WEIGHTS)
    weights = [WEIGHTS[k] for k in kinds]
    out: list[PlannedVisit] = []
    for d in range(DAYS):
        day = FIRST_DAY + dt.timedelta(days=d)
        for kiosk in KIOSKS:
            minutes = rnd.sample(range(7 * 60, 21 * 60), per_kiosk_day)
            minutes += [0]
            if d == 2:
                minutes.append(23 * 60 + 59)
            for m in sorted(minutes):
                at = local_ms(day, dt.time(m // 60, m % 60)) + rnd.randrange(0, 9_000)
                if m == 0:
                    at = local_ms(day, dt.time(0, 0))
                if m == 23 * 60 + 59:
                    kind = "yellow-approved"
                    at = local_ms(day, dt.time(23, 59, 50))
                else:
                    kind = rnd.choices(kinds, weights)[0]
                holder, name = rnd.choice(people)
                out.append(
                    PlannedVisit(
                        kiosk, at, kind, holder, name,
                        temperature=KINDS[kind].fever or rnd.random() < 0.85,
                        mask=rnd.random() < 0.9,
                    )
                )  # fmt: skip
    # the offline afternoon must hold visits: make sure of a few
    day, start, _ = OFFLINE[1], OFFLINE[2], OFFLINE[3]
    for i, m in enumerate((13 * 60 + 1, 14 * 60 + 31, 16 * 60 + 58)):
        at = local_ms(day, dt.time(m // 60, m % 60))
        if any(v.kiosk == OFFLINE[0] and abs(v.at_ms - at) < SLOT_MS for v in out):
            continue
        out.append(PlannedVisit(OFFLINE[0], at, "allow", people[i][0], people[i][1], True, True))
    del start
    return sorted(out, key=lambda v: (v.kiosk, v.at_ms))


def offline_window() -> tuple[str, int, int]:
    kiosk, day, start, end = OFFLINE
    return kiosk, local_ms(day, start), local_ms(day, end)


def ack_ms(kiosk: str, at_ms: int) -> int:
    """When the server acknowledged an entry of ``kiosk`` written at ``at_ms``."""
    off_kiosk, start, end = offline_window()
    if kiosk == off_kiosk and start <= at_ms < end:
        return end + OFFLINE_ACK_DELAY_MS
    return at_ms + 1000


def _drafts(v: PlannedVisit, rnd: random.Random) -> Iterable[EntryDraft]:
    spec = v.spec
    visit_id = new_entry_id(v.at_ms, rnd.randbytes(10))
    verdict, reasons = spec.scan
    yield EntryDraft(
        id=visit_id, at_ms=v.at_ms, kind=EntryKind.SCAN, verdict=verdict, reasons=reasons,
        colour="G", name=v.name, holder_key=v.holder_key,
    )  # fmt: skip
    if v.temperature or v.mask:
        if spec.after_readings is not None:
            verdict, reasons = spec.after_readings
        at = v.at_ms + 15_000
        yield EntryDraft(
            id=new_entry_id(at, rnd.randbytes(10)), at_ms=at, kind=EntryKind.OBSERVATION,
            verdict=verdict, reasons=reasons, refers_to=visit_id,
            temperature_c=(38.6 if spec.fever else 36.6) if v.temperature else None,
            mask=True if v.mask else None,
        )  # fmt: skip
    if spec.override is not None:
        at = v.at_ms + 30_000
        o_verdict, note = spec.override
        code = "GUARD_APPROVED" if o_verdict == "ALLOW" else "GUARD_DENIED"
        yield EntryDraft(
            id=new_entry_id(at, rnd.randbytes(10)), at_ms=at, kind=EntryKind.OVERRIDE,
            verdict=o_verdict, reasons=(code,), refers_to=visit_id, note=note,
        )  # fmt: skip
    if spec.left:
        at = v.at_ms + 40_000
        yield EntryDraft(
            id=new_entry_id(at, rnd.randbytes(10)), at_ms=at, kind=EntryKind.LEFT,
            verdict=verdict, reasons=(*reasons, "LEFT_WITHOUT_DECISION"), refers_to=visit_id,
        )  # fmt: skip


def log_path(folder: Path, kiosk: str) -> Path:
    return folder / kiosk / "var" / "entries.sqlite"


def write_logs(folder: Path, plan: list[PlannedVisit], seed: int = 7) -> dict[str, Path]:
    """One real log per kiosk (``folder/KIOSK/var/entries.sqlite``, with a ``kiosk.toml``
    beside ``var``), every entry acknowledged as ``ack_ms`` says."""
    rnd = random.Random(seed)
    paths: dict[str, Path] = {}
    for kiosk in KIOSKS:
        path = log_path(folder, kiosk)
        path.parent.mkdir(parents=True, exist_ok=True)
        (folder / kiosk / "kiosk.toml").write_text(
            f'kiosk_id = "{kiosk}"\nsite = "Week test site"\ndata_dir = "var"\n'
        )
        acks: dict[int, list[str]] = {}
        with EntryStore(path, kiosk_id=kiosk) as store:
            for v in plan:
                if v.kiosk != kiosk:
                    continue
                for draft in _drafts(v, rnd):
                    entry = store.record(draft)
                    acks.setdefault(ack_ms(kiosk, entry.at_ms), []).append(entry.id)
            for n, (at, ids) in enumerate(sorted(acks.items())):
                store.mark_sent(ids, batch_id=f"b{n}", acked_at_ms=at)
        _log_attempts(path, kiosk)
        paths[kiosk] = path
    return paths


ATTEMPT_EVERY_MS = 5 * 60_000
"""The kiosks' sync rounds in the generated week: every five minutes, day and night."""


def _log_attempts(path: Path, kiosk: str) -> None:
    """The week's sync attempts, every ``ATTEMPT_EVERY_MS`` from the first day's midnight:
    all reached the server but those of the offline afternoon (``OFFLINE``).  Written in one
    transaction straight into the log's table (``EntryStore.record_sync_attempt`` is tested
    on its own; a durable write per attempt would cost seconds here)."""
    off_kiosk, day, start, end = OFFLINE
    off = (local_ms(day, start), local_ms(day, end)) if kiosk == off_kiosk else (0, 0)
    first = local_ms(FIRST_DAY, dt.time(0, 0))
    rows = [
        (at, int(not off[0] <= at < off[1]), "")
        for at in range(first, first + DAYS * 86_400_000, ATTEMPT_EVERY_MS)
    ]
    conn = sqlite3.connect(str(path), isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO sync_attempts (at_ms, ok, detail) VALUES (?, ?, ?)", rows)
        conn.execute("COMMIT")
    finally:
        conn.close()
