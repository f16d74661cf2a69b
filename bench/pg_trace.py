"""The central server on PostgreSQL: ingest rate, and a trace over 10 million visits.

    python bench/pg_trace.py [--visits 10000000] [--ingest 50000] [--batch 500]

Starts a throwaway PostgreSQL cluster of its own (the machine's binaries, as
the tests do: ``tests/integration/pg_cluster.py``), durable (fsync and
synchronous commit on, as a server would run), in a temporary folder that is
removed at the end.

1. Ingest: ``--ingest`` hash-linked entries of 4 kiosks stored batch by batch
   with ``store_batch`` (one transaction each: advisory locks, neighbour
   check, COPY of the entries, the batch row), into PostgreSQL and, side by
   side, into the SQLite store (WAL, synchronous=FULL) in /tmp.  Entries are
   built up front; only storing is timed.  The HTTP server's own work
   (signatures, parsing) is ``bench/server_ingest.py``'s.
2. Trace: ``--visits`` synthetic scans of 30 days at 250 sites of 4 kiosks
   (1,000 kiosks, about 333 scans per kiosk a day, a population of 1,000,000
   holders) loaded with COPY in transactions of 1,000,000 rows into the
   store's own ``entries`` table with its secondary indexes and primary key
   dropped, then the indexes built (each timed) and the table analysed.  The
   case holder's key is the real ``holder_key(salt, issuer, id)``: 20 visits,
   spread over the month and the sites.  Then ``server_stub.trace.trace``
   runs over the whole month (the authority's question), three times, with
   the plans of its two queries (EXPLAIN ANALYZE).  Each row's body is a
   scan's full wire entry (about 320 bytes), as the server keeps it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kiosk.core.entry import (  # noqa: E402
    GENESIS_HASH,
    EntryKind,
    canonical_json,
    new_entry_id,
    seal_entry,
)
from kiosk.core.holder import holder_key  # noqa: E402
from server_stub.pg_store import HOLDER_SCANS_SQL, SCANS_NEAR_SQL, PgStore  # noqa: E402
from server_stub.storage import ServerStore  # noqa: E402
from server_stub.store_port import Store  # noqa: E402
from server_stub.trace import trace  # noqa: E402
from tests.integration.pg_cluster import PG_MISSING, PgCluster, pg_bindir  # noqa: E402

ISS = "CN-HC"
SALT = b"city-deployment-salt-for-the-bench"
CASE = bytes.fromhex("c0ffee00" * 4)
T0 = 1_795_000_000_000
DAY = 86_400_000
DAYS = 30
SITES = 250
PER_SITE = 4
KIOSKS = SITES * PER_SITE
POPULATION = 1_000_000
CASE_VISITS = 20
CHUNK = 1_000_000

SERVER_SETTINGS = (
    "-c shared_buffers=256MB -c maintenance_work_mem=512MB -c max_wal_size=8GB"
    " -c checkpoint_timeout=30min -c work_mem=64MB -c max_parallel_maintenance_workers=1"
)

INDEXES = [
    ("entries primary key (id)", "ALTER TABLE entries ADD PRIMARY KEY (id)"),
    ("entries_by_holder (holder_key, at_ms)",
     "CREATE INDEX entries_by_holder ON entries (holder_key, at_ms)"),
    ("entries_by_kiosk_time (kiosk_id, at_ms)",
     "CREATE INDEX entries_by_kiosk_time ON entries (kiosk_id, at_ms)"),
    ("entries_by_kiosk_seq unique (kiosk_id, seq)",
     "CREATE UNIQUE INDEX entries_by_kiosk_seq ON entries (kiosk_id, seq)"),
    ("entries_by_visit (visit_id)", "CREATE INDEX entries_by_visit ON entries (visit_id)"),
]  # fmt: skip


def kiosk_name(k: int) -> str:
    return f"k{k:04d}"


# --- 1. ingest ---------------------------------------------------------------


def ingest_batches(n: int, batch: int) -> list[tuple[str, str, list, list[str]]]:
    kiosks = 4
    per = n // kiosks
    out = []
    for k in range(kiosks):
        kiosk = f"ingest-{k}"
        prev = GENESIS_HASH
        run = []
        for seq in range(1, per + 1):
            at = T0 + seq * 1000
            e = seal_entry(
                id=new_entry_id(at, os.urandom(10)), seq=seq, at_ms=at, kiosk_id=kiosk,
                kind=EntryKind.SCAN, prev_hash=prev, verdict="ALLOW", colour="G", name="李*",
                holder_key=f"{seq:064x}",
            )  # fmt: skip
            run.append(e)
            prev = e.hash
        for start in range(0, per, batch):
            chunk = run[start : start + batch]
            bodies = [
                canonical_json(
                    {k: v for k, v in e.to_wire().items() if k not in ("prev_hash", "hash")}
                )
                for e in chunk
            ]
            out.append((kiosk, f"{kiosk}-{start}", chunk, bodies))
    # interleave the kiosks, as their batches would arrive
    out.sort(key=lambda b: (int(b[1].rsplit("-", 1)[1]), b[0]))
    return out


def time_ingest(store: Store, batches: list[tuple[str, str, list, list[str]]]) -> float:
    t = time.perf_counter()
    for kiosk, batch_id, entries, bodies in batches:
        store.store_batch(
            kiosk_id=kiosk, batch_id=batch_id, body_sha256="0" * 64, entries=entries,
            bodies=bodies, now_ms=T0, head=(entries[-1].seq, entries[-1].hash),
        )  # fmt: skip
    return time.perf_counter() - t


def time_ingest_parallel(
    stores: list[Store], batches: list[tuple[str, str, list, list[str]]]
) -> float:
    """The batches over several stores at once (each its own connection: what several server
    processes sharing one database do); a kiosk's batches stay on one store, in order."""
    shares: list[list[tuple[str, str, list, list[str]]]] = [[] for _ in stores]
    for b in batches:
        shares[int(b[0].rsplit("-", 1)[1]) % len(stores)].append(b)
    threads = [
        threading.Thread(target=time_ingest, args=(store, share))
        for store, share in zip(stores, shares, strict=True)
    ]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return time.perf_counter() - t


# --- 2. 10 million visits ----------------------------------------------------


def case_rows(n: int) -> dict[int, None]:
    """Row numbers of the case's visits: spread over the month and over the sites."""
    return {(n // CASE_VISITS) * j + 137 * j + 11: None for j in range(CASE_VISITS)}


BODY = (
    '{"at_ms":%d,"certificates":[],"colour":"G","holder_key":"%s","id":"%s","kind":"scan",'
    '"kiosk_id":"%s","mask":%s,"name":"%s","note":"","reasons":[],"refers_to":null,"seq":%d,'
    '"temperature_c":%s,"verdict":"ALLOW"}'
)
"""A scan's body as the server keeps it (every wire field but the hashes; about 320 bytes)."""


def rows_text(start: int, stop: int, n: int, case_key: str, case_at: dict[int, None]) -> str:
    per_kiosk = n // KIOSKS + 1
    step = DAYS * DAY // per_kiosk
    lines = []
    for i in range(start, stop):
        k = i % KIOSKS
        seq = i // KIOSKS + 1
        at = T0 + (seq - 1) * step + k * 61
        if i in case_at:
            key, name = case_key, "Ch*n"
        else:
            key = f"{(i * 2654435761) % POPULATION:032x}"  # as long as a real key
            name = "W*ng" if i % 7 == 0 else "L*"
        h = f"{i:032x}"
        rid = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
        kiosk = kiosk_name(k)
        body = BODY % (at, key, rid, kiosk, "true" if i % 3 else "null", name, seq,
                       "36.6" if i % 5 else "null")  # fmt: skip
        lines.append(
            f"{rid}\t{kiosk}\t{seq}\t{at}\tscan\tALLOW\t{i:064x}\t{i + 1:064x}"
            f"\tload-{k}\t{at}\t{body}\t{key}\t{rid}\n"
        )
    return "".join(lines)


def load(store: PgStore, n: int) -> dict[str, float]:
    db = store._db  # the bench loads the store's own table directly (COPY, no indexes)
    figures: dict[str, float] = {}
    db.execute(
        "DROP INDEX entries_by_kiosk_seq, entries_by_holder, entries_by_kiosk_time,"
        " entries_by_visit"
    )
    db.execute("ALTER TABLE entries DROP CONSTRAINT entries_pkey")
    key = holder_key(SALT, ISS, CASE)
    case_at = case_rows(n)
    t = time.perf_counter()
    for start in range(0, n, CHUNK):
        stop = min(n, start + CHUNK)
        with (
            db.transaction(),
            db.cursor() as cur,
            cur.copy(
                "COPY entries (id, kiosk_id, seq, at_ms, kind, verdict, prev_hash, hash, batch_id,"
                " received_ms, body, holder_key, visit_id) FROM STDIN"
            ) as copy,
        ):
            for sub in range(start, stop, 100_000):
                copy.write(rows_text(sub, min(stop, sub + 100_000), n, key, case_at))
        print(f"  loaded {stop:,} rows, {time.perf_counter() - t:.1f} s", flush=True)
    figures["load_s"] = time.perf_counter() - t
    for label, sql in INDEXES:
        t = time.perf_counter()
        db.execute(sql)
        figures[label] = time.perf_counter() - t
        print(f"  {label}: {figures[label]:.1f} s", flush=True)
    t = time.perf_counter()
    db.execute("ANALYZE entries")
    figures["analyze_s"] = time.perf_counter() - t
    row = db.execute(
        "SELECT pg_total_relation_size('entries'), pg_relation_size('entries')"
    ).fetchone()
    assert row is not None
    figures["total_bytes"], figures["table_bytes"] = float(row[0]), float(row[1])
    return figures


def explain(store: PgStore, sql: str, params: tuple[object, ...]) -> str:
    rows = store._db.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params).fetchall()
    # the 1,000 kiosk ids of the holder query's array, shortened for the reader
    lines = [re.sub(r"'\{(k\d+),[^}]{200,},(k\d+)\}'", r"'{\1,...,\2}'", r[0]) for r in rows]
    return "\n".join("    " + line for line in lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=10_000_000)
    parser.add_argument("--ingest", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--ingest-only", action="store_true", help="skip the 10M-visit trace")
    args = parser.parse_args()
    bindir = pg_bindir()
    if bindir is None:
        print(PG_MISSING, file=sys.stderr)
        return 2
    print(f"load average at start: {os.getloadavg()}")
    cluster = PgCluster(bindir).start(durable=True, settings=SERVER_SETTINGS)
    try:
        version = PgStore(cluster.url())._db.execute("SHOW server_version").fetchone()
        print(f"PostgreSQL {version[0] if version else '?'} in {cluster.dir} (durable)")

        # 1. ingest, side by side
        batches = ingest_batches(args.ingest, args.batch)
        n = sum(len(b[2]) for b in batches)
        with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
            sqlite = ServerStore(Path(tmp) / "server.sqlite")
            s_sqlite = time_ingest(sqlite, batches)
            sqlite.close()
        pg = PgStore(cluster.url())
        s_pg = time_ingest(pg, batches)
        assert pg.entry_count() == n and all(pg.check_chain(f"ingest-{k}").ok for k in range(4))
        pg.close()
        with PgStore(cluster_url := cluster.url())._db as admin:
            admin.execute("CREATE DATABASE ingest2")
        two = [PgStore(cluster_url.replace("/postgres?", "/ingest2?")) for _ in range(2)]
        s_pg2 = time_ingest_parallel(list(two), batches)
        assert two[0].entry_count() == n and all(
            two[0].check_chain(f"ingest-{k}").ok for k in range(4)
        )
        for st in two:
            st.close()
        print(
            f"ingest {n:,} entries in batches of {args.batch}: PostgreSQL {n / s_pg:,.0f}"
            f" entries/s ({s_pg:.2f} s), on two connections at once {n / s_pg2:,.0f} entries/s"
            f" ({s_pg2:.2f} s); SQLite {n / s_sqlite:,.0f} entries/s ({s_sqlite:.2f} s)"
        )
        print(f"load average after ingest: {os.getloadavg()}")
        if args.ingest_only:
            return 0

        # 2. the month of visits, then the trace
        with PgStore(cluster_url)._db as admin:
            admin.execute("CREATE DATABASE city")
        city = cluster_url.replace("/postgres?", "/city?")
        store = PgStore(city)
        for k in range(KIOSKS):
            store.register_kiosk(
                kiosk_name(k), "PEM", now_ms=T0, site=f"site-{k % SITES:03d}", holder_salt=SALT
            )
        figures = load(store, args.visits)
        print(
            f"loaded {args.visits:,} visits in {figures['load_s']:.1f} s"
            f" ({args.visits / figures['load_s']:,.0f} rows/s); table"
            f" {figures['table_bytes'] / 2**30:.2f} GiB, with indexes"
            f" {figures['total_bytes'] / 2**30:.2f} GiB; ANALYZE {figures['analyze_s']:.1f} s"
        )
        print(f"load average after load: {os.getloadavg()}")
        timings = []
        for _ in range(3):
            t = time.perf_counter()
            result = trace(
                store, issuer=ISS, holder_id=CASE, start_ms=T0, end_ms=T0 + (DAYS + 1) * DAY,
                window_min=15,
            )  # fmt: skip
            timings.append(time.perf_counter() - t)
        contacts = sum(len(v.contacts) for v in result.visits)
        print(
            f"trace over the month: {len(result.visits)} visits of the case,"
            f" {contacts} contacts; {', '.join(f'{s * 1000:.1f}' for s in timings)} ms"
            " (first, second, third run)"
        )
        assert len(result.visits) == CASE_VISITS, len(result.visits)
        key = holder_key(SALT, ISS, CASE)
        every = [kiosk_name(k) for k in range(KIOSKS)]
        print("plan, the case's scans (holder_scans):")
        print(explain(store, HOLDER_SCANS_SQL, (key, T0, T0 + (DAYS + 1) * DAY, every)))
        first = result.visits[0]
        site_kiosks = [
            kiosk_name(k) for k in range(KIOSKS) if k % SITES == int(first.kiosk_id[1:]) % SITES
        ]
        print("plan, who was there (scans_near, one visit):")
        print(
            explain(
                store, SCANS_NEAR_SQL,
                (first.at_ms - 15 * 60_000, first.at_ms + 15 * 60_000, site_kiosks, key),
            )
        )  # fmt: skip
        print(json.dumps({"ingest_pg_per_s": n / s_pg, "ingest_sqlite_per_s": n / s_sqlite,
                          **figures, "trace_ms": [s * 1000 for s in timings]}))  # fmt: skip
        print(f"load average at end: {os.getloadavg()}")
        store.close()
    finally:
        cluster.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
