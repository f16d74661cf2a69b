"""The central server's SQLite database: registered kiosks, received batches, entries.

Also the admin credentials (SHA-256 of each admin token, never the token)
and, per kiosk, when it was revoked, its site and its deployment's holder salt
(registered by the operator at enrolment; read only by ``server_stub.trace``,
never sent anywhere: no endpoint and no command prints it).

One file, WAL journal, ``synchronous=FULL``.  A batch is stored in ONE
transaction: its entries and the batch row holding the answer that was
given.  A server killed mid-batch therefore holds all of the batch or none
of it, and a kiosk retrying the same batch gets the same answer back.

An entry is kept as its columns plus ``body``: the canonical JSON its hash
was computed over (every wire field but ``prev_hash`` and ``hash``), so
anyone can recompute the hash from the row.  Entries are keyed by their
id: an entry sent twice (a retried batch, or a new batch overlapping an old
one after a kiosk restart) is stored once.

One connection shared by the server's worker threads behind a lock: the
server writes one batch at a time anyway, and SQLite allows one writer.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kiosk.core.entry import Entry
from server_stub.batch_rules import (
    batch_response,
    chain_check,
    check_held,
    check_neighbours,
    heads_of,
    kiosk_stats,
    neighbour_range,
)
from server_stub.store_port import (
    ChainBreakError,
    ChainCheck,
    ConflictError,
    KioskStats,
    SeqConflictError,
    StoredBatch,
)

__all__ = [
    "ChainBreakError",
    "ChainCheck",
    "ConflictError",
    "KioskStats",
    "SeqConflictError",
    "ServerStore",
    "StoredBatch",
]

SCHEMA_VERSION = 3

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kiosks (
    kiosk_id        TEXT PRIMARY KEY,
    public_key_pem  TEXT NOT NULL,
    registered_ms   INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS batches (
    batch_id        TEXT PRIMARY KEY,
    kiosk_id        TEXT NOT NULL,
    body_sha256     TEXT NOT NULL,
    response        TEXT NOT NULL,
    received_ms     INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS entries (
    id              TEXT PRIMARY KEY,
    kiosk_id        TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    at_ms           INTEGER NOT NULL,
    kind            TEXT NOT NULL,
    verdict         TEXT NOT NULL,
    prev_hash       TEXT NOT NULL,
    hash            TEXT NOT NULL,
    batch_id        TEXT NOT NULL,
    received_ms     INTEGER NOT NULL,
    body            TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_by_kiosk_seq ON entries (kiosk_id, seq);
CREATE TABLE IF NOT EXISTS seq_conflicts (
    kiosk_id        TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    held_hash       TEXT NOT NULL,
    offered_hash    TEXT NOT NULL,
    batch_id        TEXT NOT NULL,
    at_ms           INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS admin_tokens (
    token_sha256    TEXT PRIMARY KEY,
    created_ms      INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS kiosk_health (
    kiosk_id        TEXT PRIMARY KEY,
    received_ms     INTEGER NOT NULL,
    sent_at_ms      INTEGER NOT NULL,
    fields          TEXT NOT NULL
);
"""

_MIGRATIONS = (
    # version 2: revoked kiosks
    ("kiosks", "revoked_ms", "ALTER TABLE kiosks ADD COLUMN revoked_ms INTEGER"),
    # version 3: tracing (server_stub.trace): each kiosk's site and deployment salt, and
    # each entry's holder key and visit, filled from the stored bodies of older rows
    ("kiosks", "site", "ALTER TABLE kiosks ADD COLUMN site TEXT"),
    ("kiosks", "holder_salt", "ALTER TABLE kiosks ADD COLUMN holder_salt BLOB"),
    (
        "entries",
        "holder_key",
        "ALTER TABLE entries ADD COLUMN holder_key TEXT;"
        " UPDATE entries SET holder_key = json_extract(body, '$.holder_key')",
    ),
    (
        "entries",
        "visit_id",
        "ALTER TABLE entries ADD COLUMN visit_id TEXT;"
        " UPDATE entries SET visit_id = COALESCE(json_extract(body, '$.refers_to'), id)",
    ),
)

_INDEXES = """
CREATE INDEX IF NOT EXISTS entries_by_holder ON entries (holder_key, at_ms);
CREATE INDEX IF NOT EXISTS entries_by_kiosk_time ON entries (kiosk_id, at_ms);
CREATE INDEX IF NOT EXISTS entries_by_visit ON entries (visit_id);
"""


class ServerStore:
    """The server's database in one SQLite file (``store_port.Store``); every method is
    safe to call from any thread."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        # The database holds names, holder keys and salts: private to the server's user
        # (0600 in a folder the server made 0700); SQLite gives its -wal and -shm the same mode.
        if not self.path.exists():
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            with contextlib.suppress(FileExistsError):
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        self._db = sqlite3.connect(
            str(self.path), timeout=30.0, isolation_level=None, check_same_thread=False
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA busy_timeout=30000")
        with self._lock:
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise RuntimeError(
                    f"{self.path}: schema version {version} is newer than this server "
                    f"({SCHEMA_VERSION})"
                )
            self._db.executescript(_SCHEMA)
            for table, column, sql in _MIGRATIONS:
                columns = {r[1] for r in self._db.execute(f"PRAGMA table_info({table})")}
                if column not in columns:
                    self._db.executescript(f"BEGIN; {sql}; COMMIT;")
            self._db.executescript(_INDEXES)
            self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    @property
    def location(self) -> str:
        return str(self.path)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- kiosks -----------------------------------------------------------

    def register_kiosk(
        self,
        kiosk_id: str,
        public_key_pem: str,
        *,
        now_ms: int,
        site: str | None = None,
        holder_salt: bytes | None = None,
    ) -> bool:
        """Register or re-key a kiosk (and lift a revocation); True when something changed.

        ``site`` and ``holder_salt`` (the deployment's salt for holder keys, for
        tracing) are kept as they were when not given.  Who may call this is the
        caller's business: the HTTP API lets the admin credential or the kiosk's
        current key do it, the admin command the operator holding the database file.
        """
        with self._lock:
            row = self._db.execute(
                "SELECT public_key_pem, revoked_ms, site, holder_salt FROM kiosks"
                " WHERE kiosk_id = ?",
                (kiosk_id,),
            ).fetchone()
            if (
                row is not None
                and row[0] == public_key_pem
                and row[1] is None
                and (site is None or site == row[2])
                and (holder_salt is None or holder_salt == row[3])
            ):
                return False
            self._db.execute(
                "INSERT INTO kiosks (kiosk_id, public_key_pem, registered_ms, site, holder_salt)"
                " VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (kiosk_id) DO UPDATE SET public_key_pem = excluded.public_key_pem,"
                " registered_ms = excluded.registered_ms, revoked_ms = NULL,"
                " site = COALESCE(excluded.site, site),"
                " holder_salt = COALESCE(excluded.holder_salt, holder_salt)",
                (kiosk_id, public_key_pem, now_ms, site, holder_salt),
            )
            return True

    def has_salt(self, kiosk_id: str) -> bool | None:
        """Whether a holder salt is registered for the kiosk; None when not registered."""
        with self._lock:
            row = self._db.execute(
                "SELECT holder_salt IS NOT NULL FROM kiosks WHERE kiosk_id = ?", (kiosk_id,)
            ).fetchone()
        return None if row is None else bool(row[0])

    def deployments(self) -> list[tuple[str, str, bytes | None]]:
        """(kiosk id, site, holder salt or None) of every registered kiosk.  For tracing only:
        the salt never leaves the server."""
        with self._lock:
            rows = self._db.execute(
                "SELECT kiosk_id, COALESCE(site, ''), holder_salt FROM kiosks ORDER BY kiosk_id"
            ).fetchall()
        return [(r[0], r[1], None if r[2] is None else bytes(r[2])) for r in rows]

    def revoke_kiosk(self, kiosk_id: str, *, now_ms: int) -> bool:
        """Refuse this kiosk from now on; False when it is not registered."""
        with self._lock:
            cur = self._db.execute(
                "UPDATE kiosks SET revoked_ms = COALESCE(revoked_ms, ?) WHERE kiosk_id = ?",
                (now_ms, kiosk_id),
            )
        return cur.rowcount > 0

    def kiosk_record(self, kiosk_id: str) -> tuple[str, int | None] | None:
        """(public key PEM, revoked at ms or None), or None when not registered."""
        with self._lock:
            row = self._db.execute(
                "SELECT public_key_pem, revoked_ms FROM kiosks WHERE kiosk_id = ?", (kiosk_id,)
            ).fetchone()
        return None if row is None else (str(row[0]), row[1])

    def add_admin_token(self, token_sha256: str, *, now_ms: int) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO admin_tokens (token_sha256, created_ms) VALUES (?, ?)",
                (token_sha256, now_ms),
            )

    def admin_token_hashes(self) -> frozenset[str]:
        with self._lock:
            rows = self._db.execute("SELECT token_sha256 FROM admin_tokens").fetchall()
        return frozenset(str(r[0]) for r in rows)

    def kiosk_key(self, kiosk_id: str) -> str | None:
        with self._lock:
            row = self._db.execute(
                "SELECT public_key_pem FROM kiosks WHERE kiosk_id = ?", (kiosk_id,)
            ).fetchone()
        return None if row is None else str(row[0])

    def kiosks(self) -> list[str]:
        with self._lock:
            rows = self._db.execute("SELECT kiosk_id FROM kiosks ORDER BY kiosk_id").fetchall()
        return [r[0] for r in rows]

    # --- batches ----------------------------------------------------------

    def find_batch(self, batch_id: str) -> StoredBatch | None:
        with self._lock:
            return self._find_batch(batch_id)

    def _find_batch(self, batch_id: str) -> StoredBatch | None:
        row = self._db.execute(
            "SELECT kiosk_id, body_sha256, response FROM batches WHERE batch_id = ?",
            (batch_id,),
        ).fetchone()
        if row is None:
            return None
        return StoredBatch(row[0], row[1], json.loads(row[2]))

    def store_batch(
        self,
        *,
        kiosk_id: str,
        batch_id: str,
        body_sha256: str,
        entries: Sequence[Entry],
        bodies: Sequence[str],
        now_ms: int,
        head: tuple[int, str] | None = None,
    ) -> tuple[StoredBatch, bool]:
        """Store a batch and its new entries in one transaction.

        Returns the batch as stored and whether it was new; a batch id stored
        before (by a concurrent retry) is returned as it was, untouched.
        Raises ConflictError, storing nothing, when an entry id is already held
        with a different hash.
        """
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                seen = self._find_batch(batch_id)
                if seen is not None:
                    self._db.execute("ROLLBACK")
                    return seen, False
                held = self._held(entries)
                check_held(entries, held)
                self._check_neighbours(kiosk_id, [e for e in entries if e.id not in held])
                new = [
                    (e.id, e.kiosk_id, e.seq, e.at_ms, e.kind.value, e.verdict, e.prev_hash,
                     e.hash, batch_id, now_ms, body, e.holder_key, e.refers_to or e.id)
                    for e, body in zip(entries, bodies, strict=True)
                    if e.id not in held
                ]  # fmt: skip
                self._db.executemany(
                    "INSERT INTO entries (id, kiosk_id, seq, at_ms, kind, verdict, prev_hash,"
                    " hash, batch_id, received_ms, body, holder_key, visit_id)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    new,
                )
                stored = len(new)
                response = batch_response(batch_id, entries, stored, now_ms, head)
                self._db.execute(
                    "INSERT INTO batches (batch_id, kiosk_id, body_sha256, response, received_ms)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (batch_id, kiosk_id, body_sha256, json.dumps(response), now_ms),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return StoredBatch(kiosk_id, body_sha256, response), True

    def _check_neighbours(self, kiosk_id: str, new: Sequence[Entry]) -> None:
        """New entries take no seq already held, and link to the held entries around them."""
        if not new:
            return
        low, high = neighbour_range(new)
        around = {
            int(r[0]): (str(r[1]), str(r[2]))
            for r in self._db.execute(
                "SELECT seq, prev_hash, hash FROM entries"
                " WHERE kiosk_id = ? AND seq BETWEEN ? AND ?",
                (kiosk_id, low, high),
            )
        }
        check_neighbours(kiosk_id, new, around)

    def record_seq_conflict(self, error: SeqConflictError, *, batch_id: str, now_ms: int) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO seq_conflicts (kiosk_id, seq, held_hash, offered_hash, batch_id,"
                " at_ms) VALUES (?, ?, ?, ?, ?, ?)",
                (error.kiosk_id, error.seq, error.held_hash, error.offered_hash, batch_id, now_ms),
            )

    def acked_heads(self, kiosk_id: str, *, limit: int) -> list[tuple[int, str]]:
        """(seq, hash) of the last entry of each batch acknowledged to this kiosk, by seq."""
        with self._lock:
            rows = self._db.execute(
                "SELECT response FROM batches WHERE kiosk_id = ? ORDER BY received_ms DESC LIMIT ?",
                (kiosk_id, limit),
            ).fetchall()
        return heads_of(r[0] for r in rows)

    def last_contacts(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute(
                "SELECT kiosk_id, max(received_ms) FROM batches GROUP BY kiosk_id"
            ).fetchall()
        return {str(r[0]): int(r[1]) for r in rows}

    def record_health(
        self, kiosk_id: str, *, received_ms: int, sent_at_ms: int, fields: dict[str, Any]
    ) -> bool:
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO kiosk_health (kiosk_id, received_ms, sent_at_ms, fields)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (kiosk_id) DO UPDATE SET"
                " received_ms = excluded.received_ms, sent_at_ms = excluded.sent_at_ms,"
                " fields = excluded.fields WHERE excluded.sent_at_ms >= kiosk_health.sent_at_ms",
                (kiosk_id, received_ms, sent_at_ms, json.dumps(fields, sort_keys=True)),
            )
        return cur.rowcount > 0

    def health_reports(self) -> dict[str, tuple[int, dict[str, Any]]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT kiosk_id, received_ms, fields FROM kiosk_health"
            ).fetchall()
        return {str(r[0]): (int(r[1]), json.loads(r[2])) for r in rows}

    def seq_conflicts(self, kiosk_id: str) -> int:
        with self._lock:
            row = self._db.execute(
                "SELECT count(*) FROM seq_conflicts WHERE kiosk_id = ?", (kiosk_id,)
            ).fetchone()
        return int(row[0])

    def _held(self, entries: Sequence[Entry]) -> dict[str, tuple[str, str]]:
        """Entries among these already stored: id -> (hash, kiosk_id)."""
        held: dict[str, tuple[str, str]] = {}
        ids = [e.id for e in entries]
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            for row in self._db.execute(
                f"SELECT id, hash, kiosk_id FROM entries WHERE id IN ({marks})",  # noqa: S608
                chunk,
            ):
                held[row[0]] = (row[1], row[2])
        return held

    # --- reading ----------------------------------------------------------

    def entry_count(self, kiosk_id: str | None = None) -> int:
        with self._lock:
            if kiosk_id is None:
                row = self._db.execute("SELECT count(*) FROM entries").fetchone()
            else:
                row = self._db.execute(
                    "SELECT count(*) FROM entries WHERE kiosk_id = ?", (kiosk_id,)
                ).fetchone()
        return int(row[0])

    def entry_ids(self, kiosk_id: str) -> list[str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id FROM entries WHERE kiosk_id = ? ORDER BY seq", (kiosk_id,)
            ).fetchall()
        return [r[0] for r in rows]

    def recent(self, kiosk_id: str, limit: int) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT body, prev_hash, hash FROM entries WHERE kiosk_id = ?"
                " ORDER BY seq DESC LIMIT ?",
                (kiosk_id, limit),
            ).fetchall()
        return [{**json.loads(r[0]), "prev_hash": r[1], "hash": r[2]} for r in rows]

    def stats(self) -> list[KioskStats]:
        with self._lock:
            known = [r[0] for r in self._db.execute("SELECT kiosk_id FROM kiosks")]
            rows = self._db.execute(
                "SELECT kiosk_id, count(*), min(seq), max(seq), max(at_ms)"
                " FROM entries GROUP BY kiosk_id"
            ).fetchall()
            batches = dict(
                self._db.execute("SELECT kiosk_id, count(*) FROM batches GROUP BY kiosk_id")
            )
            verdicts = self._db.execute(
                "SELECT kiosk_id, verdict, count(*) FROM entries GROUP BY kiosk_id, verdict"
            ).fetchall()
        return kiosk_stats(known, rows, batches, verdicts)

    def check_chain(self, kiosk_id: str) -> ChainCheck:
        """Is the kiosk's log held complete from seq 1, each entry linked to the one before?"""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, prev_hash, hash FROM entries WHERE kiosk_id = ? ORDER BY seq",
                (kiosk_id,),
            ).fetchall()
        return chain_check(kiosk_id, rows)

    def entry_rows(
        self, kiosk_id: str, start_ms: int, end_ms: int
    ) -> list[tuple[str, str, str, int]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT body, prev_hash, hash, received_ms FROM entries"
                " WHERE kiosk_id = ? AND at_ms >= ? AND at_ms < ? ORDER BY seq",
                (kiosk_id, start_ms, end_ms),
            ).fetchall()
        return [(str(r[0]), str(r[1]), str(r[2]), int(r[3])) for r in rows]

    def visit_rows(self, visit_id: str) -> list[tuple[str, str, str]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT body, prev_hash, hash FROM entries WHERE visit_id = ?"
                " ORDER BY kiosk_id, seq",
                (visit_id,),
            ).fetchall()
        return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]

    def holder_scans(
        self, holder_key: str, kiosk_ids: Sequence[str], start_ms: int, end_ms: int
    ) -> list[tuple[str, str, int]]:
        if not kiosk_ids:
            return []
        marks = ",".join("?" * len(kiosk_ids))
        with self._lock:
            rows = self._db.execute(
                "SELECT id, kiosk_id, at_ms FROM entries WHERE holder_key = ? AND kind = 'scan'"  # noqa: S608
                f" AND at_ms >= ? AND at_ms < ? AND kiosk_id IN ({marks})"
                " ORDER BY at_ms, kiosk_id",
                (holder_key, start_ms, end_ms, *kiosk_ids),
            ).fetchall()
        return [(str(r[0]), str(r[1]), int(r[2])) for r in rows]

    def scans_near(
        self, kiosk_ids: Sequence[str], start_ms: int, end_ms: int, exclude_key: str
    ) -> list[tuple[str, str | None]]:
        if not kiosk_ids:
            return []
        marks = ",".join("?" * len(kiosk_ids))
        with self._lock:
            rows = self._db.execute(
                "SELECT holder_key, json_extract(body, '$.name') FROM entries"  # noqa: S608
                f" WHERE kind = 'scan' AND at_ms >= ? AND at_ms <= ? AND kiosk_id IN ({marks})"
                " AND holder_key != '' AND holder_key != ?",
                (start_ms, end_ms, *kiosk_ids, exclude_key),
            ).fetchall()
        return [(str(r[0]), None if r[1] is None else str(r[1])) for r in rows]
