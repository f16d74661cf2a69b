"""Shared parts for the server and sync tests: a real issuer, kiosk configs, a server process.

Everything is real: issuer keys and signed lists on disk, kiosk config files,
the server as a thread (``ServerThread``) or as its own process
(``ServerProcess``, started with ``python -m server_stub serve --port 0``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.adapters.config import KioskConfig, load_config
from kiosk.adapters.identity import load_or_create_identity, public_pem
from kiosk.adapters.store import EntryStore
from kiosk.adapters.sync import SyncClient
from kiosk.core.entry import GENESIS_HASH, Entry, EntryKind, new_entry_id, seal_entry
from kiosk.core.errors import Reason, ReasonCode, Severity
from kiosk.core.model import Colour, Decision, Verdict
from kiosk.core.server_signed import batch_statement
from kiosk.core.trust import load_root_key
from server_stub import process
from server_stub.issuer import Issuer
from server_stub.server import ServerSettings, ServerThread
from server_stub.store_port import is_postgres_url, open_store

REPO = Path(__file__).resolve().parents[2]
POLICY = REPO / "config" / "policy.toml"


def make_issuer(directory: Path) -> Issuer:
    return Issuer.create(directory, now=int(time.time()) - 3600)


ADMIN_TOKEN = "test-admin-token"
"""The operator's admin credential in every test server (its hash is put in the database)."""

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def grant_admin(db: Path | str) -> None:
    """Make ``ADMIN_TOKEN`` an admin credential of the server database ``db`` (a SQLite
    file or a postgresql:// URL)."""
    store = open_store(db)
    try:
        digest = hashlib.sha256(ADMIN_TOKEN.encode()).hexdigest()
        store.add_admin_token(digest, now_ms=int(time.time() * 1000))
    finally:
        store.close()


def settings(
    tmp: Path, issuer_dir: Path, *, db: Path | str | None = None, **changes: Any
) -> ServerSettings:
    """Server settings with the test policy; the store is ``db`` (a SQLite file or a
    postgresql:// URL, ``server_db``), by default ``tmp/server.sqlite``."""
    url = str(db) if db is not None and is_postgres_url(db) else None
    fields: dict[str, Any] = {
        "issuer_dir": issuer_dir,
        "db_path": tmp / "server.sqlite" if db is None or url else Path(db),
        "db_url": url,
        "policy_path": POLICY,
    }
    fields.update(changes)
    grant_admin(fields["db_url"] or fields["db_path"])
    return ServerSettings(**fields)


def write_config(
    directory: Path,
    *,
    url: str,
    issuer_dir: Path,
    kiosk_id: str = "gate-01",
    timeout_s: float = 2.0,
    server: dict[str, Any] | None = None,
    **sync: Any,
) -> Path:
    """A kiosk config file in ``directory`` pinning the issuer's root key."""
    directory.mkdir(parents=True, exist_ok=True)
    sync_values = {
        "interval_s": 0.2,
        "batch_size": 50,
        "backoff_base_s": 0.02,
        "backoff_max_s": 0.5,
    }
    sync_values.update(sync)
    lines = [
        f'kiosk_id = "{kiosk_id}"',
        'data_dir = "data"',
        f'policy = "{POLICY}"',
        'holder_salt = "test-salt"',
        "[trust]",
        f'root_key = "{issuer_dir / "root.pub.pem"}"',
        "[server]",
        f'url = "{url}"',
        f"timeout_s = {timeout_s}",
        *(f"{k} = {json.dumps(v)}" for k, v in (server or {}).items()),
        "[sync]",
        *(f"{k} = {json.dumps(v)}" for k, v in sync_values.items()),
    ]
    path = directory / "kiosk.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def kiosk(
    directory: Path, *, url: str, issuer_dir: Path, **kwargs: Any
) -> tuple[KioskConfig, Ed25519PrivateKey]:
    config = load_config(write_config(directory, url=url, issuer_dir=issuer_dir, **kwargs))
    return config, load_or_create_identity(config.identity_key)


def register(url: str, kiosk_id: str, key: Ed25519PrivateKey) -> None:
    r = requests.post(
        f"{url}/v1/kiosks",
        json={"kiosk_id": kiosk_id, "public_key_pem": public_pem(key).decode()},
        headers=ADMIN,
        timeout=5,
    )
    assert r.status_code in (200, 201), r.text


def set_faults(url: str, spec: str) -> None:
    r = requests.post(f"{url}/v1/admin/faults", json={"spec": spec}, timeout=5)
    assert r.status_code == 200, r.text


def decision(i: int) -> Decision:
    """A plausible decision; verdict cycles so the counts are not all one kind."""
    verdict = (Verdict.ALLOW, Verdict.DENY, Verdict.REVIEW)[i % 3]
    reasons = (
        ()
        if verdict is Verdict.ALLOW
        else (Reason(ReasonCode.COLOUR_REVIEW, Severity.REVIEW, "yellow code"),)
    )
    return Decision(
        verdict=verdict,
        reasons=reasons,
        decided_at=1_795_420_800 + i,
        name=f"王*{i % 10}",
        colour=Colour.GREEN,
        holder_key=f"{i:064x}",
    )


def make_entries(
    kiosk_id: str, n: int, *, start_seq: int = 1, prev: str = GENESIS_HASH, at_ms: int | None = None
) -> list[Entry]:
    """A hash-linked run of entries, as a kiosk would log them."""
    base = int(time.time() * 1000) if at_ms is None else at_ms
    out = []
    for k in range(n):
        seq = start_seq + k
        e = seal_entry(
            id=new_entry_id(base + k, os.urandom(10)),
            seq=seq,
            at_ms=base + k,
            kiosk_id=kiosk_id,
            kind=EntryKind.SCAN,
            prev_hash=prev,
            verdict="ALLOW",
            colour="G",
            name="李*",
            holder_key=f"{seq:064x}",
        )
        out.append(e)
        prev = e.hash
    return out


def batch_body(
    kiosk_id: str,
    entries: Sequence[Entry],
    *,
    batch_id: str | None = None,
    sent_at_ms: int | None = None,
) -> tuple[str, bytes]:
    bid = batch_id or str(uuid.uuid4())
    body = json.dumps(
        {
            "kiosk_id": kiosk_id,
            "batch_id": bid,
            "sent_at_ms": int(time.time() * 1000) if sent_at_ms is None else sent_at_ms,
            "entries": [e.to_wire() for e in entries],
        },
        separators=(",", ":"),
    ).encode()
    return bid, body


def post_batch(
    url: str,
    kiosk_id: str,
    key: Ed25519PrivateKey,
    body: bytes,
    batch_id: str,
    **extra_headers: str,
) -> requests.Response:
    digest = hashlib.sha256(body).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "X-Kiosk-Id": kiosk_id,
        "X-Signature": base64.b64encode(key.sign(batch_statement(kiosk_id, digest))).decode(),
        "X-Body-SHA256": digest,
        "Idempotency-Key": batch_id,
    }
    headers.update(extra_headers)
    return requests.post(f"{url}/v1/batches", data=body, headers=headers, timeout=10)


class ServerProcess(process.ServerProcess):
    """The server as a child process with the test policy and a database in ``tmp``."""

    def __init__(
        self, tmp: Path, issuer_dir: Path, *extra: str, db: Path | None = None, port: int = 0
    ) -> None:
        db = db or tmp / "server.sqlite"
        grant_admin(db)
        super().__init__(issuer_dir, db, POLICY, *extra, port=port)


def server_thread(tmp: Path, issuer_dir: Path, **changes: Any) -> Iterator[ServerThread]:
    with ServerThread(settings(tmp, issuer_dir, **changes)) as server:
        yield server


def client_for(
    tmp: Path, url: str, issuer: Issuer, **server: object
) -> tuple[SyncClient, EntryStore]:
    """A sync client (no sleeping between retries) and its log, for a kiosk at ``url``."""
    config, key = kiosk(tmp / "kiosk", url=url, issuer_dir=issuer.directory, server=server)
    config.data_dir.mkdir(parents=True, exist_ok=True)
    store = EntryStore(config.data_dir / "entries.sqlite", kiosk_id=config.kiosk_id)
    client = SyncClient(
        config, store, key, root_key=load_root_key(issuer.root_public_pem), sleep=lambda s: None
    )
    return client, store
