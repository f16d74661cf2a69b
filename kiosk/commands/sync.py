"""``kiosk sync``: one sync round now, and what it did.

    kiosk sync --config kiosk.toml [--no-lists] [--retry-parked]

Pushes the whole backlog in signed batches (retrying a failed batch a few
times with backoff), fetches the trust list, the revocation list and the
site policy, and prints: entries pushed and in how many batches, the backlog
left, each list updated / unchanged / refused (with the reason), and the
clock skew against the server.  A batch the server refused for good is
parked (kept, set aside, listed by ``kiosk log parked``); ``--retry-parked``
puts every parked entry back in line first, for after the fix.  Exit 0
when the server took everything, 1 when it could not be reached, refused
the batches or some are parked (one line, no traceback), 2 on a
configuration error.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from kiosk.adapters.config import ConfigError, load_config
from kiosk.adapters.identity import load_registered_identity
from kiosk.adapters.store import EntryStore, StoreError
from kiosk.adapters.sync import SyncClient, SyncReport
from kiosk.adapters.trust_store import load_root
from kiosk.commands.log import db_path

ATTEMPTS = 3
"""Tries per batch before the command gives up and reports."""


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("sync", help="push the entry log and fetch lists now")
    p.add_argument("--config", type=Path, required=True, help="kiosk config file (TOML)")
    p.add_argument("--no-lists", action="store_true", help="push only; do not fetch lists")
    p.add_argument(
        "--retry-parked",
        action="store_true",
        help="send the batches the server refused for good again (after a fix)",
    )
    p.set_defaults(func=run)


def describe(report: SyncReport) -> list[str]:
    """The lines ``kiosk sync`` prints for a round."""
    push = report.push
    lines = [
        f"pushed {push.pushed} entries in {push.batches} batches"
        f" ({push.stored} new to the server, {push.duplicates} it already had);"
        f" backlog {push.backlog}"
    ]
    if push.parked:
        lines.append(f"parked {push.parked} entries the server refused: {push.parked_reason}")
    if push.error:
        lines.append(f"push failed: {push.error}")
    if report.lists is not None:
        lines.extend(str(o) for o in report.lists.outcomes)
    clock = report.clock
    if clock.skew_s is not None:
        lines.append(f"clock: kiosk minus server {clock.skew_s:+.1f} s")
    if clock.warning:
        lines.append(f"clock warning: {clock.warning}")
    return lines


def store_parked(config: Any) -> str:
    """One line about parked entries, or "" when none."""
    with EntryStore(db_path(config), kiosk_id=config.kiosk_id) as store:
        parked = store.parked()
    if not parked:
        return ""
    count = sum(p.count for p in parked)
    return (
        f"{count} entries parked in {len(parked)} batches (last reason: {parked[-1].reason});"
        " see kiosk log parked, then kiosk sync --retry-parked"
    )


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    if not config.server.url:
        raise ConfigError(f"{config.path}: server.url is not set, so there is nowhere to sync")
    root = load_root(config.root_key)
    identity = load_registered_identity(config.identity_key)
    try:
        store = EntryStore(db_path(config), kiosk_id=config.kiosk_id)
    except StoreError as exc:
        raise ConfigError(str(exc)) from None
    client = SyncClient(config, store, identity, root_key=root)
    try:
        if args.retry_parked:
            print(f"retrying {store.unpark_all()} parked entries")
        report = client.round(int(time.time()), lists=not args.no_lists, max_attempts=ATTEMPTS)
    except StoreError as exc:
        print(f"kiosk sync: {exc}", file=sys.stderr)
        return 2
    finally:
        client.close()
        store.close()
    for line in describe(report):
        print(line)
    parked = store_parked(config)
    if parked:
        print(f"kiosk sync: {parked}", file=sys.stderr)
        return 1
    if report.push.ok and report.online:
        return 0
    failed = (
        [o.message for o in report.lists.outcomes if o.state == "failed"] if report.lists else []
    )
    print(f"kiosk sync: {report.push.error or (failed or ['server not reachable'])[0]}",
          file=sys.stderr)  # fmt: skip
    return 1
