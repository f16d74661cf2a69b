"""Durable entry writes: how long one ``EntryStore.record_decision`` takes on this disk.

    .venv/bin/python bench/store_writes.py [--writes 2000] [--dir /var/tmp]

One durable entry write is the entry row, its outbox row and the chain head in
one transaction, committed under WAL + ``synchronous=FULL``, then the head record
beside the log (``entries.sqlite.head``: one ``pwrite`` and one ``fdatasync``).  The anchor, run
side by side in the same process and the same folder, is the cheapest durable
write SQLite can do there: one single-row INSERT committed under WAL + FULL.
The two are run in alternating blocks so that disk noise hits both alike.
Prints a Markdown table for BENCHMARKS.md.  ``--dir`` must be on the disk the
kiosk will use (a tmpfs makes every fsync free and the figures meaningless);
the script prints the file system type it wrote to.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from kiosk.adapters.store import EntryStore
from kiosk.core.errors import Reason, ReasonCode, Severity
from kiosk.core.model import (
    CertificateKind,
    CertificateState,
    CertificateStatus,
    Colour,
    Decision,
    Verdict,
)

T0 = 1_763_880_000_000

DECISION = Decision(
    verdict=Verdict.DENY,
    reasons=(
        Reason(ReasonCode.NAT_TOO_OLD, Severity.DENY, "nucleic acid test 80 h old"),
        Reason(ReasonCode.COLOUR_REVIEW, Severity.REVIEW, "yellow code"),
    ),
    decided_at=T0 // 1000,
    name="Wang *ming",
    colour=Colour.YELLOW,
    issuer="CN-330100",
    holder_key="5a" * 32,
    certificates=(
        CertificateState(CertificateKind.VACCINATION, CertificateStatus.OK, "3 doses, 210 days"),
        CertificateState(CertificateKind.NUCLEIC_ACID, CertificateStatus.FAILED, "80 h ago"),
        CertificateState(CertificateKind.TRAVEL, CertificateStatus.OK, "no risk areas"),
    ),
)
"""A realistic scan: two reasons, three certificates."""


def fs_type(path: Path) -> str:
    """The mount type (ext4, tmpfs, ...) of the longest mount point holding ``path``."""
    best, kind = "", "unknown"
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return kind
    resolved = str(path.resolve())
    for line in mounts:
        parts = line.split()
        if len(parts) >= 3 and resolved.startswith(parts[1]) and len(parts[1]) > len(best):
            best, kind = parts[1], parts[2]
    return kind


def timed(fn: Callable[[int], object], start: int, n: int) -> list[float]:
    out = []
    for i in range(start, start + n):
        t = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - t) * 1000)
    return out


def summary(label: str, ms: list[float]) -> str:
    ordered = sorted(ms)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    per_s = len(ms) / (sum(ms) / 1000)
    return (
        f"| {label} | {len(ms)} | {statistics.median(ms):.3f} | {p95:.3f} | "
        f"{ordered[-1]:.2f} | {per_s:,.0f} |"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--writes", type=int, default=2000, help="writes of each kind (>= 2000)")
    ap.add_argument("--block", type=int, default=250, help="writes per alternating block")
    ap.add_argument("--dir", type=Path, default=None, help="folder on the disk to measure")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(dir=args.dir, prefix="store-bench-") as d:
        folder = Path(d)
        store = EntryStore(folder / "entries.sqlite", kiosk_id="bench")
        bare = sqlite3.connect(folder / "anchor.sqlite", isolation_level=None)
        bare.execute("PRAGMA journal_mode = WAL")
        bare.execute("PRAGMA synchronous = FULL")
        bare.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")

        def entry_write(i: int) -> object:
            return store.record_decision(DECISION, at_ms=T0 + i)

        def anchor_write(i: int) -> object:
            bare.execute("BEGIN")
            bare.execute("INSERT INTO t (v) VALUES (?)", (f"row {i}",))
            return bare.execute("COMMIT")

        timed(entry_write, 0, 100)  # warm up both files and the statement caches
        timed(anchor_write, 0, 100)
        entry_ms: list[float] = []
        anchor_ms: list[float] = []
        done = 0
        while done < args.writes:
            n = min(args.block, args.writes - done)
            entry_ms += timed(entry_write, 100 + done, n)
            anchor_ms += timed(anchor_write, 100 + done, n)
            done += n
        report = store.verify_chain()
        kind = fs_type(folder)
        store.close()
        bare.close()

    if not report.ok:
        print(f"chain check failed after the run: {report.message}", file=sys.stderr)
        return 1
    print(f"folder: {folder} ({kind}); {report.message}")
    print()
    print("| write | n | median ms | p95 ms | max ms | writes/s |")
    print("|---|---:|---:|---:|---:|---:|")
    print(
        summary("durable entry (1 txn, WAL+FULL; head record pwrite, fdatasync every 32)", entry_ms)
    )
    print(summary("anchor: bare 1-row INSERT commit, WAL+FULL", anchor_ms))
    ratio = statistics.median(entry_ms) / statistics.median(anchor_ms)
    print()
    print(f"entry write / anchor (median): {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
