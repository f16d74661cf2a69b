"""The central server's store in PostgreSQL (``store_port.Store``), for a city's kiosks.

The same tables, columns and indexes as the SQLite store
(``server_stub.storage``), and the same semantics:

- a batch is stored in ONE transaction (its entries, by COPY, and the batch
  row holding the answer given); a batch id seen before is answered as it was;
- no two entries at one (kiosk, seq): the neighbour check refuses them
  (``SeqConflictError``, recorded by the caller), and a unique index backs it;
- two batches of one kiosk never pass the neighbour check together: each
  batch transaction first takes ``pg_advisory_xact_lock`` on its kiosk (and
  then on its batch id, so one batch id sent by two kiosks at once is stored
  once), held until the commit.  This holds across connections and across
  server processes sharing the database, which is what lets several servers
  take one city's batches.

One connection per store, shared by the server's worker threads behind a
lock (as the SQLite store does); more throughput comes from more server
processes, each with its own connection, serialised per kiosk by the lock
above and not otherwise.

A database made by a newer server (``store_meta.schema_version``) is refused.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import errors as pg_errors

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
    ChainCheck,
    ConflictError,
    KioskStats,
    SeqConflictError,
    StoreConfigError,
    StoredBatch,
)

SCHEMA_VERSION = 3
"""The same version as the SQLite store's: the same tables and columns."""

_SCHEMA_LOCK = 0x6B696F736B  # any constant: one schema setup at a time per database

_SCHEMA = """
CREATE TABLE IF NOT EXISTS store_meta (
    key             TEXT PRIMARY KEY,
    value           TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS kiosks (
    kiosk_id        TEXT PRIMARY KEY,
    public_key_pem  TEXT NOT NULL,
    registered_ms   BIGINT NOT NULL,
    revoked_ms      BIGINT,
    site            TEXT,
    holder_salt     BYTEA
);
CREATE TABLE IF NOT EXISTS batches (
    batch_id        TEXT PRIMARY KEY,
    kiosk_id        TEXT NOT NULL,
    body_sha256     TEXT NOT NULL,
    response        TEXT NOT NULL,
    received_ms     BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS batches_by_kiosk ON batches (kiosk_id, received_ms);
CREATE TABLE IF NOT EXISTS entries (
    id              TEXT PRIMARY KEY,
    kiosk_id        TEXT NOT NULL,
    seq             BIGINT NOT NULL,
    at_ms           BIGINT NOT NULL,
    kind            TEXT NOT NULL,
    verdict         TEXT NOT NULL,
    prev_hash       TEXT NOT NULL,
    hash            TEXT NOT NULL,
    batch_id        TEXT NOT NULL,
    received_ms     BIGINT NOT NULL,
    body            TEXT NOT NULL,
    holder_key      TEXT,
    visit_id        TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS entries_by_kiosk_seq ON entries (kiosk_id, seq);
CREATE INDEX IF NOT EXISTS entries_by_holder ON entries (holder_key, at_ms);
CREATE INDEX IF NOT EXISTS entries_by_kiosk_time ON entries (kiosk_id, at_ms);
CREATE INDEX IF NOT EXISTS entries_by_visit ON entries (visit_id);
CREATE TABLE IF NOT EXISTS seq_conflicts (
    kiosk_id        TEXT NOT NULL,
    seq             BIGINT NOT NULL,
    held_hash       TEXT NOT NULL,
    offered_hash    TEXT NOT NULL,
    batch_id        TEXT NOT NULL,
    at_ms           BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS admin_tokens (
    token_sha256    TEXT PRIMARY KEY,
    created_ms      BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS kiosk_health (
    kiosk_id        TEXT PRIMARY KEY,
    received_ms     BIGINT NOT NULL,
    sent_at_ms      BIGINT NOT NULL,
    fields          TEXT NOT NULL
);
"""

ENTRY_COLUMNS = (
    "id, kiosk_id, seq, at_ms, kind, verdict, prev_hash, hash, batch_id, received_ms, body,"
    " holder_key, visit_id"
)


HOLDER_SCANS_SQL = (
    "SELECT id, kiosk_id, at_ms FROM entries WHERE holder_key = %s AND kind = 'scan'"
    " AND at_ms >= %s AND at_ms < %s AND kiosk_id = ANY(%s)"
    ' ORDER BY at_ms, kiosk_id COLLATE "C"'
)
"""Tracing, the case's scans: the ``entries_by_holder`` index (bench/pg_trace.py explains it)."""

SCANS_NEAR_SQL = (
    "SELECT holder_key, body::jsonb ->> 'name' FROM entries"
    " WHERE kind = 'scan' AND at_ms >= %s AND at_ms <= %s AND kiosk_id = ANY(%s)"
    " AND holder_key <> '' AND holder_key <> %s"
)
"""Tracing, who was there: the ``entries_by_kiosk_time`` index, one range per kiosk."""


def redact(url: str) -> str:
    """The URL with its password, if any, replaced by ``***``."""
    return re.sub(r"(://[^/:@]*):[^/@]*@", r"\1:***@", url)


def lock_key(kind: str, name: str) -> int:
    """A signed 64-bit advisory lock key for (kind, name)."""
    digest = hashlib.sha256(f"{kind}\0{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PgStore:
    """The server's database in PostgreSQL; every method is safe to call from any thread."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._lock = threading.Lock()
        try:
            self._db = psycopg.connect(url, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise StoreConfigError(
                f"--db {redact(url)}: cannot connect to PostgreSQL: {first}"
            ) from None
        try:
            with self._db.transaction():
                self._db.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                self._db.execute(_SCHEMA)
                row = self._db.execute(
                    "SELECT value FROM store_meta WHERE key = 'schema_version'"
                ).fetchone()
                version = 0 if row is None else int(row[0])
                if version > SCHEMA_VERSION:
                    raise StoreConfigError(
                        f"--db {redact(url)}: schema version {version} is newer than this"
                        f" server ({SCHEMA_VERSION})"
                    )
                self._db.execute(
                    "INSERT INTO store_meta (key, value) VALUES ('schema_version', %s)"
                    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (str(SCHEMA_VERSION),),
                )
        except BaseException:
            self._db.close()
            raise

    @property
    def location(self) -> str:
        return redact(self.url)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        with self._lock:
            return self._db.execute(sql, params).fetchone()

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

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
        with self._lock, self._db.transaction():
            row = self._db.execute(
                "SELECT public_key_pem, revoked_ms, site, holder_salt FROM kiosks"
                " WHERE kiosk_id = %s FOR UPDATE",
                (kiosk_id,),
            ).fetchone()
            if (
                row is not None
                and row[0] == public_key_pem
                and row[1] is None
                and (site is None or site == row[2])
                and (holder_salt is None or (row[3] is not None and holder_salt == bytes(row[3])))
            ):
                return False
            self._db.execute(
                "INSERT INTO kiosks (kiosk_id, public_key_pem, registered_ms, site, holder_salt)"
                " VALUES (%s, %s, %s, %s, %s)"
                " ON CONFLICT (kiosk_id) DO UPDATE SET public_key_pem = excluded.public_key_pem,"
                " registered_ms = excluded.registered_ms, revoked_ms = NULL,"
                " site = COALESCE(excluded.site, kiosks.site),"
                " holder_salt = COALESCE(excluded.holder_salt, kiosks.holder_salt)",
                (kiosk_id, public_key_pem, now_ms, site, holder_salt),
            )
            return True

    def has_salt(self, kiosk_id: str) -> bool | None:
        row = self._one(
            "SELECT holder_salt IS NOT NULL FROM kiosks WHERE kiosk_id = %s", (kiosk_id,)
        )
        return None if row is None else bool(row[0])

    def deployments(self) -> list[tuple[str, str, bytes | None]]:
        rows = self._all(
            "SELECT kiosk_id, COALESCE(site, ''), holder_salt FROM kiosks"
            ' ORDER BY kiosk_id COLLATE "C"'
        )
        return [(r[0], r[1], None if r[2] is None else bytes(r[2])) for r in rows]

    def revoke_kiosk(self, kiosk_id: str, *, now_ms: int) -> bool:
        with self._lock:
            cur = self._db.execute(
                "UPDATE kiosks SET revoked_ms = COALESCE(revoked_ms, %s) WHERE kiosk_id = %s",
                (now_ms, kiosk_id),
            )
            return cur.rowcount > 0

    def kiosk_record(self, kiosk_id: str) -> tuple[str, int | None] | None:
        row = self._one(
            "SELECT public_key_pem, revoked_ms FROM kiosks WHERE kiosk_id = %s", (kiosk_id,)
        )
        return None if row is None else (str(row[0]), row[1])

    def kiosk_key(self, kiosk_id: str) -> str | None:
        row = self._one("SELECT public_key_pem FROM kiosks WHERE kiosk_id = %s", (kiosk_id,))
        return None if row is None else str(row[0])

    def kiosks(self) -> list[str]:
        rows = self._all('SELECT kiosk_id FROM kiosks ORDER BY kiosk_id COLLATE "C"')
        return [r[0] for r in rows]

    def add_admin_token(self, token_sha256: str, *, now_ms: int) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO admin_tokens (token_sha256, created_ms) VALUES (%s, %s)"
                " ON CONFLICT DO NOTHING",
                (token_sha256, now_ms),
            )

    def admin_token_hashes(self) -> frozenset[str]:
        return frozenset(str(r[0]) for r in self._all("SELECT token_sha256 FROM admin_tokens"))

    # --- batches ----------------------------------------------------------

    def find_batch(self, batch_id: str) -> StoredBatch | None:
        with self._lock:
            return self._find_batch(batch_id)

    def _find_batch(self, batch_id: str) -> StoredBatch | None:
        row = self._db.execute(
            "SELECT kiosk_id, body_sha256, response FROM batches WHERE batch_id = %s",
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
        with self._lock:
            try:
                with self._db.transaction():
                    # Kiosk first, then batch id: every transaction takes them in this order,
                    # so two batches never wait on each other in a cycle.
                    self._db.execute(
                        "SELECT pg_advisory_xact_lock(%s), pg_advisory_xact_lock(%s)",
                        (lock_key("kiosk", kiosk_id), lock_key("batch", batch_id)),
                    )
                    seen = self._find_batch(batch_id)
                    if seen is not None:
                        return seen, False
                    held = self._held(entries)
                    check_held(entries, held)
                    self._check_neighbours(kiosk_id, [e for e in entries if e.id not in held])
                    stored = 0
                    with (
                        self._db.cursor() as cur,
                        cur.copy(f"COPY entries ({ENTRY_COLUMNS}) FROM STDIN") as copy,
                    ):
                        for e, body in zip(entries, bodies, strict=True):
                            if e.id in held:
                                continue
                            copy.write_row(
                                (e.id, e.kiosk_id, e.seq, e.at_ms, e.kind.value, e.verdict,
                                 e.prev_hash, e.hash, batch_id, now_ms, body, e.holder_key,
                                 e.refers_to or e.id)
                            )  # fmt: skip
                            stored += 1
                    response = batch_response(batch_id, entries, stored, now_ms, head)
                    self._db.execute(
                        "INSERT INTO batches (batch_id, kiosk_id, body_sha256, response,"
                        " received_ms) VALUES (%s, %s, %s, %s, %s)",
                        (batch_id, kiosk_id, body_sha256, json.dumps(response), now_ms),
                    )
            except pg_errors.UniqueViolation as exc:
                # Only another kiosk's entry with the same id gets here (the locks above
                # serialise everything else): an entry id held with other contents.
                raise ConflictError(f"an entry id of this batch is already stored: {exc}") from None
        return StoredBatch(kiosk_id, body_sha256, response), True

    def _held(self, entries: Sequence[Entry]) -> dict[str, tuple[str, str]]:
        """Entries among these already stored: id -> (hash, kiosk_id)."""
        rows = self._db.execute(
            "SELECT id, hash, kiosk_id FROM entries WHERE id = ANY(%s)", ([e.id for e in entries],)
        ).fetchall()
        return {r[0]: (r[1], r[2]) for r in rows}

    def _check_neighbours(self, kiosk_id: str, new: Sequence[Entry]) -> None:
        """New entries take no seq already held, and link to the held entries around them."""
        if not new:
            return
        low, high = neighbour_range(new)
        around = {
            int(r[0]): (str(r[1]), str(r[2]))
            for r in self._db.execute(
                "SELECT seq, prev_hash, hash FROM entries"
                " WHERE kiosk_id = %s AND seq BETWEEN %s AND %s",
                (kiosk_id, low, high),
            ).fetchall()
        }
        check_neighbours(kiosk_id, new, around)

    def record_seq_conflict(self, error: SeqConflictError, *, batch_id: str, now_ms: int) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO seq_conflicts (kiosk_id, seq, held_hash, offered_hash, batch_id,"
                " at_ms) VALUES (%s, %s, %s, %s, %s, %s)",
                (error.kiosk_id, error.seq, error.held_hash, error.offered_hash, batch_id, now_ms),
            )

    def acked_heads(self, kiosk_id: str, *, limit: int) -> list[tuple[int, str]]:
        rows = self._all(
            "SELECT response FROM batches WHERE kiosk_id = %s ORDER BY received_ms DESC LIMIT %s",
            (kiosk_id, limit),
        )
        return heads_of(r[0] for r in rows)

    def record_health(
        self, kiosk_id: str, *, received_ms: int, sent_at_ms: int, fields: dict[str, Any]
    ) -> bool:
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO kiosk_health (kiosk_id, received_ms, sent_at_ms, fields)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT (kiosk_id) DO UPDATE SET"
                " received_ms = excluded.received_ms, sent_at_ms = excluded.sent_at_ms,"
                " fields = excluded.fields WHERE excluded.sent_at_ms >= kiosk_health.sent_at_ms",
                (kiosk_id, received_ms, sent_at_ms, json.dumps(fields, sort_keys=True)),
            )
            return cur.rowcount > 0

    def health_reports(self) -> dict[str, tuple[int, dict[str, Any]]]:
        rows = self._all("SELECT kiosk_id, received_ms, fields FROM kiosk_health")
        return {str(r[0]): (int(r[1]), json.loads(r[2])) for r in rows}

    def seq_conflicts(self, kiosk_id: str) -> int:
        row = self._one("SELECT count(*) FROM seq_conflicts WHERE kiosk_id = %s", (kiosk_id,))
        return 0 if row is None else int(row[0])

    def last_contacts(self) -> dict[str, int]:
        rows = self._all("SELECT kiosk_id, max(received_ms) FROM batches GROUP BY kiosk_id")
        return {str(r[0]): int(r[1]) for r in rows}

    # --- reading ----------------------------------------------------------

    def entry_count(self, kiosk_id: str | None = None) -> int:
        if kiosk_id is None:
            row = self._one("SELECT count(*) FROM entries")
        else:
            row = self._one("SELECT count(*) FROM entries WHERE kiosk_id = %s", (kiosk_id,))
        return 0 if row is None else int(row[0])

    def entry_ids(self, kiosk_id: str) -> list[str]:
        rows = self._all("SELECT id FROM entries WHERE kiosk_id = %s ORDER BY seq", (kiosk_id,))
        return [r[0] for r in rows]

    def recent(self, kiosk_id: str, limit: int) -> list[dict[str, Any]]:
        rows = self._all(
            "SELECT body, prev_hash, hash FROM entries WHERE kiosk_id = %s"
            " ORDER BY seq DESC LIMIT %s",
            (kiosk_id, limit),
        )
        return [{**json.loads(r[0]), "prev_hash": r[1], "hash": r[2]} for r in rows]

    def stats(self) -> list[KioskStats]:
        with self._lock, self._db.transaction():
            known = [r[0] for r in self._db.execute("SELECT kiosk_id FROM kiosks").fetchall()]
            rows = self._db.execute(
                "SELECT kiosk_id, count(*), min(seq), max(seq), max(at_ms)"
                " FROM entries GROUP BY kiosk_id"
            ).fetchall()
            batches = {
                r[0]: int(r[1])
                for r in self._db.execute(
                    "SELECT kiosk_id, count(*) FROM batches GROUP BY kiosk_id"
                ).fetchall()
            }
            verdicts = self._db.execute(
                "SELECT kiosk_id, verdict, count(*) FROM entries GROUP BY kiosk_id, verdict"
            ).fetchall()
        return kiosk_stats(known, rows, batches, verdicts)

    def check_chain(self, kiosk_id: str) -> ChainCheck:
        rows = self._all(
            "SELECT seq, prev_hash, hash FROM entries WHERE kiosk_id = %s ORDER BY seq",
            (kiosk_id,),
        )
        return chain_check(kiosk_id, rows)

    def entry_rows(
        self, kiosk_id: str, start_ms: int, end_ms: int
    ) -> list[tuple[str, str, str, int]]:
        rows = self._all(
            "SELECT body, prev_hash, hash, received_ms FROM entries"
            " WHERE kiosk_id = %s AND at_ms >= %s AND at_ms < %s ORDER BY seq",
            (kiosk_id, start_ms, end_ms),
        )
        return [(str(r[0]), str(r[1]), str(r[2]), int(r[3])) for r in rows]

    def visit_rows(self, visit_id: str) -> list[tuple[str, str, str]]:
        rows = self._all(
            "SELECT body, prev_hash, hash FROM entries WHERE visit_id = %s"
            ' ORDER BY kiosk_id COLLATE "C", seq',
            (visit_id,),
        )
        return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]

    def holder_scans(
        self, holder_key: str, kiosk_ids: Sequence[str], start_ms: int, end_ms: int
    ) -> list[tuple[str, str, int]]:
        rows = self._all(HOLDER_SCANS_SQL, (holder_key, start_ms, end_ms, list(kiosk_ids)))
        return [(str(r[0]), str(r[1]), int(r[2])) for r in rows]

    def scans_near(
        self, kiosk_ids: Sequence[str], start_ms: int, end_ms: int, exclude_key: str
    ) -> list[tuple[str, str | None]]:
        rows = self._all(SCANS_NEAR_SQL, (start_ms, end_ms, list(kiosk_ids), exclude_key))
        return [(str(r[0]), None if r[1] is None else str(r[1])) for r in rows]
