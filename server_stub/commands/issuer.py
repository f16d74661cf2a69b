"""``server-stub issuer ...``: make keys, sign lists, mint health codes.

    server-stub issuer init   --dir DIR [--region CN-330100]
    server-stub issuer mint   --dir DIR --name "Wang *ming" [--colour G] [--vac 3:2026-01-10]
                              [--nat N:20] [--travel CN-110105:H:2026-11-18,...] [--validity 300]
                              [--alg ES256|EdDSA] [--at TIME] [--png FILE]
    server-stub issuer lists  --dir DIR            # sign both lists again (new versions)
    server-stub issuer revoke --dir DIR --name N | --holder-id HEX
    server-stub issuer show   --dir DIR            # keys and list versions

Times (``--at``) are ISO 8601 or epoch seconds; the default is now.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

from kiosk.core import cose
from kiosk.core.clock import TimeFormatError, parse_instant
from kiosk.core.limits import HOLDER_ID_LEN, MAX_TIME, MIN_TIME
from kiosk.core.model import AreaVisit, NucleicAcidTest, RiskLevel, TravelRecord, Vaccination
from server_stub.cli import StubUsageError
from server_stub.issuer import Issuer, IssuerError, holder_id_for
from server_stub.qr_image import write_png


def parse_time(value: str) -> int:
    """``--at``: ISO 8601 or epoch seconds, read as the kiosk reads ``--at``."""
    try:
        at = parse_instant(value)
    except (TimeFormatError, OverflowError, ValueError) as exc:
        raise StubUsageError(f"--at: {exc}") from None
    if not MIN_TIME <= at <= MAX_TIME:
        raise StubUsageError(f"--at: {value} is outside {MIN_TIME} .. {MAX_TIME} (1970 to 9999)")
    return at


def parse_holder_id(value: str) -> bytes:
    """``--holder-id``: 32 hex digits (16 bytes), else a usage error."""
    try:
        holder = bytes.fromhex(value)
    except ValueError:
        holder = b""
    if len(holder) != HOLDER_ID_LEN:
        raise StubUsageError(f"--holder-id: expected 32 hex digits, got {value!r}")
    return holder


def _vac(value: str) -> Vaccination:
    try:
        doses, day = value.split(":", 1)
        return Vaccination(int(doses), dt.date.fromisoformat(day))
    except ValueError:
        raise StubUsageError(f"--vac {value!r}: expected DOSES:YYYY-MM-DD") from None


def _nat(value: str, now: int) -> NucleicAcidTest:
    try:
        result, hours = value.split(":", 1)
        if result not in ("N", "P"):
            raise ValueError
        return NucleicAcidTest(result == "P", now - int(float(hours) * 3600))
    except ValueError:
        raise StubUsageError(f"--nat {value!r}: expected N|P:HOURS_AGO, e.g. N:20") from None


def _travel(value: str, now: int) -> TravelRecord:
    visits = []
    for part in filter(None, value.split(",")):
        try:
            area, level, day = part.split(":")
            visits.append(AreaVisit(area, RiskLevel(level), dt.date.fromisoformat(day)))
        except ValueError:
            raise StubUsageError(f"--travel {part!r}: expected AREA:L|M|H:YYYY-MM-DD") from None
    return TravelRecord(now - 600, tuple(visits))


def _open(args: argparse.Namespace) -> Issuer:
    try:
        return Issuer.open(Path(args.dir))
    except IssuerError as exc:
        raise StubUsageError(str(exc)) from None


def cmd_init(args: argparse.Namespace) -> int:
    try:
        issuer = Issuer.create(Path(args.dir), now=int(time.time()), region=args.region)
    except IssuerError as exc:
        raise StubUsageError(str(exc)) from None
    print(f"issuer {issuer.region} created in {issuer.directory}")
    print(f"root public key: {issuer.directory / 'root.pub.pem'} (pin this in the kiosk config)")
    for k in issuer.key_records():
        print(f"key {k.kid.hex()} {cose.ALG_NAMES[k.alg]}")
    return 0


def cmd_mint(args: argparse.Namespace) -> int:
    issuer = _open(args)
    now = parse_time(args.at) if args.at else int(time.time())
    if args.validity < 1:
        raise StubUsageError(f"--validity: expected 1 second or more, got {args.validity}")
    fields: dict[str, Any] = {
        "name": args.name,
        "colour": args.colour,
        "now": now,
        "validity_s": args.validity,
    }
    if args.vac:
        fields["vaccination"] = _vac(args.vac)
    if args.nat:
        fields["nucleic_acid"] = _nat(args.nat, now)
    if args.travel is not None:
        fields["travel"] = _travel(args.travel, now)
    if args.holder_id:
        fields["holder_id"] = parse_holder_id(args.holder_id)
    try:
        text = issuer.mint(alg=args.alg, **fields)
    except IssuerError as exc:
        raise StubUsageError(str(exc)) from None
    if args.png:
        write_png(text, Path(args.png))
    print(text)
    return 0


def cmd_lists(args: argparse.Namespace) -> int:
    issuer = _open(args)
    issuer.republish(now=int(time.time()))
    print(f"trust list v{issuer.trust_list_version}, revocation list v{issuer.revocation_version}")
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    issuer = _open(args)
    if args.holder_id:
        holder = parse_holder_id(args.holder_id)
    elif args.name:
        holder = holder_id_for(args.name, issuer.region)
    else:
        raise StubUsageError("revoke needs --name or --holder-id")
    try:
        version = issuer.revoke(holder, now=int(time.time()))
    except IssuerError as exc:
        raise StubUsageError(str(exc)) from None
    print(f"revoked {holder.hex()}; revocation list v{version}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    issuer = _open(args)
    info = {
        "region": issuer.region,
        "trust_list_version": issuer.trust_list_version,
        "revocation_version": issuer.revocation_version,
        "keys": [
            {
                "kid": k.kid.hex(),
                "alg": cose.ALG_NAMES[k.alg],
                "nbf": k.not_before,
                "exp": k.expires_at,
            }
            for k in issuer.key_records()
        ],
    }
    print(json.dumps(info, indent=2))
    return 0


def cmd_vectors(args: argparse.Namespace) -> int:
    from server_stub.vectors import write_vectors

    vectors = write_vectors(Path(args.out))
    print(f"{len(vectors)} vectors written to {args.out}")
    return 0


def register(subs: Any) -> None:
    p = subs.add_parser("issuer", help="issuer keys, signed lists and health codes")
    isubs = p.add_subparsers(dest="issuer_command", required=True)

    def with_dir(name: str, help_text: str) -> argparse.ArgumentParser:
        q: argparse.ArgumentParser = isubs.add_parser(name, help=help_text)
        q.add_argument("--dir", required=True, help="issuer directory")
        return q

    q = with_dir("init", "create root and issuer keys and the first lists")
    q.add_argument("--region", default="CN-330100", help="issuer region code (iss)")
    q.set_defaults(func=cmd_init)

    q = with_dir("mint", "mint a health code; prints the QR text")
    q.add_argument("--name", required=True, help="masked display name, e.g. 'Wang *ming'")
    q.add_argument("--colour", default="G", choices=["G", "Y", "R"])
    q.add_argument("--vac", help="inoculation DOSES:YYYY-MM-DD (date of last dose)")
    q.add_argument("--nat", help="nucleic acid test N|P:HOURS_AGO")
    q.add_argument(
        "--travel", help="travel record AREA:L|M|H:YYYY-MM-DD,... ('' for an empty record)"
    )
    q.add_argument("--holder-id", help="holder id, 32 hex digits (default: derived from the name)")
    q.add_argument(
        "--validity", type=int, default=300, help="seconds the code is valid (default 300)"
    )
    q.add_argument(
        "--alg", choices=["ES256", "EdDSA"], help="signing algorithm (default: first key)"
    )
    q.add_argument("--at", help="issue time, ISO 8601 or epoch seconds (default now)")
    q.add_argument("--png", help="also write the code as a PNG file")
    q.set_defaults(func=cmd_mint)

    q = with_dir("lists", "sign the trust and revocation lists again")
    q.set_defaults(func=cmd_lists)

    q = with_dir("revoke", "revoke a holder (new revocation list version)")
    q.add_argument("--name", help="demo holder name (holder id derived from it)")
    q.add_argument("--holder-id", help="holder id, 32 hex digits")
    q.set_defaults(func=cmd_revoke)

    q = with_dir("show", "print keys and list versions as JSON")
    q.set_defaults(func=cmd_show)

    q = isubs.add_parser("vectors", help="write the wire-format test vectors (fresh keys)")
    q.add_argument("--out", required=True, help="output folder")
    q.set_defaults(func=cmd_vectors)
