"""``server-stub serve``: run the central server stub with uvicorn.

    server-stub serve --issuer-dir DIR --db DB --policy FILE
                      [--host 127.0.0.1] [--port 8787] [--fault SPEC] [--fault-seed N]

Prints ``listening on http://HOST:PORT`` once it accepts connections (with
``--port 0`` the port is a free one picked by the system, and the line gives
the real one).  Stops cleanly on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

import uvicorn

from kiosk.core.policy import PolicyError, policy_from_mapping
from server_stub.cli import StubUsageError
from server_stub.faults import FaultSpecError, format_faults, parse_faults
from server_stub.issuer import Issuer, IssuerError
from server_stub.server import (
    MAX_BODY_BYTES,
    REPLAY_WINDOW_S,
    ServerSettings,
    bind_socket,
    create_app,
    uvicorn_config,
)
from server_stub.store_port import StoreConfigError, is_postgres_url


def register(subs: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subs.add_parser("serve", help="run the central server stub")
    p.add_argument("--issuer-dir", type=Path, required=True, help="issuer directory (lists)")
    p.add_argument(
        "--db",
        required=True,
        help="the server's SQLite file, or a postgresql:// URL (city scale; needs --ack-key)",
    )
    p.add_argument("--policy", type=Path, required=True, help="site policy TOML served to kiosks")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8787, help="0 picks a free port")
    p.add_argument("--fault", default="", help="e.g. drop:0.2,500:0.1,429:0.1@2,delay:0.1@3")
    p.add_argument("--fault-seed", type=int, default=None, help="seed for repeatable faults")
    p.add_argument("--max-body", type=int, default=MAX_BODY_BYTES, help="largest batch, bytes")
    p.add_argument("--replay-window", type=float, default=REPLAY_WINDOW_S, help="seconds")
    p.add_argument(
        "--site",
        action="append",
        default=None,
        help="a site the policy is signed for (the kiosks' 'site'); repeat; default * (all)",
    )
    p.add_argument("--policy-days", type=float, default=7.0, help="signed policy lifetime")
    p.add_argument("--keep-alive", type=float, default=5.0, help="idle connection, seconds")
    p.add_argument("--header-timeout", type=float, default=10.0, help="request head, seconds")
    p.add_argument("--body-timeout", type=float, default=30.0, help="request body, seconds")
    p.add_argument("--limit-concurrency", type=int, default=64, help="connections + requests")
    p.add_argument(
        "--unsigned-acks",
        action="store_true",
        help="benchmarks only: acks without a signature (kiosks refuse them)",
    )
    p.add_argument(
        "--ack-key",
        type=Path,
        default=None,
        help="Ed25519 key that signs acks (PEM; made if absent). Default: beside --db",
    )
    p.set_defaults(func=run)


class _Server(uvicorn.Server):
    """Says where it listens once it really does."""

    url = ""

    async def startup(self, sockets: list | None = None) -> None:  # type: ignore[type-arg]
        await super().startup(sockets=sockets)
        if self.started:
            print(f"listening on {self.url}", flush=True)


def run(args: argparse.Namespace) -> int:
    try:
        faults = parse_faults(args.fault)
    except FaultSpecError as exc:
        raise StubUsageError(f"--fault: {exc}") from None
    try:
        Issuer.open(args.issuer_dir)
    except IssuerError as exc:
        raise StubUsageError(str(exc)) from None
    try:
        policy_from_mapping(tomllib.loads(args.policy.read_text("utf-8")))
    except OSError as exc:
        raise StubUsageError(f"{args.policy}: cannot read the policy: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, PolicyError) as exc:
        raise StubUsageError(f"{args.policy}: not a valid site policy: {exc}") from None
    db_url = args.db if is_postgres_url(args.db) else None
    if db_url is not None and args.ack_key is None:
        raise StubUsageError(
            "--db is a PostgreSQL URL: give --ack-key FILE (by default the ack key is kept"
            " beside a SQLite file, and a database server has no folder for it)"
        )
    settings = ServerSettings(
        issuer_dir=args.issuer_dir,
        db_path=args.ack_key.with_name("server.sqlite") if db_url else Path(args.db),
        db_url=db_url,
        policy_path=args.policy,
        faults=faults,
        fault_seed=args.fault_seed,
        max_body_bytes=args.max_body,
        replay_window_s=args.replay_window,
        ack_key_path=args.ack_key,
        sign_acks=not args.unsigned_acks,
        sites=tuple(args.site or ["*"]),
        policy_valid_s=int(args.policy_days * 86400),
        keep_alive_s=args.keep_alive,
        header_timeout_s=args.header_timeout,
        body_timeout_s=args.body_timeout,
        limit_concurrency=args.limit_concurrency,
    )
    try:
        sock = bind_socket(args.host, args.port)
    except OSError as exc:
        raise StubUsageError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from None
    port = sock.getsockname()[1]
    host = f"[{args.host}]" if ":" in args.host else args.host
    try:
        app = create_app(settings)
    except StoreConfigError as exc:
        sock.close()
        raise StubUsageError(str(exc)) from None
    server = _Server(uvicorn_config(app, settings, log_level="info"))
    server.url = f"http://{host}:{port}"
    if faults:
        print(f"faults: {format_faults(faults)}", file=sys.stderr, flush=True)
    server.run(sockets=[sock])
    return 0
