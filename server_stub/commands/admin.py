"""``server-stub admin ...``: register kiosks, revoke holders, rotate keys, show stats.

    server-stub admin register-kiosk --db DB --id KIOSK --public-key PEM_FILE
    server-stub admin revoke --issuer-dir DIR --holder-id HEX
    server-stub admin rotate --issuer-dir DIR --alg ES256|EdDSA
    server-stub admin stats --db DB

These work on the files directly, so they work whether the server runs or not
(SQLite in WAL mode lets the running server keep serving).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from server_stub.cli import StubUsageError
from server_stub.issuer import Issuer, IssuerError
from server_stub.server import load_ed25519_public_pem
from server_stub.storage import ServerStore


def register(subs: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subs.add_parser("admin", help="administer the central server stub")
    admin = p.add_subparsers(dest="admin_command", required=True)

    r = admin.add_parser("register-kiosk", help="register a kiosk's Ed25519 public key")
    r.add_argument("--db", type=Path, required=True)
    r.add_argument("--id", dest="kiosk_id", required=True)
    r.add_argument("--public-key", type=Path, required=True, help="PEM file (kiosk keygen)")
    r.set_defaults(func=register_kiosk)

    v = admin.add_parser("revoke", help="revoke a holder: new revocation list version")
    v.add_argument("--issuer-dir", type=Path, required=True)
    v.add_argument("--holder-id", required=True, help="16-byte holder id, hex")
    v.set_defaults(func=revoke)

    o = admin.add_parser("rotate", help="add an issuer key: new trust list version")
    o.add_argument("--issuer-dir", type=Path, required=True)
    o.add_argument("--alg", required=True, choices=["ES256", "EdDSA"])
    o.set_defaults(func=rotate)

    s = admin.add_parser("stats", help="entries per kiosk and whether each log is complete")
    s.add_argument("--db", type=Path, required=True)
    s.set_defaults(func=stats)


def register_kiosk(args: argparse.Namespace) -> int:
    try:
        pem = args.public_key.read_text("ascii")
        load_ed25519_public_pem(pem)
    except OSError as exc:
        raise StubUsageError(f"{args.public_key}: cannot read: {exc.strerror}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise StubUsageError(f"{args.public_key}: {exc}") from None
    store = ServerStore(args.db)
    try:
        changed = store.register_kiosk(args.kiosk_id, pem, now_ms=int(time.time() * 1000))
    finally:
        store.close()
    print(f"kiosk {args.kiosk_id}: {'registered' if changed else 'already registered'}")
    return 0


def _issuer(directory: Path) -> Issuer:
    try:
        return Issuer.open(directory)
    except IssuerError as exc:
        raise StubUsageError(str(exc)) from None


def revoke(args: argparse.Namespace) -> int:
    try:
        holder = bytes.fromhex(args.holder_id)
    except ValueError:
        raise StubUsageError(f"--holder-id {args.holder_id!r}: not hex") from None
    try:
        version = _issuer(args.issuer_dir).revoke(holder, now=int(time.time()))
    except IssuerError as exc:
        raise StubUsageError(str(exc)) from None
    print(f"revoked {holder.hex()}: revocation list version {version}")
    return 0


def rotate(args: argparse.Namespace) -> int:
    issuer = _issuer(args.issuer_dir)
    try:
        kid = issuer.rotate(args.alg, now=int(time.time()))
    except IssuerError as exc:
        raise StubUsageError(str(exc)) from None
    print(f"new {args.alg} key {kid.hex()}: trust list version {issuer.trust_list_version}")
    return 0


def stats(args: argparse.Namespace) -> int:
    if not args.db.exists():
        raise StubUsageError(f"{args.db}: no server database here")
    store = ServerStore(args.db)
    try:
        rows = store.stats()
        if not rows:
            print("no kiosks, no entries")
        for s in rows:
            chain = store.check_chain(s.kiosk_id)
            verdicts = " ".join(f"{k}={v}" for k, v in sorted(s.verdicts.items()))
            print(
                f"{s.kiosk_id}: {s.entries} entries in {s.batches} batches"
                f"{', ' + verdicts if verdicts else ''}; {chain.message}"
            )
    finally:
        store.close()
    return 0
