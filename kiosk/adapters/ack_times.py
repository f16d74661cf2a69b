"""When each entry of a kiosk log was written and when the server acknowledged it, and the
kiosk's logged sync attempts.

The report's sync figures (``kiosk.core.report.sync_summary``) need only these
two times per entry.  They sit in the log's ``outbox`` table
(``sent_at_ms``, set by ``EntryStore.mark_sent`` when the server's signed ack
arrived), which ``EntryStore`` does not expose; this reads them on a read-only
connection of its own, so it never holds up the kiosk's writer.  ``sync_attempts``
reads the sync attempts the same way (the report's time offline).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from kiosk.adapters.store import BUSY_TIMEOUT_MS, StoreError

_SQL = (
    "SELECT e.at_ms, o.sent_at_ms FROM entries e JOIN outbox o ON o.seq = e.seq "
    "WHERE e.at_ms < ? AND (o.sent_at_ms IS NULL OR o.sent_at_ms >= ?) ORDER BY e.seq"
)


def _read_only(path: Path) -> sqlite3.Connection:
    """The entry log opened read-only (a report never writes to it); StoreError if it cannot be."""
    try:
        return sqlite3.connect(
            Path(path).resolve().as_uri() + "?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000
        )
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot open the entry log: {exc}") from None


def ack_times(path: Path, *, start_ms: int, end_ms: int) -> list[tuple[int, int | None]]:
    """(written at, acknowledged at or None) of every entry that was waiting in [start, end)."""
    conn = _read_only(path)
    try:
        rows = conn.execute(_SQL, (end_ms, start_ms)).fetchall()
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot read acknowledgement times: {exc}") from None
    finally:
        conn.close()
    return [(int(a), None if s is None else int(s)) for a, s in rows]


_SQL_ATTEMPTS = (
    "SELECT at_ms, ok FROM sync_attempts WHERE at_ms < ? AND at_ms >= "
    "COALESCE((SELECT MAX(at_ms) FROM sync_attempts WHERE at_ms <= ?), ?) ORDER BY at_ms"
)


def sync_attempts(path: Path, *, start_ms: int, end_ms: int) -> list[tuple[int, bool]] | None:
    """(at, reached the server?) of the sync attempts logged in [start, end), with the last one
    before ``start`` (the state the window began in); None when the log has no such table."""
    conn = _read_only(path)
    try:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master").fetchall()}
        if "sync_attempts" not in names:
            return None
        rows = conn.execute(_SQL_ATTEMPTS, (end_ms, start_ms, start_ms)).fetchall()
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot read the sync attempts: {exc}") from None
    finally:
        conn.close()
    return [(int(a), bool(ok)) for a, ok in rows]
