"""``kiosk log recover``: move a damaged entry log aside, save what can be read, start again.

Nothing is ever deleted.  The damaged file, its ``-wal``/``-shm`` files and
its head record are renamed to ``<log>.damaged-<UTC time>`` (the WAL keeps its
pairing with the database).  Every row that can still be read is written to
``<log>.damaged-<time>.jsonl`` (mode 0600), one ``Entry.to_wire()`` per line,
original hashes included.

The new log starts a chain that links to the last entry the server
acknowledged (known from the old head record or the readable outbox): the
server already has everything up to there.  Each readable entry after it is
carried over: as it was when it still links to the chain, else re-sealed
under a new id and the next seq (its original row stays in the export), so
that a sync sends every entry the server lacks exactly once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from kiosk.adapters import log_head
from kiosk.adapters.store import _SQL_INSERT, EntryStore, _entry_to_row, _row_to_entry
from kiosk.core.entry import GENESIS_HASH, Entry, new_entry_id, seal_entry

_COLUMNS = (
    "seq, id, at_ms, kiosk_id, kind, verdict, reasons, colour, certificates, name, "
    "holder_key, refers_to, temperature_c, mask, note, prev_hash, hash"
)
_SQL_ONE = f"SELECT {_COLUMNS} FROM entries WHERE seq = ?"  # noqa: S608
_SCAN_LIMIT = 10_000_000


@dataclass(frozen=True)
class Recovery:
    """What ``recover`` did."""

    moved: tuple[Path, ...]
    export: Path
    readable: int
    carried: int
    resealed: int
    linked_to: int


def _open_damaged(path: Path) -> sqlite3.Connection | None:
    for query in ("?mode=ro", "?immutable=1"):
        try:
            conn = sqlite3.connect(path.resolve().as_uri() + query, uri=True)
            conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone()
            return conn
        except sqlite3.Error:
            with contextlib.suppress(Exception):
                conn.close()
    return None


def _read_rows(conn: sqlite3.Connection, upto_hint: int) -> tuple[list[Entry], set[int]]:
    """Every readable entry, and the seqs the server acknowledged (as far as readable)."""
    top = upto_hint
    with contextlib.suppress(sqlite3.Error):
        row = conn.execute("SELECT max(seq) FROM entries").fetchone()
        if row and row[0]:
            top = max(top, int(row[0]))
    entries: list[Entry] = []
    for seq in range(1, min(top, _SCAN_LIMIT) + 1):
        try:
            row = conn.execute(_SQL_ONE, (seq,)).fetchone()
            if row is not None:
                entries.append(_row_to_entry(row))
        except (sqlite3.Error, ValueError):
            continue
    acked: set[int] = set()
    with contextlib.suppress(sqlite3.Error):
        acked = {
            int(r[0]) for r in conn.execute("SELECT seq FROM outbox WHERE sent_at_ms IS NOT NULL")
        }
    return entries, acked


def _move_aside(db_path: Path, stamp: str) -> tuple[Path, ...]:
    target = db_path.with_name(f"{db_path.name}.damaged-{stamp}")
    moved = []
    for suffix in ("", "-wal", "-shm", log_head.HEAD_SUFFIX):
        src = db_path.with_name(db_path.name + suffix)
        if src.exists() or src.is_symlink():
            dst = target.with_name(target.name + suffix)
            os.rename(src, dst)
            moved.append(dst)
    return tuple(moved)


def _write_export(path: Path, entries: list[Entry]) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        for e in entries:
            fh.write(json.dumps(e.to_wire(), ensure_ascii=False, sort_keys=True) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def _reseal(e: Entry, seq: int, prev: str) -> Entry:
    return seal_entry(
        id=new_entry_id(e.at_ms, os.urandom(10)),
        seq=seq,
        at_ms=e.at_ms,
        kiosk_id=e.kiosk_id,
        kind=e.kind,
        prev_hash=prev,
        verdict=e.verdict,
        reasons=e.reasons,
        colour=e.colour,
        certificates=e.certificates,
        name=e.name,
        holder_key=e.holder_key,
        refers_to=e.refers_to,
        temperature_c=e.temperature_c,
        mask=e.mask,
        note=(e.note + " " if e.note else "") + f"[recovered from seq {e.seq}, id {e.id}]",
    )


def recover(db_path: Path, *, kiosk_id: str, now: dt.datetime) -> Recovery:
    """Move the log at ``db_path`` aside and start a new one (see the module docstring)."""
    try:
        head = log_head.read_head(db_path)
    except log_head.LogDamaged:
        head = None
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    moved = _move_aside(db_path, stamp)
    damaged = db_path.with_name(f"{db_path.name}.damaged-{stamp}")
    entries: list[Entry] = []
    acked: set[int] = set()
    conn = _open_damaged(damaged) if damaged.exists() else None
    if conn is not None:
        try:
            entries, acked = _read_rows(conn, head.seq if head else 0)
        finally:
            conn.close()
    export = damaged.with_name(damaged.name + ".jsonl")
    _write_export(export, entries)

    link = (head.acked_seq, head.acked_hash) if head else (0, GENESIS_HASH)
    by_seq = {e.seq: e for e in entries}
    for seq in sorted(acked, reverse=True):
        if seq > link[0] and seq in by_seq:
            link = (seq, by_seq[seq].hash)
            break
    kept: list[Entry] = []
    resealed = 0
    tail_seq, tail_hash = link
    for e in entries:
        if e.seq <= link[0]:
            continue
        if e.seq == tail_seq + 1 and e.prev_hash == tail_hash and e.hash_ok:
            kept.append(e)
        else:
            kept.append(_reseal(e, tail_seq + 1, tail_hash))
            resealed += 1
        tail_seq, tail_hash = kept[-1].seq, kept[-1].hash

    store = EntryStore(db_path, kiosk_id=kiosk_id)
    store.close()
    new = sqlite3.connect(str(db_path), isolation_level=None)
    try:
        new.execute("PRAGMA synchronous = FULL")
        new.execute("BEGIN IMMEDIATE")
        for e in kept:
            # as EntryStore._append writes a row: the entry's columns, then its visit id
            new.execute(_SQL_INSERT, (*_entry_to_row(e), e.refers_to or e.id))
            new.execute("INSERT INTO outbox (seq, entry_id) VALUES (?, ?)", (e.seq, e.id))
        new.execute(
            "UPDATE meta SET value = ? WHERE key = 'chain_anchor'", (f"{link[0]} {link[1]}",)
        )
        new.execute("UPDATE meta SET value = ? WHERE key = 'head'", (f"{tail_seq} {tail_hash}",))
        new.execute("COMMIT")
    finally:
        new.close()
    # The new chain's head record: written by opening the log once more.
    EntryStore(db_path, kiosk_id=kiosk_id).close()
    return Recovery(moved, export, len(entries), len(kept), resealed, link[0])
