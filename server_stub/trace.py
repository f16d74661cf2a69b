"""Source tracing for the health authority: where a positive case was, and who was there.

The authority has what the issuer has: the issuer's name and the holder id of
the person who tested positive.  Entries hold only a salted holder key
(``kiosk.core.holder``), different in each deployment, so the server computes
the key with each deployment's salt (registered with the kiosks at
enrolment, kept in the server's database, never sent anywhere), finds the
case's visits in that deployment's kiosks, and lists for each visit the
holders scanned at the same site within ±``window_min`` minutes: as holder
keys with how many visits each had in that window, and the masked name only
where the log holds one.  The holders' identities stay behind their keys:
turning a key back into a person takes the issuer, for each contact the
authority decides to pursue.

A visit is a scan (its id is the visit's id); its final verdict is the
verdict of its last entry (``kiosk.core.visit_log``).  A kiosk registered
without a salt is listed in ``kiosks_without_salt``: its visits cannot be
traced, and the answer says so rather than pretending they are not there.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from typing import Any

from kiosk.core.entry import entry_from_wire
from kiosk.core.holder import holder_key
from kiosk.core.visit_log import fold_visits
from server_stub.store_port import Store

MINUTE_MS = 60_000


@dataclass(frozen=True)
class Contact:
    holder_key: str
    visits: int
    """Visits of this holder at the site within the window of the case's visit."""
    names: tuple[str, ...]
    """The masked names the log holds for this holder there (often none)."""


@dataclass(frozen=True)
class CaseVisit:
    visit_id: str
    site: str
    kiosk_id: str
    at_ms: int
    final_verdict: str
    contacts: tuple[Contact, ...]


@dataclass(frozen=True)
class Trace:
    issuer: str
    start_ms: int
    end_ms: int
    window_min: int
    visits: tuple[CaseVisit, ...]
    kiosks_without_salt: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _final_verdicts(store: Store, visit_ids: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for visit_id in visit_ids:
        rows = store.visit_rows(visit_id)
        entries = [
            entry_from_wire({**json.loads(b), "prev_hash": p, "hash": h}) for b, p, h in rows
        ]
        for v in fold_visits(entries):
            if v.visit_id == visit_id:
                out[visit_id] = v.final_verdict
    return out


def trace(
    store: Store,
    *,
    issuer: str,
    holder_id: bytes,
    start_ms: int,
    end_ms: int,
    window_min: int = 15,
) -> Trace:
    """The case's visits in [start_ms, end_ms) at every deployment, with the co-present holders."""
    deployments: dict[bytes, list[tuple[str, str]]] = defaultdict(list)
    site_of: dict[str, str] = {}
    unsalted: list[str] = []
    for kiosk_id, site, salt in store.deployments():
        site_of[kiosk_id] = site or kiosk_id
        if salt is None:
            unsalted.append(kiosk_id)
        else:
            deployments[salt].append((kiosk_id, site or kiosk_id))
    window_ms = window_min * MINUTE_MS
    found: list[tuple[str, str, int, str]] = []  # visit id, kiosk, at, holder key
    for salt, kiosks in deployments.items():
        key = holder_key(salt, issuer, holder_id)
        rows = store.holder_scans(key, [k for k, _ in kiosks], start_ms, end_ms)
        found.extend((r[0], r[1], r[2], key) for r in rows)
    found.sort(key=lambda f: (f[2], f[1]))
    verdicts = _final_verdicts(store, [f[0] for f in found])
    kiosks_at: dict[str, list[str]] = defaultdict(list)
    for kiosk_id, site in site_of.items():
        kiosks_at[site].append(kiosk_id)
    visits: list[CaseVisit] = []
    for visit_id, kiosk_id, at_ms, key in found:
        site = site_of[kiosk_id]
        near = store.scans_near(kiosks_at[site], at_ms - window_ms, at_ms + window_ms, key)
        counts: Counter[str] = Counter()
        names: dict[str, set[str]] = defaultdict(set)
        for other, name in near:
            counts[other] += 1
            if name:
                names[other].add(name)
        contacts = tuple(Contact(k, n, tuple(sorted(names[k]))) for k, n in sorted(counts.items()))
        visits.append(
            CaseVisit(visit_id, site, kiosk_id, at_ms, verdicts.get(visit_id, ""), contacts)
        )
    return Trace(
        issuer=issuer,
        start_ms=start_ms,
        end_ms=end_ms,
        window_min=window_min,
        visits=tuple(visits),
        kiosks_without_salt=tuple(sorted(unsalted)),
    )
