"""The entry log's head record outside SQLite, and the checks that refuse a log that forgot.

SQLite opens a 0-byte file, or a database whose ``-wal`` file was lost, as a
valid database without a word: a schema check is not an integrity check.
This module keeps, next to the log, a small file ``<log>.head`` that says how
far the chain went (seq and hash of the newest entry) and how far the server
acknowledged it, and checks the log against it every time the log is opened:

- the log file is missing or 0 bytes while the head record says entries were
  written -> refused;
- a non-empty file that is not an SQLite database, or one without the entry
  log's schema -> refused (never silently given a new schema);
- a log file without write permission -> refused (checked on the mode bits,
  so it holds for root as well);
- ``PRAGMA quick_check`` finds damage (a flipped page) -> refused;
- the log's own head is behind the head record (a lost WAL after a crash,
  a restored old copy) or has another hash at the same seq -> refused.

A refusal is one line naming the file and what is wrong, and says to run
``kiosk log recover``.  The head record may lag the log (a crash between the
commit and the head write): a log *ahead* of its record is accepted and the
record catches up.

The record file holds two fixed-size slots, each with a generation counter
and a CRC; a write goes to the older slot with one ``pwrite``, so a torn
write leaves the other slot whole.  The ``pwrite`` after every commit is in
the kernel's page cache at once, which is what a killed process, a deleted
WAL or a truncated file is checked against; it is flushed with
``fdatasync`` every ``SYNC_EVERY`` entries, on every acknowledgement and at
close.  After a power cut the record may therefore lag the log by up to
``SYNC_EVERY`` entries, which is accepted (a log ahead of its record is
never refused); an fsync per entry would double the cost of a durable
write (BENCHMARKS.md) for that window only.

The module also owns the ``list_versions`` table of the log database: the
highest version ever accepted of each signed list and of the server's policy,
so a rollback is refused after a restart too.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
import zlib
from dataclasses import dataclass
from pathlib import Path

from kiosk.core.entry import GENESIS_HASH

HEAD_SUFFIX = ".head"
SYNC_EVERY = 32
"""Entries between two ``fdatasync`` of the head record (see the module docstring)."""
SLOT_SIZE = 256
_MAGIC = "KHD1"
SQLITE_MAGIC = b"SQLite format 3\x00"
RECOVER_HINT = "run `kiosk log recover --config ...` (it keeps the damaged file)"


class LogDamaged(Exception):
    """The entry log does not match what was written to it; one line names the file."""


@dataclass(frozen=True, slots=True)
class HeadRecord:
    """How far the chain went, and how far the server acknowledged it."""

    seq: int = 0
    hash: str = GENESIS_HASH
    acked_seq: int = 0
    acked_hash: str = GENESIS_HASH
    generation: int = 0


def head_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + HEAD_SUFFIX)


def _encode(record: HeadRecord) -> bytes:
    body = (
        f"{_MAGIC} {record.generation} {record.seq} {record.hash} "
        f"{record.acked_seq} {record.acked_hash}"
    )
    line = f"{body} {zlib.crc32(body.encode()):08x}\n".encode()
    if len(line) > SLOT_SIZE:
        raise ValueError("head record does not fit its slot")
    return line.ljust(SLOT_SIZE, b"\x00")


def _decode(slot: bytes) -> HeadRecord | None:
    try:
        text = slot.rstrip(b"\x00").decode("ascii").strip()
        body, _, crc = text.rpartition(" ")
        if int(crc, 16) != zlib.crc32(body.encode()):
            return None
        magic, gen, seq, h, acked_seq, acked_hash = body.split(" ")
        if magic != _MAGIC:
            return None
        return HeadRecord(int(seq), h, int(acked_seq), acked_hash, int(gen))
    except (UnicodeDecodeError, ValueError):
        return None


def read_head(db_path: Path) -> HeadRecord | None:
    """The newest whole slot of ``<log>.head``, or None when there is no record."""
    path = head_path(db_path)
    try:
        data = path.read_bytes()[: 2 * SLOT_SIZE]
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise LogDamaged(f"{path}: cannot read the head record: {exc.strerror}") from None
    slots = [_decode(data[i : i + SLOT_SIZE]) for i in (0, SLOT_SIZE)]
    found = [s for s in slots if s is not None]
    if not found:
        if not data:
            return None
        raise LogDamaged(f"{path}: head record is unreadable; {RECOVER_HINT}")
    return max(found, key=lambda r: r.generation)


class HeadFile:
    """The open ``<log>.head``: ``advance`` after every commit, ``acknowledge`` after acks."""

    def __init__(self, db_path: Path, current: HeadRecord) -> None:
        self.path = head_path(db_path)
        created = not self.path.exists()
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        self.record = current
        self.fault = ""
        """Why the last head write failed ("" when it did not)."""
        self._unsynced = 0
        if created:
            self._write(current)
            self._write(current, sync=True)  # both slots whole
            with contextlib.suppress(OSError):
                dir_fd = os.open(self.path.parent, os.O_RDONLY)
                try:
                    os.fsync(dir_fd)
                finally:
                    os.close(dir_fd)

    def _write(self, record: HeadRecord, *, sync: bool = True) -> None:
        record = HeadRecord(
            record.seq,
            record.hash,
            record.acked_seq,
            record.acked_hash,
            self.record.generation + 1,
        )
        try:
            os.pwrite(self._fd, _encode(record), (record.generation % 2) * SLOT_SIZE)
            self._unsynced += 1
            if sync or self._unsynced >= SYNC_EVERY:
                os.fdatasync(self._fd)
                self._unsynced = 0
        except OSError as exc:
            self.fault = f"{self.path}: head record not written: {exc.strerror}"
            return
        self.record = record
        self.fault = ""

    def advance(self, seq: int, hash_: str) -> None:
        """The chain's newest entry is now (seq, hash): seen by the next open at once,
        on the disk within ``SYNC_EVERY`` entries."""
        r = self.record
        self._write(HeadRecord(seq, hash_, r.acked_seq, r.acked_hash), sync=False)

    def acknowledge(self, seq: int, hash_: str) -> None:
        """The server acknowledged the chain up to (seq, hash)."""
        r = self.record
        if seq > r.acked_seq:
            head_seq, head_hash = (seq, hash_) if seq > r.seq else (r.seq, r.hash)
            self._write(HeadRecord(head_seq, head_hash, seq, hash_))

    def close(self) -> None:
        with contextlib.suppress(OSError):
            if self._unsynced:
                os.fdatasync(self._fd)
        with contextlib.suppress(OSError):
            os.close(self._fd)


def check_file(db_path: Path) -> HeadRecord | None:
    """Before SQLite touches the file: missing/0-byte/foreign/read-only logs are refused."""
    head = read_head(db_path)
    written = head is not None and head.seq > 0
    try:
        st = os.stat(db_path)
    except FileNotFoundError:
        if written:
            assert head is not None
            raise LogDamaged(
                f"{db_path}: entry log is missing but its head record says {head.seq} "
                f"entries were written; {RECOVER_HINT}"
            ) from None
        # A new log, private to the kiosk (0600); SQLite gives its -wal the same mode.
        with contextlib.suppress(FileExistsError, FileNotFoundError):
            os.close(os.open(db_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))
        return head
    if not stat.S_ISREG(st.st_mode):
        raise LogDamaged(f"{db_path}: entry log is not a regular file")
    if st.st_size == 0:
        if written:
            assert head is not None
            raise LogDamaged(
                f"{db_path}: entry log is 0 bytes but its head record says {head.seq} "
                f"entries were written; {RECOVER_HINT}"
            )
        return head
    if not st.st_mode & stat.S_IWUSR:
        raise LogDamaged(
            f"{db_path}: entry log is read-only (mode {stat.S_IMODE(st.st_mode):04o}); "
            "the kiosk cannot log entries: make it writable by its owner"
        )
    with open(db_path, "rb") as fh:
        magic = fh.read(len(SQLITE_MAGIC))
    if magic != SQLITE_MAGIC:
        raise LogDamaged(
            f"{db_path}: not a usable entry log: not an SQLite database; {RECOVER_HINT}"
        )
    return head


def check_schema(conn: sqlite3.Connection, db_path: Path, head: HeadRecord | None) -> None:
    """Before the schema is created: refuse a file that has content but not our schema."""
    names = {str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master").fetchall()}
    if "meta" in names and "entries" in names:
        return
    if names or (head is not None and head.seq > 0):
        raise LogDamaged(
            f"{db_path}: a non-empty file without the entry log's schema "
            f"(tables: {', '.join(sorted(names)) or 'none'}); {RECOVER_HINT}"
        )


def _log_head(conn: sqlite3.Connection) -> tuple[int, str]:
    row = conn.execute("SELECT value FROM meta WHERE key = 'head'").fetchone()
    seq_text, _, h = (str(row[0]) if row else f"0 {GENESIS_HASH}").partition(" ")
    newest = conn.execute("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1").fetchone()
    seq = int(seq_text)
    if newest is not None and int(newest[0]) > seq:
        return int(newest[0]), str(newest[1])
    return seq, h


def _check_newest(conn: sqlite3.Connection, db_path: Path) -> None:
    """The newest entry must be readable and match its own hash (one row: cheap).

    ``quick_check`` sees the file's structure, not a row's contents; the whole
    chain is walked by ``kiosk log verify``.  The newest entry is the one the
    next entry links to, so it is checked at every open.
    """
    from kiosk.adapters.store import _COLUMNS, _row_to_entry  # store imports this module

    row = conn.execute(
        f"SELECT {_COLUMNS} FROM entries ORDER BY seq DESC LIMIT 1"  # noqa: S608
    ).fetchone()
    if row is None:
        return
    try:
        ok = _row_to_entry(row).hash_ok
    except ValueError:
        ok = False
    if not ok:
        raise LogDamaged(
            f"{db_path}: the newest entry (seq {row[0]}) does not match its hash "
            f"(altered or damaged); {RECOVER_HINT}"
        )


def acked_link(conn: sqlite3.Connection) -> tuple[int, str] | None:
    """(seq, hash) of the newest entry the server acknowledged, if any is held."""
    row = conn.execute(
        "SELECT e.seq, e.hash FROM outbox o JOIN entries e ON e.seq = o.seq "
        "WHERE o.sent_at_ms IS NOT NULL ORDER BY o.seq DESC LIMIT 1"
    ).fetchone()
    return None if row is None else (int(row[0]), str(row[1]))


def check_open(conn: sqlite3.Connection, db_path: Path, head: HeadRecord | None) -> HeadFile:
    """After the schema is in place: quick_check and the log's head against the record."""
    result = [str(r[0]) for r in conn.execute("PRAGMA quick_check").fetchall()]
    if result != ["ok"]:
        found = " ".join(" / ".join(result).split())[:160]
        raise LogDamaged(f"{db_path}: entry log is damaged ({found}); {RECOVER_HINT}")
    seq, h = _log_head(conn)
    _check_newest(conn, db_path)
    if head is not None:
        if seq < head.seq:
            raise LogDamaged(
                f"{db_path}: entry log ends at seq {seq} but {head.seq} entries were written "
                f"(a lost -wal file or an old copy?); {RECOVER_HINT}"
            )
        if seq == head.seq and h != head.hash:
            raise LogDamaged(
                f"{db_path}: the newest entry (seq {seq}) is not the one written there; "
                f"{RECOVER_HINT}"
            )
        if seq < head.acked_seq:
            raise LogDamaged(
                f"{db_path}: entry log ends at seq {seq}, behind the seq {head.acked_seq} the "
                f"server acknowledged; {RECOVER_HINT}"
            )
    current = head or HeadRecord()
    acked = acked_link(conn)
    record = HeadRecord(
        seq,
        h,
        max(current.acked_seq, acked[0] if acked else 0),
        acked[1] if acked and acked[0] >= current.acked_seq else current.acked_hash,
        current.generation,
    )
    try:
        head_file = HeadFile(db_path, current)
    except OSError as exc:
        raise LogDamaged(
            f"{head_path(db_path)}: cannot open the head record: {exc.strerror}"
        ) from None
    if record != current:
        head_file._write(record)
    return head_file


# --- highest versions of the signed lists -------------------------------------------------

_VERSIONS_SQL = (
    "CREATE TABLE IF NOT EXISTS list_versions (name TEXT PRIMARY KEY, version INTEGER NOT NULL)"
)


def held_versions(db_path: Path) -> dict[str, int]:
    """Highest version accepted of each list (``trust``, ``revocations``, ``policy``)."""
    if not db_path.is_file() or db_path.stat().st_size == 0:
        return {}
    try:
        conn = sqlite3.connect(db_path.resolve().as_uri() + "?mode=ro", uri=True)
    except sqlite3.Error:
        return {}
    try:
        rows = conn.execute("SELECT name, version FROM list_versions").fetchall()
    except sqlite3.Error:
        return {}
    finally:
        conn.close()
    return {str(n): int(v) for n, v in rows}


def remember_versions(db_path: Path, versions: dict[str, int]) -> bool:
    """Keep the highest of each version durably (only in an existing entry log).

    Returns False when it could not (no log yet, the file is busy or damaged):
    the versions are then kept at the next load or sync.
    """
    if not versions or not db_path.is_file() or db_path.stat().st_size == 0:
        return False
    try:
        _remember(db_path, versions)
    except sqlite3.Error:
        return False
    return True


def _remember(db_path: Path, versions: dict[str, int]) -> None:
    conn = sqlite3.connect(str(db_path), timeout=5.0, isolation_level=None)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master").fetchall()}
        if "meta" not in tables:
            raise sqlite3.DatabaseError("not an entry log")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(_VERSIONS_SQL)
        for name, version in versions.items():
            conn.execute(
                "INSERT INTO list_versions (name, version) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET version = max(version, excluded.version)",
                (name, version),
            )
        conn.execute("COMMIT")
    finally:
        conn.close()
