"""Server ingest rate: signed batches over loopback, every entry checked and stored.

    python bench/server_ingest.py [--entries 100000] [--batch 1000] [--clients 2]

Runs twice in one go: acks signed with the server's ack key (what kiosks
accept) and, side by side, unsigned (``--unsigned-acks``, what the landed
server sent; kiosks now refuse those), each on a fresh server and database.

Starts ``server-stub serve`` as its own process on a free 127.0.0.1 port,
registers a kiosk, builds hash-linked entries and signed batch bodies up
front (so the client's own work is not timed), then POSTs them over
keep-alive connections.  The server checks each batch's Ed25519 signature,
reads every entry strictly, recomputes every hash, and stores each batch in
one SQLite transaction (WAL, synchronous=FULL).  Prints entries/s; the
target is at least 20,000.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kiosk.core.entry import GENESIS_HASH, EntryKind, new_entry_id, seal_entry  # noqa: E402
from kiosk.core.server_signed import batch_statement  # noqa: E402
from server_stub.issuer import Issuer  # noqa: E402
from server_stub.storage import ServerStore  # noqa: E402

TARGET = 20_000


ADMIN_TOKEN = "bench-admin-token"  # noqa: S105 (a throwaway server in a temp folder)
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def start_server(tmp: Path, *extra: str) -> tuple[subprocess.Popen[str], str]:
    """A server process on a free port whose admin credential is ``ADMIN_TOKEN``."""
    issuer_dir = tmp / "issuer"
    if not issuer_dir.exists():
        Issuer.create(issuer_dir, now=int(time.time()) - 60)
    db = tmp / "server.sqlite"
    store = ServerStore(db)
    store.add_admin_token(hashlib.sha256(ADMIN_TOKEN.encode()).hexdigest(), now_ms=0)
    store.close()
    proc = subprocess.Popen(
        [sys.executable, "-m", "server_stub", "serve", "--issuer-dir", str(issuer_dir),
         "--db", str(db), "--policy", str(REPO / "config" / "policy.toml"),
         "--port", "0", *extra],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("listening on "):
        proc.kill()
        raise SystemExit(f"server did not start: {line!r}")
    return proc, line.split()[-1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def build_batches(
    kiosk_id: str, key: Ed25519PrivateKey, entries: int, size: int
) -> list[tuple[str, bytes, str]]:
    prev = GENESIS_HASH
    now = int(time.time() * 1000)
    batches = []
    seq = 0
    while seq < entries:
        wire = []
        for _ in range(min(size, entries - seq)):
            seq += 1
            e = seal_entry(
                id=new_entry_id(now + seq, os.urandom(10)), seq=seq, at_ms=now + seq,
                kiosk_id=kiosk_id, kind=EntryKind.SCAN, prev_hash=prev, verdict="ALLOW",
                reasons=(), colour="G", certificates=(("vaccination", "ok", "3 doses"),),
                name="王*明", holder_key=f"{seq:064x}",
            )  # fmt: skip
            prev = e.hash
            wire.append(e.to_wire())
        batch_id = str(uuid.uuid4())
        body = json.dumps(
            {"kiosk_id": kiosk_id, "batch_id": batch_id, "sent_at_ms": int(time.time() * 1000),
             "entries": wire},
            ensure_ascii=False, separators=(",", ":"),
        ).encode()  # fmt: skip
        digest = hashlib.sha256(body).hexdigest()
        signature = base64.b64encode(key.sign(batch_statement(kiosk_id, digest))).decode()
        batches.append((batch_id, body, signature, digest))
    return batches


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=2)
    args = parser.parse_args()
    results = [run(args, signed=True), run(args, signed=False)]
    return 0 if all(results) else 1


def run(args: argparse.Namespace, *, signed: bool) -> bool:
    kiosk_id = "bench-01"
    key = Ed25519PrivateKey.generate()
    extra = () if signed else ("--unsigned-acks",)
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_server(Path(tmp), *extra)
        try:
            pem = (
                key.public_key()
                .public_bytes(
                    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
                )
                .decode()
            )
            requests.post(f"{url}/v1/kiosks", json={"kiosk_id": kiosk_id, "public_key_pem": pem},
                          headers=ADMIN, timeout=10).raise_for_status()  # fmt: skip
            batches = build_batches(kiosk_id, key, args.entries, args.batch)
            body_bytes = sum(len(b[1]) for b in batches)
            lanes = [batches[i :: args.clients] for i in range(args.clients)]
            errors: list[str] = []

            def send(lane: list[tuple[str, bytes, str, str]]) -> None:
                with requests.Session() as s:
                    for batch_id, body, sig, digest in lane:
                        r = s.post(
                            f"{url}/v1/batches", data=body, timeout=60,
                            headers={"Content-Type": "application/json", "X-Kiosk-Id": kiosk_id,
                                     "X-Signature": sig, "X-Body-SHA256": digest,
                                     "Idempotency-Key": batch_id},
                        )  # fmt: skip
                        if r.status_code != 200:
                            errors.append(f"{r.status_code} {r.text[:200]}")
                        elif signed != ("x-ack-signature" in r.headers):
                            errors.append("ack signature header not as asked")

            threads = [threading.Thread(target=send, args=(lane,)) for lane in lanes]
            cpu_before = cpu_seconds(proc.pid)
            start = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            elapsed = time.perf_counter() - start
            server_cpu = cpu_seconds(proc.pid) - cpu_before
            stats = requests.get(f"{url}/v1/stats", timeout=30).json()
        finally:
            proc.terminate()
            proc.wait(10)
    if errors:
        print(f"{len(errors)} batches failed, first: {errors[0]}")
        return False
    rate = args.entries / elapsed
    acks = "signed acks" if signed else "unsigned acks"
    print(f"server ingest, {acks}: {args.entries} entries in {len(batches)} batches of "
          f"{args.batch} ({body_bytes / 1e6:.1f} MB), {args.clients} clients")  # fmt: skip
    print(f"  {elapsed:.2f} s -> {rate:,.0f} entries/s ({len(batches) / elapsed:.1f} batches/s); "
          f"server holds {stats['entries']}")  # fmt: skip
    load = os.getloadavg()[0]
    print(f"  server CPU {server_cpu:.2f} s -> {args.entries / server_cpu:,.0f} entries per "
          f"CPU-second; load average {load:.2f} on {os.cpu_count()} cores")  # fmt: skip
    print(f"  target >= {TARGET:,} entries/s: {'met' if rate >= TARGET else 'NOT met'}")
    return bool(stats["entries"] == args.entries)


if __name__ == "__main__":
    sys.exit(main())
