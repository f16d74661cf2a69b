"""Source tracing on the central server: the planted co-presences are found, nothing else.

Two deployments with their own salts: the mall and the office share one salt
(the same operator) but are different sites; the station has another.  A
fourth kiosk was registered before salts were (it cannot be traced, and the
answer says so).  Logs are real kiosk logs (``EntryStore.record``) stored
on the server as batches; the salts are registered over the admin channel.
Every expected key below is ``holder_key(salt, issuer, id)`` of the planted
person: the definition, not the server's lookup.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.adapters.identity import public_pem
from kiosk.adapters.store import EntryStore
from kiosk.core.entry import EntryDraft, EntryKind, canonical_json, new_entry_id
from kiosk.core.holder import holder_key
from server_stub.server import ServerThread
from server_stub.store_port import open_store
from tests.integration.server_harness import ADMIN, REPO, make_issuer, settings

ISS = "CN-HC"
SALT_A = b"mall-and-office-deployment-salt-0001"
SALT_B = b"station-deployment-salt-000000000002"
T0 = int(dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC).timestamp() * 1000)
MIN = 60_000
HOUR = 60 * MIN

KIOSKS = {  # kiosk -> (site, salt)
    "mall-1": ("Mall", SALT_A),
    "mall-2": ("Mall", SALT_A),
    "office-1": ("Office", SALT_A),
    "station-1": ("Station", SALT_B),
    "old-1": ("Mall", None),
}
CASE = bytes.fromhex("c0ffee00" * 4)
P = {name: bytes([i + 1]) * 16 for i, name in enumerate(["p1", "p2", "p3", "p4", "p5", "p6"])}

# (kiosk, at, holder, masked name, verdicts after the scan: scan's first)
VISITS: list[tuple[str, int, bytes, str, tuple[str, ...]]] = [
    ("mall-1", T0, CASE, "Ch*n", ("ALLOW",)),  # case visit 1
    ("station-1", T0 + 5 * HOUR, CASE, "Ch*n", ("REVIEW", "DENY")),  # case visit 2 (guard denied)
    ("office-1", T0 + 2 * 24 * HOUR, CASE, "Ch*n", ("ALLOW",)),  # outside the range
    ("old-1", T0 + HOUR, CASE, "Ch*n", ("ALLOW",)),  # no salt: cannot be traced
    ("mall-2", T0 + 10 * MIN, P["p1"], "L*", ("ALLOW",)),  # contact of 1 (same site)
    ("mall-1", T0 - 15 * MIN, P["p2"], "", ("DENY",)),  # contact of 1 (on the window's edge)
    ("mall-1", T0 - 15 * MIN - 1, P["p3"], "Zh*o", ("ALLOW",)),  # 1 ms too early
    ("station-1", T0 + 5 * HOUR + MIN, P["p4"], "W*ng", ("ALLOW",)),  # contact of 2 ...
    ("station-1", T0 + 5 * HOUR + 3 * MIN, P["p4"], "W*ng", ("ALLOW",)),  # ... twice
    ("office-1", T0, P["p5"], "S*n", ("ALLOW",)),  # same time, same salt, other site
    ("mall-1", T0 + 3 * HOUR, P["p6"], "", ("ALLOW",)),  # same site, hours later
    ("mall-1", T0 + 5 * HOUR, P["p1"], "L*", ("ALLOW",)),  # while the case was elsewhere
]


def _write_and_store(tmp: Path, db: Path | str) -> None:
    tmp.mkdir(parents=True, exist_ok=True)
    store = open_store(db)
    try:
        for kiosk, (_, salt) in KIOSKS.items():
            log = EntryStore(tmp / f"{kiosk}.sqlite", kiosk_id=kiosk)
            with log:
                for n, (k, at, holder, name, verdicts) in enumerate(VISITS):
                    if k != kiosk:
                        continue
                    key = holder_key(salt or b"x" * 16, ISS, holder)
                    scan_id = new_entry_id(at, n.to_bytes(10, "big"))
                    log.record(
                        EntryDraft(
                            id=scan_id, at_ms=at, kind=EntryKind.SCAN, verdict=verdicts[0],
                            name=name, holder_key=key,
                        )
                    )  # fmt: skip
                    for i, v in enumerate(verdicts[1:], start=1):
                        log.record(
                            EntryDraft(
                                id=new_entry_id(at + i * 20_000, (n * 10 + i).to_bytes(10, "big")),
                                at_ms=at + i * 20_000, kind=EntryKind.OVERRIDE, verdict=v,
                                refers_to=scan_id, note="guard",
                            )
                        )  # fmt: skip
                entries = list(log.iter_entries())
            bodies = [
                canonical_json(
                    {k: v for k, v in e.to_wire().items() if k not in ("prev_hash", "hash")}
                )
                for e in entries
            ]
            store.store_batch(
                kiosk_id=kiosk, batch_id=f"b-{kiosk}", body_sha256="0" * 64,
                entries=entries, bodies=bodies, now_ms=T0,
            )  # fmt: skip
    finally:
        store.close()


def _expected() -> list[dict[str, object]]:
    a1 = holder_key(SALT_A, ISS, P["p1"])
    a2 = holder_key(SALT_A, ISS, P["p2"])
    b4 = holder_key(SALT_B, ISS, P["p4"])
    return [
        {
            "site": "Mall", "kiosk_id": "mall-1", "at_ms": T0, "final_verdict": "ALLOW",
            "contacts": sorted([(a1, 1, ["L*"]), (a2, 1, [])]),
        },
        {
            "site": "Station", "kiosk_id": "station-1", "at_ms": T0 + 5 * HOUR,
            "final_verdict": "DENY", "contacts": [(b4, 2, ["W*ng"])],
        },
    ]  # fmt: skip


def _shape(answer: dict[str, object]) -> list[dict[str, object]]:
    visits = answer["visits"]
    assert isinstance(visits, list)
    return [
        {
            "site": v["site"], "kiosk_id": v["kiosk_id"], "at_ms": v["at_ms"],
            "final_verdict": v["final_verdict"],
            "contacts": sorted((c["holder_key"], c["visits"], list(c["names"])) for c in v["contacts"]),
        }
        for v in visits
    ]  # fmt: skip


def test_the_trace_finds_exactly_the_planted_co_presences(
    tmp_path: Path, server_db: Path | str
) -> None:
    """On each store backend (``server_db``: a SQLite file, a PostgreSQL database)."""
    issuer = make_issuer(tmp_path / "issuer")
    conf = settings(tmp_path, issuer.directory, db=server_db)
    with ServerThread(conf) as server:
        for kiosk, (site, salt) in KIOSKS.items():
            body: dict[str, object] = {
                "kiosk_id": kiosk,
                "public_key_pem": public_pem(Ed25519PrivateKey.generate()).decode(),
                "site": site,
            }
            if salt is not None:
                body["holder_salt"] = salt.hex()
            r = requests.post(f"{server.url}/v1/kiosks", json=body, headers=ADMIN, timeout=10)
            assert r.status_code == 201, r.text
        _write_and_store(tmp_path / "logs", server_db)
        query = {
            "issuer": ISS, "holder_id": CASE.hex(), "since_ms": T0 - HOUR,
            "until_ms": T0 + 24 * HOUR, "window_min": 15,
        }  # fmt: skip
        r = requests.post(f"{server.url}/v1/trace", json=query, timeout=10)
        assert r.status_code == 401  # the authority's question needs the admin credential
        r = requests.post(f"{server.url}/v1/trace", json=query, headers=ADMIN, timeout=10)
        assert r.status_code == 200, r.text
        answer = r.json()
        assert _shape(answer) == _expected()
        assert answer["kiosks_without_salt"] == ["old-1"]
        # the salts never leave the server: not in the answer, not in the stats
        everything = (
            r.text
            + requests.get(f"{server.url}/v1/stats?recent=50", headers=ADMIN, timeout=10).text
        )
        for salt in (SALT_A, SALT_B):
            assert salt.hex() not in everything and salt.decode() not in everything

    # the same from the admin command, on the database
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [
            sys.executable, "-m", "server_stub", "admin", "trace", "--db", str(server_db),
            "--issuer", ISS, "--holder-id", CASE.hex(), "--since", "2026-11-25T01:00:00Z",
            "--until", "2026-11-26T02:00:00Z", "--json",
        ],
        cwd=REPO, capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert _shape(json.loads(done.stdout)) == _expected()
    if not isinstance(server_db, Path):
        return  # the text form is the same code on either store: once is enough
    text = subprocess.run(
        [
            sys.executable, "-m", "server_stub", "admin", "trace", "--db", str(server_db),
            "--issuer", ISS, "--holder-id", CASE.hex(), "--since", "2026-11-25",
            "--until", "2026-11-26",
        ],
        cwd=REPO, capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip
    assert text.returncode == 0, text.stderr
    assert "2 visits" in text.stdout and "(W*ng)" in text.stdout and "old-1" in text.stdout


def test_a_kiosk_cannot_set_a_salt_without_the_admin_credential(tmp_path: Path) -> None:
    issuer = make_issuer(tmp_path / "issuer")
    with ServerThread(settings(tmp_path, issuer.directory)) as server:
        body = {
            "kiosk_id": "k1",
            "public_key_pem": public_pem(Ed25519PrivateKey.generate()).decode(),
            "holder_salt": (b"s" * 32).hex(),
        }
        r = requests.post(f"{server.url}/v1/kiosks", json=body, timeout=10)
        assert r.status_code == 401
        bad = {**body, "holder_salt": "zz"}
        r = requests.post(f"{server.url}/v1/kiosks", json=bad, headers=ADMIN, timeout=10)
        assert r.status_code == 422
        assert server.store.has_salt("k1") is None


def test_register_kiosk_takes_the_salt_file_and_the_site(tmp_path: Path) -> None:
    key = tmp_path / "k.pem"
    key.write_bytes(public_pem(Ed25519PrivateKey.generate()))
    salt = tmp_path / "holder-salt"
    salt.write_text("ab" * 32 + "\n")
    db = tmp_path / "server.sqlite"
    done = subprocess.run(
        [
            sys.executable, "-m", "server_stub", "admin", "register-kiosk", "--db", str(db),
            "--id", "gate-9", "--public-key", str(key), "--site", "North gate",
            "--holder-salt-file", str(salt),
        ],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "ab" * 32 not in done.stdout + done.stderr
    store = open_store(db)
    try:
        assert store.deployments() == [("gate-9", "North gate", ("ab" * 32).encode())]
    finally:
        store.close()
