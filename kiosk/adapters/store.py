"""The entry log on disk: one SQLite file holding entries, the outbox and the chain.

This module owns the only thing the kiosk must never lose: the record of who
came through the door.  Every ``record_*`` call writes the entry and its
outbox row in ONE transaction and returns only after SQLite has committed it
with ``synchronous=FULL`` in WAL mode, so a power cut after the call returns
loses nothing, and a kill in the middle leaves either the whole entry or none
of it.  Text is stored exactly as given (``[bold]X[/]`` stays literal); the
core cleans control characters before it gets here, and the raw QR text never
reaches this module (a ``Decision`` carries only a salted ``holder_key``).

Tables:

- ``entries``: one row per ``Entry`` (``seq`` is the row id; ``id`` unique;
  reasons and certificates as JSON text).
- ``outbox``: one row per entry, ``sent_at_ms``/``batch_id`` set when the
  server acknowledged it; a partial index keeps the unsent ones in order.
- ``reason_facts``: the facts inside each entry's reasons (ages, areas, dates) for the
  log view; on the kiosk only, outside the entry and its hash.
- ``meta``: ``schema_version``, ``kiosk_id``, ``head`` (seq and hash of the
  newest entry, written with it, so a removed tail is noticed),
  ``chain_anchor`` (seq and hash of the newest purged entry, where
  verification starts after a purge) and ``purged_newest_at_ms``.

Threads: one connection, guarded by a lock, serves every call, so one writer
thread and one sync thread may share a store.  The long reads
(``verify_chain``, ``iter_entries``) open their own read-only connection and
read one snapshot, so they never hold up a write.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.adapters import log_head
from kiosk.core.entry import (
    GENESIS_HASH,
    Entry,
    EntryDraft,
    EntryKind,
    entry_from_wire,
    new_entry_id,
    seal_entry,
)
from kiosk.core.errors import Reason, ReasonCode
from kiosk.core.model import Decision, Verdict

SCHEMA_VERSION = 2
"""Version of the tables below; a file from a newer kiosk is refused, not guessed at.

1: entries, outbox, meta.  2: ``entries.visit_id`` (the visit an entry belongs to:
its own id for a scan, ``refers_to`` for the rest) and its index.  A version 1 log
is migrated when opened, in one transaction: the column is added and filled from
the rows themselves; no row's contents or hash change.
"""

BUSY_TIMEOUT_MS = 5000
"""How long a call waits for another process holding the file (e.g. ``kiosk log``)."""

_PAGE = 500
"""Rows read per query when walking the whole log."""

_SCHEMA = """
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE entries (
    seq           INTEGER PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    at_ms         INTEGER NOT NULL,
    kiosk_id      TEXT NOT NULL,
    kind          TEXT NOT NULL,
    verdict       TEXT NOT NULL,
    reasons       TEXT NOT NULL,
    colour        TEXT NOT NULL,
    certificates  TEXT NOT NULL,
    name          TEXT NOT NULL,
    holder_key    TEXT NOT NULL,
    refers_to     TEXT,
    temperature_c REAL,
    mask          INTEGER,
    note          TEXT NOT NULL,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL,
    visit_id      TEXT
);
CREATE INDEX entries_at_ms ON entries (at_ms);
CREATE INDEX entries_visit ON entries (visit_id);
CREATE TABLE outbox (
    seq        INTEGER PRIMARY KEY REFERENCES entries (seq),
    entry_id   TEXT NOT NULL UNIQUE REFERENCES entries (id),
    batch_id   TEXT,
    sent_at_ms INTEGER
);
CREATE INDEX outbox_unsent ON outbox (seq) WHERE sent_at_ms IS NULL;
"""

_COLUMNS = (
    "seq, id, at_ms, kiosk_id, kind, verdict, reasons, colour, certificates, name, "
    "holder_key, refers_to, temperature_c, mask, note, prev_hash, hash"
)
_E_COLUMNS = ", ".join(f"e.{c.strip()}" for c in _COLUMNS.split(","))
_SEARCH_FIELDS = ("name", "id", "holder_key", "verdict", "reasons", "note", "refers_to")

# The SQL below is built only from the constants above; every value is bound with "?".
_SQL_INSERT = f"INSERT INTO entries ({_COLUMNS}, visit_id) VALUES ({', '.join('?' * 18)})"  # noqa: S608
_SQL_VISIT = f"SELECT {_COLUMNS} FROM entries WHERE visit_id = ? ORDER BY seq"  # noqa: S608
_SQL_BY_ID = f"SELECT {_COLUMNS} FROM entries WHERE id = ?"  # noqa: S608
_SQL_RECENT_SCANS = f"SELECT {_COLUMNS} FROM entries WHERE kind = 'scan' ORDER BY seq DESC LIMIT ?"  # noqa: S608
# Each visit opened since ?: the verdict of its newest entry with a verdict (logs from
# before visits hold observations with an empty one), and whether it was left.
_SQL_VISIT_COUNTS = """
SELECT verdict, left, COUNT(*) FROM (
    SELECT
        (SELECT e.verdict FROM entries e
          WHERE e.visit_id = s.id AND e.verdict != '' ORDER BY e.seq DESC LIMIT 1) AS verdict,
        EXISTS (SELECT 1 FROM entries l WHERE l.visit_id = s.id AND l.kind = 'left') AS left
    FROM entries s WHERE s.kind = 'scan' AND s.at_ms >= ?
) GROUP BY verdict, left
"""
_SQL_PENDING = (
    f"SELECT {_E_COLUMNS} FROM outbox o JOIN entries e ON e.seq = o.seq "  # noqa: S608
    "WHERE o.sent_at_ms IS NULL ORDER BY o.seq LIMIT ?"
)
_SQL_RECENT = f"SELECT {_COLUMNS} FROM entries ORDER BY seq DESC LIMIT ?"  # noqa: S608
_SQL_SEARCH = (
    f"SELECT {_COLUMNS} FROM entries WHERE "  # noqa: S608
    + " OR ".join(f"{f} LIKE ? ESCAPE '\\'" for f in _SEARCH_FIELDS)
    + " ORDER BY seq DESC LIMIT ?"
)
_SQL_SINCE = (
    f"SELECT {_COLUMNS} FROM entries WHERE seq > ? AND at_ms >= ? "  # noqa: S608
    "ORDER BY seq LIMIT ?"
)
_SQL_RANGE = (
    f"SELECT {_COLUMNS} FROM entries WHERE seq > ? AND seq <= ? "  # noqa: S608
    "ORDER BY seq LIMIT ?"
)


_PARKED_SCHEMA = """
CREATE TABLE IF NOT EXISTS parked (
    seq          INTEGER PRIMARY KEY,
    entry_id     TEXT NOT NULL,
    batch_id     TEXT NOT NULL,
    reason       TEXT NOT NULL,
    parked_at_ms INTEGER NOT NULL
)
"""
"""Unsent entries the server refused for good (a 4xx other than auth or rate): set aside
with the server's reason so the rest of the backlog goes on; never deleted, sent again
with ``kiosk sync --retry-parked``.  Created on open, so older logs gain it."""

_SYNC_ATTEMPTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS sync_attempts (
    at_ms        INTEGER NOT NULL,
    ok           INTEGER NOT NULL,
    detail       TEXT NOT NULL
)
"""
"""Sync rounds, for the report's time offline (``kiosk.core.report.offline_summary``): each
change of outcome, and at least one row a minute while it stays the same; kept 90 days.
Created on open, so older logs gain it."""

_REASON_FACTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS reason_facts (
    seq          INTEGER PRIMARY KEY,
    facts        TEXT NOT NULL
)
"""
"""The facts inside an entry's reasons (an age in seconds, an area's code, a date), so that
the log view says "expired 2 hours ago" and not only "expired": JSON
``[[code, [[name, value], ...]], ...]`` in the order of the entry's reasons, one row per
entry that has any.  Kept on the kiosk only: not part of the entry, its hash or a batch
(the wire format is fixed), written in the entry's own transaction and purged with it.
Created on open, so older logs gain it; their entries show their reasons without facts."""

ReasonFacts = tuple[tuple[str, tuple[tuple[str, str], ...]], ...]
"""(code, params) per reason of one entry, as ``Reason.params`` holds them."""


def facts_of(reasons: Sequence[Reason]) -> ReasonFacts:
    """What ``reason_facts`` keeps of these reasons: each one's code and params."""
    return tuple((r.code.value, r.params) for r in reasons)


SYNC_ATTEMPT_EVERY_MS = 60_000
SYNC_ATTEMPTS_KEPT_MS = 90 * 86_400_000

_SQL_SENDABLE = (
    f"SELECT {_E_COLUMNS} FROM outbox o JOIN entries e ON e.seq = o.seq "  # noqa: S608
    "WHERE o.sent_at_ms IS NULL AND NOT EXISTS (SELECT 1 FROM parked p WHERE p.seq = o.seq) "
    "ORDER BY o.seq LIMIT ?"
)


@dataclass(frozen=True, slots=True)
class ParkedBatch:
    """Entries set aside together: the batch the server refused, and why."""

    batch_id: str
    reason: str
    parked_at_ms: int
    first_seq: int
    last_seq: int
    count: int


class StoreError(Exception):
    """The entry log cannot be opened, read or written; the message names the file."""


@dataclass(frozen=True, slots=True)
class ChainReport:
    """Result of ``verify_chain``: intact or the first seq where the chain breaks."""

    ok: bool
    checked: int
    first_bad_seq: int | None
    message: str


_COLUMN_NAMES = tuple(c.strip() for c in _COLUMNS.split(","))
"""The columns of an ``entries`` row, in ``_COLUMNS`` order (the order of every SELECT)."""


def _row_to_entry(row: Sequence[Any]) -> Entry:
    """A row of ``entries`` (in ``_COLUMNS`` order) -> Entry; ValueError if it is malformed."""
    named = dict(zip(_COLUMN_NAMES, row, strict=True))
    seq = named["seq"]
    try:
        named["reasons"] = json.loads(named["reasons"])
        named["certificates"] = json.loads(named["certificates"])
    except (TypeError, ValueError):
        raise ValueError(f"seq {seq}: reasons or certificates are not JSON") from None
    mask = named["mask"]
    if mask is not None:
        if mask not in (0, 1):
            raise ValueError(f"seq {seq}: mask is {mask!r}, expected 0, 1 or NULL")
        named["mask"] = bool(mask)
    return entry_from_wire(named)


def _entry_to_row(e: Entry) -> tuple[Any, ...]:
    return (
        e.seq,
        e.id,
        e.at_ms,
        e.kiosk_id,
        e.kind.value,
        e.verdict,
        json.dumps(list(e.reasons), ensure_ascii=False),
        e.colour,
        json.dumps([list(c) for c in e.certificates], ensure_ascii=False),
        e.name,
        e.holder_key,
        e.refers_to,
        e.temperature_c,
        None if e.mask is None else int(e.mask),
        e.note,
        e.prev_hash,
        e.hash,
    )


def _parse_link(value: str | None, default: tuple[int, str]) -> tuple[int, str]:
    """``"<seq> <hash>"`` from meta -> (seq, hash)."""
    if value is None:
        return default
    seq_text, _, h = value.partition(" ")
    return int(seq_text), h


def _read_facts(text: str) -> ReasonFacts | None:
    """``reason_facts.facts`` as (code, params) pairs, or None when it is not that shape."""
    try:
        raw = json.loads(text)
        facts = tuple(
            (str(code), tuple((str(k), str(v)) for k, v in params)) for code, params in raw
        )
    except (ValueError, TypeError):
        return None
    return facts


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class EntryStore:
    """The kiosk's entry log in one SQLite file (see the module docstring)."""

    def __init__(self, path: Path, *, kiosk_id: str) -> None:
        self.path = Path(path)
        self.kiosk_id = kiosk_id
        self._lock = threading.RLock()
        self._closed = False
        self._head: log_head.HeadFile | None = None
        try:
            known = log_head.check_file(self.path)  # integrity: see kiosk.adapters.log_head
        except log_head.LogDamaged as exc:
            raise StoreError(str(exc)) from None
        try:
            self._conn = sqlite3.connect(
                str(self.path),
                isolation_level=None,
                check_same_thread=False,
                timeout=BUSY_TIMEOUT_MS / 1000,
            )
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open the entry log: {exc}") from None
        try:
            log_head.check_schema(self._conn, self.path, known)
            self._setup()
            self._head = log_head.check_open(self._conn, self.path, known)
        except log_head.LogDamaged as exc:
            self._conn.close()
            raise StoreError(str(exc)) from None
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise StoreError(f"{self.path}: not a usable entry log: {exc}") from None
        except StoreError:
            self._conn.close()
            raise

    # --- opening -------------------------------------------------------------------

    def _setup(self) -> None:
        c = self._conn
        c.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        mode = c.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StoreError(f"{self.path}: cannot switch the entry log to WAL mode (got {mode})")
        c.execute("PRAGMA synchronous = FULL")
        c.execute("PRAGMA foreign_keys = ON")
        c.execute("BEGIN IMMEDIATE")
        try:
            exists = c.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
            ).fetchone()
            if not exists:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        c.execute(statement)
                c.executemany(
                    "INSERT INTO meta (key, value) VALUES (?, ?)",
                    [
                        ("schema_version", str(SCHEMA_VERSION)),
                        ("kiosk_id", self.kiosk_id),
                        ("head", f"0 {GENESIS_HASH}"),
                        ("chain_anchor", f"0 {GENESIS_HASH}"),
                    ],
                )
            else:
                self._check_meta()
                self._migrate()
            c.execute(_PARKED_SCHEMA)
            c.execute(_SYNC_ATTEMPTS_SCHEMA)
            c.execute(_REASON_FACTS_SCHEMA)
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise

    def _check_meta(self) -> None:
        meta = self._meta()
        try:
            version = int(meta.get("schema_version", ""))
        except ValueError:
            raise StoreError(f"{self.path}: entry log has no valid schema_version") from None
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: entry log schema {version} is newer than this kiosk knows "
                f"({SCHEMA_VERSION}); upgrade the kiosk software"
            )
        stored_id = meta.get("kiosk_id")
        if stored_id != self.kiosk_id:
            raise StoreError(
                f"{self.path}: entry log belongs to kiosk {stored_id!r}, "
                f"not {self.kiosk_id!r} (check kiosk_id and data_dir)"
            )

    def _migrate(self) -> None:
        """Bring an older log up to ``SCHEMA_VERSION`` (inside the opening transaction)."""
        c = self._conn
        version = int(self._meta()["schema_version"])
        if version < 2:
            c.execute("ALTER TABLE entries ADD COLUMN visit_id TEXT")
            c.execute("UPDATE entries SET visit_id = COALESCE(refers_to, id)")
            c.execute("CREATE INDEX entries_visit ON entries (visit_id)")
        if version < SCHEMA_VERSION:
            c.execute(
                "UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),)
            )

    def _meta(self, conn: sqlite3.Connection | None = None) -> dict[str, str]:
        rows = (conn or self._conn).execute("SELECT key, value FROM meta").fetchall()
        return {str(k): str(v) for k, v in rows}

    def close(self) -> None:
        """Close the file; safe to call twice."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()
                if self._head is not None:
                    self._head.close()

    def __enter__(self) -> EntryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writing -------------------------------------------------------------------

    @contextlib.contextmanager
    def _writing(self, what: str) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``), under the lock.

        Any failure rolls it back; an SQLite error becomes a ``StoreError`` that
        names the file and ``what`` could not be done ("entry not logged").
        """
        with self._lock:
            c = self._conn
            try:
                c.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StoreError(f"{self.path}: {what}: {exc}") from None
            try:
                yield c
                c.execute("COMMIT")
            except BaseException as exc:
                with contextlib.suppress(sqlite3.Error):
                    c.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise StoreError(f"{self.path}: {what}: {exc}") from None
                raise

    def record(self, draft: EntryDraft, *, facts: ReasonFacts = ()) -> Entry:
        """Log one entry as drafted; durable when this returns.

        ``facts``: the params of the draft's reasons, kept beside the entry for
        the log view (``reason_facts``).  Writing a draft whose id is already in
        the log returns the entry logged then and writes nothing: a retried
        write never doubles an entry.
        """
        fields = {
            f.name: getattr(draft, f.name) for f in dataclasses.fields(draft) if f.name != "at_ms"
        }
        return self._append(draft.at_ms, facts, **fields)

    def record_decision(self, decision: Decision, *, at_ms: int) -> Entry:
        """Log a scan's decision; durable when this returns."""
        return self._append(
            at_ms,
            facts_of(decision.reasons),
            kind=EntryKind.SCAN,
            verdict=decision.verdict.value,
            reasons=decision.reason_codes,
            colour="" if decision.colour is None else decision.colour.value,
            certificates=tuple(
                (c.kind.value, c.status.value, c.summary) for c in decision.certificates
            ),
            name=decision.name,
            holder_key=decision.holder_key,
        )

    def record_override(self, refers_to: str, verdict: Verdict, note: str, *, at_ms: int) -> Entry:
        """Log a guard's override of the entry ``refers_to``; durable when this returns.

        The reason is GUARD_APPROVED for ALLOW and GUARD_DENIED for DENY; name
        and holder_key are copied from the entry referred to when it is held.
        """
        verdict = Verdict(verdict)
        reasons: tuple[str, ...] = ()
        if verdict is Verdict.ALLOW:
            reasons = (ReasonCode.GUARD_APPROVED.value,)
        elif verdict is Verdict.DENY:
            reasons = (ReasonCode.GUARD_DENIED.value,)
        return self._append(
            at_ms,
            (),
            kind=EntryKind.OVERRIDE,
            verdict=verdict.value,
            reasons=reasons,
            refers_to=refers_to,
            note=note,
        )

    def record_observation(
        self,
        refers_to: str | None,
        *,
        temperature_c: float | None,
        mask: bool | None,
        at_ms: int,
    ) -> Entry:
        """Log what the guard measured (temperature, mask); durable when this returns."""
        return self._append(
            at_ms,
            (),
            kind=EntryKind.OBSERVATION,
            refers_to=refers_to,
            temperature_c=temperature_c,
            mask=mask,
        )

    def _append(self, at_ms: int, facts: ReasonFacts, **fields: Any) -> Entry:
        entry_id = fields.pop("id", None) or new_entry_id(at_ms, os.urandom(10))
        with self._lock:
            logged = self._select(_SQL_BY_ID, (entry_id,))
            if logged:
                return logged[0]  # written before (a retried write): never twice
            with self._writing("entry not logged") as c:
                seq, prev = self._tail()
                refers_to = fields.get("refers_to")
                if refers_to is not None and not fields.get("name"):
                    row = c.execute(
                        "SELECT name, holder_key FROM entries WHERE id = ?", (refers_to,)
                    ).fetchone()
                    if row is not None:
                        fields["name"], fields["holder_key"] = row
                entry = seal_entry(
                    id=entry_id,
                    seq=seq + 1,
                    at_ms=at_ms,
                    kiosk_id=self.kiosk_id,
                    prev_hash=prev,
                    **fields,
                )
                c.execute(
                    _SQL_INSERT,
                    (*_entry_to_row(entry), entry.refers_to or entry.id),
                )
                c.execute("INSERT INTO outbox (seq, entry_id) VALUES (?, ?)", (entry.seq, entry.id))
                if any(params for _code, params in facts):
                    c.execute(
                        "INSERT INTO reason_facts (seq, facts) VALUES (?, ?)",
                        (entry.seq, json.dumps(facts, ensure_ascii=False)),
                    )
                c.execute(
                    "UPDATE meta SET value = ? WHERE key = 'head'", (f"{entry.seq} {entry.hash}",)
                )
            if self._head is not None:
                self._head.advance(entry.seq, entry.hash)
            return entry

    def _tail(self) -> tuple[int, str]:
        """(seq, hash) the next entry links to: the newest row, or the head if rows are gone."""
        meta = dict(
            self._conn.execute(
                "SELECT key, value FROM meta WHERE key IN ('head', 'chain_anchor')"
            ).fetchall()
        )
        head = _parse_link(meta.get("head"), (0, GENESIS_HASH))
        anchor = _parse_link(meta.get("chain_anchor"), (0, GENESIS_HASH))
        row = self._conn.execute(
            "SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        best = max(head, anchor, key=lambda link: link[0])
        if row is not None and row[0] >= best[0]:
            return int(row[0]), str(row[1])
        return best

    def mark_sent(self, entry_ids: Sequence[str], *, batch_id: str, acked_at_ms: int) -> None:
        """Record that the server acknowledged these entries (unknown or already-sent ids are
        left as they are)."""
        with self._lock:
            with self._writing("cannot mark entries sent") as c:
                c.executemany(
                    "UPDATE outbox SET batch_id = ?, sent_at_ms = ? "
                    "WHERE entry_id = ? AND sent_at_ms IS NULL",
                    [(batch_id, acked_at_ms, i) for i in entry_ids],
                )
            try:
                link = log_head.acked_link(self._conn)
            except sqlite3.Error as exc:
                raise StoreError(f"{self.path}: cannot mark entries sent: {exc}") from None
            if link is not None and self._head is not None:
                self._head.acknowledge(*link)

    def purge_synced(self, older_than_ms: int) -> int:
        """Delete entries the server acknowledged whose ``at_ms`` is before the cutoff.

        Only a prefix of the chain is removed (stopping at the first entry that
        is unsent or recent), so the rest still links: the last removed entry
        becomes the ``chain_anchor`` that ``verify_chain`` starts from.  A
        prefix whose chain is broken is not purged (StoreError): evidence is
        kept.  Returns the number of entries removed.
        """
        with self._writing("cannot purge") as c:
            stop = c.execute(
                "SELECT MIN(e.seq) FROM entries e LEFT JOIN outbox o ON o.seq = e.seq "
                "WHERE o.sent_at_ms IS NULL OR e.at_ms >= ?",
                (older_than_ms,),
            ).fetchone()[0]
            if stop is None:
                stop = (c.execute("SELECT MAX(seq) FROM entries").fetchone()[0] or 0) + 1
            count = c.execute("SELECT COUNT(*) FROM entries WHERE seq < ?", (stop,)).fetchone()[0]
            if count == 0:
                return 0
            anchor = _parse_link(self._meta().get("chain_anchor"), (0, GENESIS_HASH))
            report = self._walk(c, anchor, upto=stop - 1)
            if not report.ok:
                raise StoreError(f"{self.path}: not purging, {report.message}")
            last_seq, last_hash = c.execute(
                "SELECT seq, hash FROM entries WHERE seq < ? ORDER BY seq DESC LIMIT 1",
                (stop,),
            ).fetchone()
            newest = c.execute("SELECT MAX(at_ms) FROM entries WHERE seq < ?", (stop,)).fetchone()[
                0
            ]
            old = self._meta().get("purged_newest_at_ms")
            if old is not None:
                newest = max(newest, int(old))
            c.execute("DELETE FROM outbox WHERE seq < ?", (stop,))
            c.execute("DELETE FROM reason_facts WHERE seq < ?", (stop,))
            c.execute("DELETE FROM entries WHERE seq < ?", (stop,))
            c.execute(
                "UPDATE meta SET value = ? WHERE key = 'chain_anchor'",
                (f"{last_seq} {last_hash}",),
            )
            c.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('purged_newest_at_ms', ?)",
                (str(newest),),
            )
            return int(count)

    # --- reading -------------------------------------------------------------------

    def _select(self, sql: str, params: Sequence[Any] = ()) -> list[Entry]:
        with self._lock:
            try:
                rows = self._conn.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"{self.path}: cannot read the entry log: {exc}") from None
        try:
            return [_row_to_entry(r) for r in rows]
        except ValueError as exc:
            raise StoreError(f"{self.path}: damaged entry: {exc}") from None

    def _scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        with self._lock:
            try:
                return self._conn.execute(sql, params).fetchone()[0]
            except sqlite3.Error as exc:
                raise StoreError(f"{self.path}: cannot read the entry log: {exc}") from None

    def pending(self, limit: int) -> list[Entry]:
        """Entries the server has not acknowledged yet, oldest first."""
        return self._select(
            _SQL_PENDING,
            (limit,),
        )

    def backlog(self) -> int:
        """How many entries wait to be sent."""
        return int(self._scalar("SELECT COUNT(*) FROM outbox WHERE sent_at_ms IS NULL"))

    # --- sync attempts (see _SYNC_ATTEMPTS_SCHEMA) -------------------------------------

    def record_sync_attempt(self, at_ms: int, *, ok: bool, detail: str = "") -> bool:
        """Log a sync round's outcome (reached the server or not) when it differs from the
        last one logged, or a minute has passed since; True when a row was written."""
        with self._writing("cannot log a sync attempt") as c:
            last = c.execute(
                "SELECT at_ms, ok FROM sync_attempts ORDER BY rowid DESC LIMIT 1"
            ).fetchone()
            if (
                last is not None
                and bool(last[1]) == ok
                and 0 <= at_ms - last[0] < (SYNC_ATTEMPT_EVERY_MS)
            ):
                return False
            c.execute(
                "INSERT INTO sync_attempts (at_ms, ok, detail) VALUES (?, ?, ?)",
                (at_ms, int(ok), detail[:300]),
            )
            c.execute("DELETE FROM sync_attempts WHERE at_ms < ?", (at_ms - SYNC_ATTEMPTS_KEPT_MS,))
            return True

    # --- parked batches (see _PARKED_SCHEMA) -------------------------------------------

    def sendable(self, limit: int) -> list[Entry]:
        """Unsent entries that are not parked, oldest first (what sync sends next)."""
        return self._select(_SQL_SENDABLE, (limit,))

    def park(self, entry_ids: Sequence[str], *, batch_id: str, reason: str, at_ms: int) -> int:
        """Set these unsent entries aside with the server's reason; returns how many."""
        with self._writing("cannot park entries") as c:
            before = c.total_changes
            c.executemany(
                "INSERT OR IGNORE INTO parked (seq, entry_id, batch_id, reason,"
                " parked_at_ms) SELECT seq, entry_id, ?, ?, ? FROM outbox"
                " WHERE entry_id = ? AND sent_at_ms IS NULL",
                [(batch_id, reason[:500], at_ms, i) for i in entry_ids],
            )
            return int(c.total_changes - before)

    def unpark_all(self) -> int:
        """Put every parked entry back in line to be sent; returns how many."""
        with self._lock:
            try:
                return int(self._conn.execute("DELETE FROM parked").rowcount)
            except sqlite3.Error as exc:
                raise StoreError(f"{self.path}: cannot unpark entries: {exc}") from None

    def parked_count(self) -> int:
        return int(
            self._scalar(
                "SELECT COUNT(*) FROM parked p JOIN outbox o ON o.seq = p.seq"
                " WHERE o.sent_at_ms IS NULL"
            )
        )

    def parked(self) -> list[ParkedBatch]:
        """The parked batches, oldest first."""
        with self._lock:
            try:
                rows = self._conn.execute(
                    "SELECT p.batch_id, p.reason, MIN(p.parked_at_ms), MIN(p.seq), MAX(p.seq),"
                    " COUNT(*)"
                    " FROM parked p JOIN outbox o ON o.seq = p.seq WHERE o.sent_at_ms IS NULL"
                    " GROUP BY p.batch_id, p.reason ORDER BY MIN(p.seq)"
                ).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"{self.path}: cannot read parked entries: {exc}") from None
        return [ParkedBatch(str(r[0]), str(r[1]), *(int(x) for x in r[2:])) for r in rows]

    def recent(self, limit: int) -> list[Entry]:
        """The newest entries, newest first."""
        return self._select(_SQL_RECENT, (limit,))

    def recent_scans(self, limit: int) -> list[Entry]:
        """The newest scans (one per visit), newest first."""
        return self._select(_SQL_RECENT_SCANS, (limit,))

    def visit_counts_since(self, at_ms: int) -> dict[str, int]:
        """Visits opened at or after ``at_ms``, each counted once by its final verdict.

        ``waiting``: final verdict REVIEW and not left; ``left``: closed without a
        decision; ``overruled``: guard overrules logged since ``at_ms``.
        """
        counts = {"visits": 0, "ALLOW": 0, "DENY": 0, "REVIEW": 0, "waiting": 0, "left": 0}
        with self._lock:
            try:
                rows = self._conn.execute(_SQL_VISIT_COUNTS, (at_ms,)).fetchall()
                overruled = self._conn.execute(
                    "SELECT COUNT(*) FROM entries WHERE kind = 'override' AND at_ms >= ?",
                    (at_ms,),
                ).fetchone()[0]
            except sqlite3.Error as exc:
                raise StoreError(f"{self.path}: cannot read the entry log: {exc}") from None
        for verdict, left, n in rows:
            counts["visits"] += n
            if verdict in counts:
                counts[verdict] += n
            if left:
                counts["left"] += n
            elif verdict == "REVIEW":
                counts["waiting"] += n
        counts["overruled"] = int(overruled)
        return counts

    def visit_entries(self, visit_id: str) -> list[Entry]:
        """Every entry of one visit (its scan, readings, overrules), in log order."""
        return self._select(_SQL_VISIT, (visit_id,))

    def reason_facts(self, seqs: Sequence[int]) -> dict[int, ReasonFacts]:
        """The facts kept for these entries' reasons, by seq (entries without any are left
        out; a row that does not read as facts is left out too: the log view then shows
        the reasons' words without their facts)."""
        found: dict[int, ReasonFacts] = {}
        with self._lock:
            for start in range(0, len(seqs), _PAGE):
                chunk = list(seqs[start : start + _PAGE])
                marks = ", ".join("?" * len(chunk))
                try:
                    rows = self._conn.execute(
                        f"SELECT seq, facts FROM reason_facts WHERE seq IN ({marks})",  # noqa: S608
                        chunk,
                    ).fetchall()
                except sqlite3.Error as exc:
                    raise StoreError(f"{self.path}: reading reason facts: {exc}") from None
                for seq, text in rows:
                    facts = _read_facts(text)
                    if facts is not None:
                        found[int(seq)] = facts
        return found

    def search(self, text: str, limit: int) -> list[Entry]:
        """Entries whose name, id, holder key, verdict, reasons or note contain ``text``
        (case-insensitive for ASCII), newest first."""
        pattern = f"%{_like_escape(text)}%"
        return self._select(_SQL_SEARCH, (*([pattern] * len(_SEARCH_FIELDS)), limit))

    def counts_since(self, at_ms: int) -> dict[str, int]:
        """Scans at or after ``at_ms``: ``entries`` in all and per verdict.

        Overrides and observations are not counted: one person, one scan.
        """
        counts = {"entries": 0, "ALLOW": 0, "DENY": 0, "REVIEW": 0}
        with self._lock:
            try:
                rows = self._conn.execute(
                    "SELECT verdict, COUNT(*) FROM entries "
                    "WHERE kind = 'scan' AND at_ms >= ? GROUP BY verdict",
                    (at_ms,),
                ).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"{self.path}: cannot read the entry log: {exc}") from None
        for verdict, n in rows:
            counts["entries"] += n
            if verdict in counts:
                counts[verdict] += n
        return counts

    def newest_at_ms(self) -> int | None:
        """The latest ``at_ms`` ever logged (purged entries included), or None."""
        with self._lock:
            try:
                newest = self._conn.execute("SELECT MAX(at_ms) FROM entries").fetchone()[0]
                purged = self._meta().get("purged_newest_at_ms")
            except sqlite3.Error as exc:
                raise StoreError(f"{self.path}: cannot read the entry log: {exc}") from None
        values = [int(v) for v in (newest, purged) if v is not None]
        return max(values) if values else None

    # --- whole-log reads on their own snapshot ---------------------------------------

    @contextlib.contextmanager
    def _snapshot(self) -> Iterator[sqlite3.Connection]:
        try:
            conn = sqlite3.connect(
                self.path.resolve().as_uri() + "?mode=ro",
                uri=True,
                isolation_level=None,
                timeout=BUSY_TIMEOUT_MS / 1000,
            )
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open the entry log: {exc}") from None
        try:
            conn.execute("BEGIN")
            yield conn
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot read the entry log: {exc}") from None
        finally:
            conn.close()

    def iter_entries(self, since_ms: int | None = None) -> Iterator[Entry]:
        """Every entry (with ``at_ms >= since_ms`` if given), in seq order, from one snapshot."""
        with self._snapshot() as conn:
            last = 0
            while True:
                rows = conn.execute(
                    _SQL_SINCE,
                    (last, -1 if since_ms is None else since_ms, _PAGE),
                ).fetchall()
                if not rows:
                    return
                for row in rows:
                    try:
                        yield _row_to_entry(row)
                    except ValueError as exc:
                        raise StoreError(f"{self.path}: damaged entry: {exc}") from None
                last = rows[-1][0]

    def verify_chain(self) -> ChainReport:
        """Walk the chain from the purge anchor to the head, on one snapshot.

        Finds an edited row (hash mismatch), a removed row (seq gap or broken
        link), a reordered row (broken link) and a removed tail (head mismatch).
        """
        with self._snapshot() as conn:
            meta = self._meta(conn)
            anchor = _parse_link(meta.get("chain_anchor"), (0, GENESIS_HASH))
            head = _parse_link(meta.get("head"), (0, GENESIS_HASH))
            return self._walk(conn, anchor, head=head)

    @staticmethod
    def _walk(
        conn: sqlite3.Connection,
        anchor: tuple[int, str],
        *,
        upto: int | None = None,
        head: tuple[int, str] | None = None,
    ) -> ChainReport:
        expected_seq = anchor[0] + 1
        prev = anchor[1]
        checked = 0

        def bad(seq: int, message: str) -> ChainReport:
            return ChainReport(False, checked, seq, f"chain broken at seq {seq}: {message}")

        last = anchor[0]
        limit = upto if upto is not None else 2**63 - 1
        while True:
            rows = conn.execute(
                _SQL_RANGE,
                (last, limit, _PAGE),
            ).fetchall()
            if not rows:
                break
            for row in rows:
                seq = row[0]
                if seq != expected_seq:
                    return bad(expected_seq, f"entry is missing (next row is seq {seq})")
                try:
                    e = _row_to_entry(row)
                except ValueError as exc:
                    return bad(seq, f"row is unreadable ({exc})")
                if e.prev_hash != prev:
                    return bad(seq, "prev_hash does not link to the entry before it")
                if not e.hash_ok:
                    return bad(seq, "hash does not match the row's contents (row edited)")
                checked += 1
                prev = e.hash
                expected_seq += 1
            last = rows[-1][0]
        if head is not None and head[0] >= anchor[0]:
            newest = expected_seq - 1
            if head[0] > newest:
                return bad(newest + 1, f"entries {newest + 1}..{head[0]} are missing at the end")
            if head[0] < newest:
                return bad(head[0] + 1, "entry is newer than the recorded head (head edited)")
            if head[0] == newest and head[1] != prev:
                return bad(newest, "newest entry is not the one last written")
        return ChainReport(True, checked, None, f"chain intact: {checked} entries")
