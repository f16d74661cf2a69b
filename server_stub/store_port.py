"""The central server's store, as the rest of the server sees it: one interface, two backends.

``Store`` is what ``server``, ``trace``, ``reports`` and the admin commands
use.  Two implementations keep the same semantics:

- ``server_stub.storage.ServerStore``: one SQLite file (the default; embedded,
  nothing to run beside the server);
- ``server_stub.pg_store.PgStore``: a PostgreSQL database (a real server, for
  a city's kiosks, several server processes sharing it).

Both store a batch in ONE transaction (its entries and the answer given),
return a batch id seen before as it was (idempotent retries), never hold two
entries at one (kiosk, seq), check a new entry against the held entries
around it (chain neighbours) while no other batch of the same kiosk can
slip in between (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: a per-kiosk
advisory lock held to the commit), and record refused seq conflicts.

``open_store`` picks the backend from what ``--db`` says: a
``postgresql://`` (or ``postgres://``) URL, or a SQLite file path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from kiosk.core.entry import Entry

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


class StoreConfigError(Exception):
    """``--db`` names no store this server can open (the message says what is wrong)."""


class ConflictError(Exception):
    """An entry id is already stored with different contents."""


class SeqConflictError(ConflictError):
    """A seq of this kiosk is already held by another entry (a kiosk whose log was lost
    and started again, or a forgery): refused, never stored twice, and recorded."""

    def __init__(self, kiosk_id: str, seq: int, held_hash: str, offered_hash: str) -> None:
        super().__init__(
            f"kiosk {kiosk_id} seq {seq} is already held with hash {held_hash[:16]}...,"
            f" this batch offers {offered_hash[:16]}..."
        )
        self.kiosk_id = kiosk_id
        self.seq = seq
        self.held_hash = held_hash
        self.offered_hash = offered_hash


class ChainBreakError(Exception):
    """A batch's entries do not link to the entries the server already holds."""


@dataclass(frozen=True)
class StoredBatch:
    """A batch seen before: who sent it, a digest of its body, the answer given."""

    kiosk_id: str
    body_sha256: str
    response: dict[str, Any]


@dataclass(frozen=True)
class KioskStats:
    kiosk_id: str
    entries: int
    batches: int
    first_seq: int | None
    last_seq: int | None
    last_at_ms: int | None
    verdicts: dict[str, int]


@dataclass(frozen=True)
class ChainCheck:
    """What the server holds of one kiosk's log: complete and linked, or where not."""

    kiosk_id: str
    entries: int
    ok: bool
    message: str


class Store(Protocol):
    """The server's database; every method is safe to call from any thread."""

    @property
    def location(self) -> str:
        """Where the data is, for messages (a file path, or the URL without its password)."""
        ...

    def close(self) -> None: ...

    # --- kiosks, credentials, salts ------------------------------------------

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
        ``site`` and ``holder_salt`` are kept as they were when not given."""
        ...

    def has_salt(self, kiosk_id: str) -> bool | None:
        """Whether a holder salt is registered for the kiosk; None when not registered."""
        ...

    def deployments(self) -> list[tuple[str, str, bytes | None]]:
        """(kiosk id, site or '', holder salt or None) of every registered kiosk, by id.
        For tracing only: the salt never leaves the server."""
        ...

    def revoke_kiosk(self, kiosk_id: str, *, now_ms: int) -> bool:
        """Refuse this kiosk from now on; False when it is not registered."""
        ...

    def kiosk_record(self, kiosk_id: str) -> tuple[str, int | None] | None:
        """(public key PEM, revoked at ms or None), or None when not registered."""
        ...

    def kiosk_key(self, kiosk_id: str) -> str | None: ...

    def kiosks(self) -> list[str]: ...

    def add_admin_token(self, token_sha256: str, *, now_ms: int) -> None: ...

    def admin_token_hashes(self) -> frozenset[str]: ...

    # --- batches -------------------------------------------------------------

    def find_batch(self, batch_id: str) -> StoredBatch | None: ...

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
        """Store a batch and its new entries in one transaction; (batch as stored, new?).

        A batch id stored before is returned as it was, untouched.  Raises
        ConflictError (an entry id held with another hash), SeqConflictError (a
        seq held by another entry) or ChainBreakError (no link to the held
        neighbours), storing nothing."""
        ...

    def record_seq_conflict(
        self, error: SeqConflictError, *, batch_id: str, now_ms: int
    ) -> None: ...

    def acked_heads(self, kiosk_id: str, *, limit: int) -> list[tuple[int, str]]:
        """(seq, hash) of the last entry of each batch acknowledged to this kiosk, by seq."""
        ...

    def seq_conflicts(self, kiosk_id: str) -> int: ...

    def last_contacts(self) -> dict[str, int]:
        """Kiosk id -> when its newest batch was received (ms)."""
        ...

    def record_health(
        self, kiosk_id: str, *, received_ms: int, sent_at_ms: int, fields: dict[str, Any]
    ) -> bool:
        """Keep a kiosk's health report unless a newer one (by the kiosk's ``sent_at_ms``)
        is held; True when kept."""
        ...

    def health_reports(self) -> dict[str, tuple[int, dict[str, Any]]]:
        """Kiosk id -> (received at ms, fields) of its newest health report."""
        ...

    # --- reading entries -----------------------------------------------------

    def entry_count(self, kiosk_id: str | None = None) -> int: ...

    def entry_ids(self, kiosk_id: str) -> list[str]: ...

    def recent(self, kiosk_id: str, limit: int) -> list[dict[str, Any]]: ...

    def stats(self) -> list[KioskStats]: ...

    def check_chain(self, kiosk_id: str) -> ChainCheck:
        """Is the kiosk's log held complete from seq 1, each entry linked to the one before?"""
        ...

    def entry_rows(
        self, kiosk_id: str, start_ms: int, end_ms: int
    ) -> list[tuple[str, str, str, int]]:
        """(body, prev_hash, hash, received_ms) of the kiosk's entries with
        start_ms <= at_ms < end_ms, by seq (for reports)."""
        ...

    def visit_rows(self, visit_id: str) -> list[tuple[str, str, str]]:
        """(body, prev_hash, hash) of every entry of one visit, by kiosk and seq."""
        ...

    def holder_scans(
        self, holder_key: str, kiosk_ids: Sequence[str], start_ms: int, end_ms: int
    ) -> list[tuple[str, str, int]]:
        """(entry id, kiosk id, at_ms) of the scans of one holder key at these kiosks
        with start_ms <= at_ms < end_ms, by time then kiosk (tracing: holder index)."""
        ...

    def scans_near(
        self, kiosk_ids: Sequence[str], start_ms: int, end_ms: int, exclude_key: str
    ) -> list[tuple[str, str | None]]:
        """(holder key, masked name or None) of every scan at these kiosks with
        start_ms <= at_ms <= end_ms, but those of ``exclude_key`` and of no holder
        (tracing: kiosk-and-time index)."""
        ...


def is_postgres_url(db: str | Path) -> bool:
    return isinstance(db, str) and db.startswith(POSTGRES_SCHEMES)


def open_store(db: str | Path) -> Store:
    """The store ``db`` names: a ``postgresql://`` URL, or the path of a SQLite file.

    Raises StoreConfigError naming what is wrong (an unreachable server, a
    folder where a file was expected, an unknown URL scheme)."""
    if is_postgres_url(db):
        from server_stub.pg_store import PgStore

        return PgStore(str(db))
    text = str(db)
    if "://" in text:
        scheme = text.split("://", 1)[0]
        raise StoreConfigError(
            f"--db {text}: unknown database URL scheme {scheme!r}; give a postgresql:// URL"
            " or the path of a SQLite file"
        )
    path = Path(text)
    if path.is_dir():
        raise StoreConfigError(f"--db {path}: is a folder; give the server's SQLite file")
    import sqlite3

    from server_stub.storage import ServerStore

    try:
        return ServerStore(path)
    except OSError as exc:
        raise StoreConfigError(f"--db {path}: cannot open: {exc.strerror or exc}") from None
    except sqlite3.DatabaseError as exc:
        raise StoreConfigError(f"--db {path}: not the server's SQLite database: {exc}") from None
