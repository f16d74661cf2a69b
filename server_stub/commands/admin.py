"""``server-stub admin ...``: register kiosks, revoke holders, rotate keys, show stats.

    server-stub admin init-admin --db DB --out TOKEN_FILE
    server-stub admin register-kiosk --db DB --id KIOSK --public-key PEM_FILE
        [--site SITE] [--holder-salt-file SALT_FILE]
    server-stub admin trace --db DB --issuer ISS --holder-id HEX --since T --until T
        [--window-min 15] [--json]
    server-stub admin revoke-kiosk --db DB --id KIOSK
    server-stub admin ack-key --db DB [--out PEM_FILE]
    server-stub admin revoke --issuer-dir DIR --holder-id HEX
    server-stub admin rotate --issuer-dir DIR --alg ES256|EdDSA
    server-stub admin stats --db DB

These work on the database directly, so they work whether the server runs or not
(SQLite in WAL mode lets the running server keep serving; PostgreSQL serves
both): whoever can write the database is the operator.  ``--db`` is the
server's SQLite file or a ``postgresql://`` URL (``server_stub.store_port``).
``init-admin`` makes the admin credential that the HTTP API asks for
(registering a kiosk over the network, re-keying one without its current
key, recent entries in ``/v1/stats``): a random token written to a 0600 file;
the database keeps only its SHA-256.
``revoke-kiosk`` refuses a kiosk's batches from now on (registering it again
lifts that).  ``ack-key`` prints the public half of the server's ack key,
for kiosks that pin it (``server.ack_key``) rather than fetch the certified one.
``register-kiosk --holder-salt-file`` registers the deployment's holder salt
(the kiosk's ``holder_salt_file``, copied over the operator's own channel) and
``--site`` the kiosk's site, both for ``trace``: the salt is kept in the
database and never printed or served.  ``trace`` is the health authority's
source tracing (``server_stub.trace``): the case's visits and who was at the
same site within ``--window-min`` minutes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import secrets
import time
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from server_stub.ack_signer import AckKeyError, load_or_create_ack_key
from server_stub.cli import StubUsageError
from server_stub.issuer import Issuer, IssuerError
from server_stub.server import load_ed25519_public_pem
from server_stub.store_port import Store, StoreConfigError, is_postgres_url, open_store
from server_stub.trace import trace

MAX_SALT_BYTES = 4096

DB_HELP = "the server's SQLite file, or a postgresql:// URL"


def open_db(db: str, *, existing: bool = False) -> Store:
    """The store ``--db`` names, or a usage error saying what is wrong with it."""
    if existing and not is_postgres_url(db) and not Path(db).exists():
        raise StubUsageError(f"{db}: no server database here")
    try:
        return open_store(db)
    except StoreConfigError as exc:
        raise StubUsageError(str(exc)) from None


def ack_key_beside(db: str) -> Path:
    """Where the ack key is kept by default: beside the SQLite file."""
    if is_postgres_url(db):
        raise StubUsageError(
            "--db is a PostgreSQL URL: give --ack-key FILE (by default the ack key is kept"
            " beside a SQLite file, and a database server has no folder for it)"
        )
    return Path(db).with_name("server-ack-key.pem")


def register(subs: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subs.add_parser("admin", help="administer the central server stub")
    admin = p.add_subparsers(dest="admin_command", required=True)

    r = admin.add_parser("register-kiosk", help="register a kiosk's Ed25519 public key")
    r.add_argument("--db", required=True, help=DB_HELP)
    r.add_argument("--id", dest="kiosk_id", required=True)
    r.add_argument("--public-key", type=Path, required=True, help="PEM file (kiosk keygen)")
    r.add_argument("--site", help="the kiosk's site (tracing groups kiosks by site)")
    r.add_argument(
        "--holder-salt-file", type=Path,
        help="the deployment's holder salt (the kiosk's holder_salt_file), for tracing",
    )  # fmt: skip
    r.set_defaults(func=register_kiosk)

    t = admin.add_parser("trace", help="a positive case's visits and who was there (authority)")
    t.add_argument("--db", required=True, help=DB_HELP)
    t.add_argument("--issuer", required=True, help="the code's issuer (iss)")
    t.add_argument("--holder-id", required=True, help="the holder id, hex")
    t.add_argument("--since", required=True, help="ISO 8601 time or date (no zone: UTC)")
    t.add_argument("--until", required=True, help="ISO 8601 time or date (no zone: UTC)")
    t.add_argument("--window-min", type=int, default=15, help="± minutes around each visit")
    t.add_argument("--json", action="store_true", help="print JSON instead of text")
    t.set_defaults(func=run_trace)

    a = admin.add_parser("init-admin", help="create an admin token (written to a 0600 file)")
    a.add_argument("--db", required=True, help=DB_HELP)
    a.add_argument("--out", type=Path, required=True, help="file to write the token to")
    a.set_defaults(func=init_admin)

    k = admin.add_parser("revoke-kiosk", help="refuse a kiosk's batches from now on")
    k.add_argument("--db", required=True, help=DB_HELP)
    k.add_argument("--id", dest="kiosk_id", required=True)
    k.set_defaults(func=revoke_kiosk)

    e = admin.add_parser("ack-key", help="print the server's ack public key (PEM)")
    e.add_argument("--db", required=True, help=DB_HELP)
    e.add_argument("--ack-key", type=Path, help="the ack key file (default beside the db)")
    e.add_argument("--out", type=Path, help="write the PEM here instead of printing it")
    e.set_defaults(func=ack_key)

    v = admin.add_parser("revoke", help="revoke a holder: new revocation list version")
    v.add_argument("--issuer-dir", type=Path, required=True)
    v.add_argument("--holder-id", required=True, help="16-byte holder id, hex")
    v.set_defaults(func=revoke)

    o = admin.add_parser("rotate", help="add an issuer key: new trust list version")
    o.add_argument("--issuer-dir", type=Path, required=True)
    o.add_argument("--alg", required=True, choices=["ES256", "EdDSA"])
    o.set_defaults(func=rotate)

    s = admin.add_parser("stats", help="entries per kiosk and whether each log is complete")
    s.add_argument("--db", required=True, help=DB_HELP)
    s.set_defaults(func=stats)


def register_kiosk(args: argparse.Namespace) -> int:
    try:
        pem = args.public_key.read_text("ascii")
        load_ed25519_public_pem(pem)
    except OSError as exc:
        raise StubUsageError(f"{args.public_key}: cannot read: {exc.strerror}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise StubUsageError(f"{args.public_key}: {exc}") from None
    salt = None if args.holder_salt_file is None else read_salt(args.holder_salt_file)
    store = open_db(args.db)
    try:
        changed = store.register_kiosk(
            args.kiosk_id, pem, now_ms=int(time.time() * 1000), site=args.site, holder_salt=salt
        )
    finally:
        store.close()
    print(f"kiosk {args.kiosk_id}: {'registered' if changed else 'already registered'}")
    return 0


def init_admin(args: argparse.Namespace) -> int:
    token = secrets.token_urlsafe(32)
    store = open_db(args.db)  # first: no token file for a database that cannot be opened
    try:
        try:
            fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise StubUsageError(
                f"{args.out}: exists already; not overwriting a credential"
            ) from None
        except OSError as exc:
            raise StubUsageError(f"{args.out}: cannot create: {exc.strerror}") from None
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(token + "\n")
        digest = hashlib.sha256(token.encode("ascii")).hexdigest()
        store.add_admin_token(digest, now_ms=int(time.time() * 1000))
    finally:
        store.close()
    print(f"admin token written to {args.out} (send it as: Authorization: Bearer TOKEN)")
    return 0


def revoke_kiosk(args: argparse.Namespace) -> int:
    store = open_db(args.db)
    try:
        done = store.revoke_kiosk(args.kiosk_id, now_ms=int(time.time() * 1000))
    finally:
        store.close()
    if not done:
        raise StubUsageError(f"kiosk {args.kiosk_id}: not registered in {store.location}")
    print(f"kiosk {args.kiosk_id}: revoked; its batches are refused from now on")
    return 0


def ack_key(args: argparse.Namespace) -> int:
    path = args.ack_key or ack_key_beside(args.db)
    try:
        key = load_or_create_ack_key(path)
    except AckKeyError as exc:
        raise StubUsageError(str(exc)) from None
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if args.out:
        args.out.write_bytes(pem)
        print(f"ack public key written to {args.out}")
    else:
        print(pem.decode("ascii"), end="")
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
    store = open_db(args.db, existing=True)
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


def read_salt(path: Path) -> bytes:
    """A holder salt file as the kiosk reads it (``kiosk.adapters.config.holder_salt``)."""
    try:
        with path.open("rb") as fh:
            salt = fh.read(MAX_SALT_BYTES + 1).strip()
    except OSError as exc:
        raise StubUsageError(f"{path}: cannot read: {exc.strerror}") from None
    if len(salt) > MAX_SALT_BYTES or len(salt) < 16:
        raise StubUsageError(f"{path}: a holder salt is 16 to {MAX_SALT_BYTES} bytes")
    return salt


def parse_time_ms(text: str, what: str) -> int:
    try:
        moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise StubUsageError(f"{what}: expected ISO 8601, got {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp() * 1000)


def _utc(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).isoformat(timespec="seconds")


def run_trace(args: argparse.Namespace) -> int:
    try:
        holder = bytes.fromhex(args.holder_id)
    except ValueError:
        raise StubUsageError(f"--holder-id {args.holder_id!r}: not hex") from None
    if args.window_min < 0:
        raise StubUsageError("--window-min: expected 0 or more")
    start = parse_time_ms(args.since, "--since")
    end = parse_time_ms(args.until, "--until")
    store = open_db(args.db, existing=True)
    try:
        result = trace(
            store, issuer=args.issuer, holder_id=holder, start_ms=start, end_ms=end,
            window_min=args.window_min,
        )  # fmt: skip
    finally:
        store.close()
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=1))
        return 0
    print(
        f"trace {args.issuer}/{holder.hex()} from {_utc(start)} to {_utc(end)}:"
        f" {len(result.visits)} visits, ±{args.window_min} min"
    )
    for v in result.visits:
        print(f"{_utc(v.at_ms)}  {v.site}  {v.kiosk_id}  {v.final_verdict or '-'}")
        if not v.contacts:
            print("    nobody else there")
        for c in v.contacts:
            names = f"  ({', '.join(c.names)})" if c.names else ""
            print(f"    {c.holder_key}  {c.visits} visit{'s' if c.visits != 1 else ''}{names}")
    if result.kiosks_without_salt:
        print("not traceable (no holder salt registered): " + ", ".join(result.kiosks_without_salt))
    return 0
