"""What both server stores decide the same way, on rows they have read.

SQLite (``storage``) and PostgreSQL (``pg_store``) differ in how they lock and
query; the rules a batch must pass, the answer it gets and the reading of a
kiosk's chain are one piece of code here, so the two stores cannot drift apart.
Pure: no database, no clock.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from kiosk.core.entry import GENESIS_HASH, Entry
from server_stub.store_port import (
    ChainBreakError,
    ChainCheck,
    ConflictError,
    KioskStats,
    SeqConflictError,
)


def check_held(entries: Sequence[Entry], held: Mapping[str, tuple[str, str]]) -> None:
    """An entry id already stored (id -> (hash, kiosk id)) must be the same entry."""
    for entry in entries:
        seen = held.get(entry.id)
        if seen is not None and seen != (entry.hash, entry.kiosk_id):
            raise ConflictError(f"entry {entry.id} is already stored with different contents")


def neighbour_range(new: Sequence[Entry]) -> tuple[int, int]:
    """The seqs to read around the new entries (one before the lowest, one after the highest)."""
    return min(e.seq for e in new) - 1, max(e.seq for e in new) + 1


def check_neighbours(
    kiosk_id: str, new: Sequence[Entry], around: Mapping[int, tuple[str, str]]
) -> None:
    """New entries take no seq already held, and link to the held entries around them
    (``around``: seq -> (prev_hash, hash) of the held entries in ``neighbour_range``)."""
    for e in new:
        same = around.get(e.seq)
        if same is not None:
            raise SeqConflictError(kiosk_id, e.seq, same[1], e.hash)
        before = around.get(e.seq - 1)
        if before is not None and before[1] != e.prev_hash:
            raise ChainBreakError(
                f"seq {e.seq} does not link to seq {e.seq - 1} that the server holds"
            )
        after = around.get(e.seq + 1)
        if after is not None and after[0] != e.hash:
            raise ChainBreakError(
                f"seq {e.seq + 1} that the server holds does not link to seq {e.seq}"
            )


def batch_response(
    batch_id: str,
    entries: Sequence[Entry],
    stored: int,
    now_ms: int,
    head: tuple[int, str] | None,
) -> dict[str, Any]:
    """The answer kept with a batch (and given again to a retry of it)."""
    return {
        "batch_id": batch_id,
        "accepted": [e.id for e in entries],
        "stored": stored,
        "duplicates": len(entries) - stored,
        "server_time_ms": now_ms,
        "head": None if head is None else {"seq": head[0], "hash": head[1]},
    }


def heads_of(responses: Iterable[str]) -> list[tuple[int, str]]:
    """(seq, hash) of each acknowledged batch's last entry, from the kept answers, by seq."""
    heads = {}
    for response in responses:
        head = json.loads(response).get("head")
        if head:
            heads[int(head["seq"])] = str(head["hash"])
    return sorted(heads.items())


def chain_check(kiosk_id: str, rows: Sequence[tuple[int, str, str]]) -> ChainCheck:
    """Is the kiosk's log held complete from seq 1 (rows: seq, prev_hash, hash by seq)?"""
    prev = GENESIS_HASH
    for expected, (seq, prev_hash, h) in enumerate(rows, start=1):
        if seq != expected:
            return ChainCheck(kiosk_id, len(rows), False, f"seq {expected} is missing")
        if prev_hash != prev:
            return ChainCheck(
                kiosk_id, len(rows), False, f"seq {seq} does not link to seq {seq - 1}"
            )
        prev = h
    return ChainCheck(kiosk_id, len(rows), True, f"{len(rows)} entries, chain intact")


def kiosk_stats(
    known: Iterable[str],
    per_kiosk: Iterable[Sequence[Any]],
    batches: Mapping[str, int],
    verdicts: Iterable[Sequence[Any]],
) -> list[KioskStats]:
    """Entries per kiosk, by kiosk id, from the grouped rows (kiosk, count, min seq, max seq,
    newest at_ms) and (kiosk, verdict, count); a registered kiosk with none gets zeros."""
    counted: dict[str, dict[str, int]] = {}
    for kiosk_id, verdict, n in verdicts:
        counted.setdefault(kiosk_id, {})[verdict or "-"] = int(n)
    out = {
        r[0]: KioskStats(r[0], int(r[1]), batches.get(r[0], 0), r[2], r[3], r[4], counted[r[0]])
        for r in per_kiosk
    }
    for kiosk_id in set(known) - out.keys():
        out[kiosk_id] = KioskStats(kiosk_id, 0, batches.get(kiosk_id, 0), None, None, None, {})
    return [out[k] for k in sorted(out)]
