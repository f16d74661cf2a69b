"""``kiosk log``: check, export and purge the local entry log.

    kiosk log verify --config kiosk.toml [--server]
    kiosk log export --config kiosk.toml --format csv --since 2026-11-23T00:00:00+08:00 -o day.csv
    kiosk log export --config kiosk.toml --format jsonl
    kiosk log export --config kiosk.toml --format csv --visits -o visits.csv
    kiosk log purge  --config kiosk.toml --days 28
    kiosk log recover --config kiosk.toml
    kiosk log parked --config kiosk.toml

``verify`` walks the hash chain: exit 0 when intact, 1 when broken (the
message names the seq).  With ``--server`` it also asks the central server
for the chain heads it acknowledged (signed with its ack key) and compares
them with the local log, so a local rewrite of already-synced entries (the
chain rebuilt to look intact) is caught: exit 1 on any mismatch or when the
server cannot vouch.  ``export`` writes CSV (with a header; a cell that
starts with ``= + - @``, tab or CR gets a leading apostrophe so a spreadsheet
never runs it as a formula) or JSON Lines (one ``Entry.to_wire()`` object per
line, hashes checkable by anyone).  With ``--visits`` it writes one row per
visit instead (one person at the gate: the code's verdict, the final verdict,
the readings, who decided and the guard's reason).  ``purge`` deletes only entries the server
acknowledged that are older than the retention period.  ``recover`` is for a
log the kiosk refuses to open (see ``kiosk.adapters.log_head``): it moves the
damaged file aside (never deletes it), exports every readable row next to it,
and starts a new chain linking to the last entry the server acknowledged
(``kiosk.adapters.log_recover``).  ``parked`` lists the batches the server
refused for good (kept; ``kiosk sync --retry-parked`` sends them again);
``verify`` says how many entries are parked too.  Usage, configuration and file
errors exit 2 with one line.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import dataclasses
import datetime as dt
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from kiosk.adapters.config import ConfigError, KioskConfig, ensure_data_dir, load_config
from kiosk.adapters.store import EntryStore, StoreError
from kiosk.core.clock import TimeFormatError, parse_instant
from kiosk.core.entry import WIRE_FIELDS, Entry
from kiosk.core.visit_log import VISIT_FIELDS, fold_visits

if TYPE_CHECKING:
    from kiosk.adapters.sync import SyncClient

DB_NAME = "entries.sqlite"
"""The entry log's file name inside ``data_dir``."""

CSV_FIELDS = ("at_utc", *WIRE_FIELDS)
"""CSV columns: a readable UTC time first, then every wire field."""

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("log", help="check, export or purge the local entry log")
    subs = p.add_subparsers(dest="log_command", required=True, parser_class=type(p))

    v = subs.add_parser("verify", help="check the hash chain of the entry log")
    v.add_argument("--config", type=Path, required=True, help="kiosk config file (TOML)")
    v.add_argument(
        "--server",
        action="store_true",
        help="also compare with the chain heads the central server acknowledged",
    )
    v.set_defaults(func=run_verify)

    e = subs.add_parser("export", help="write entries as CSV or JSON Lines")
    e.add_argument("--config", type=Path, required=True, help="kiosk config file (TOML)")
    e.add_argument("--format", choices=("csv", "jsonl"), required=True)
    e.add_argument(
        "--since",
        help="only entries at or after this time: ISO 8601 (no zone means UTC) or epoch seconds",
    )
    e.add_argument("-o", "--output", type=Path, help="write here instead of standard output")
    e.add_argument(
        "--visits",
        action="store_true",
        help="one row per visit (final verdict, readings, who decided) instead of one per event",
    )
    e.set_defaults(func=run_export)

    k = subs.add_parser("parked", help="list batches the server refused for good")
    k.add_argument("--config", type=Path, required=True, help="kiosk config file (TOML)")
    k.set_defaults(func=run_parked)

    g = subs.add_parser("purge", help="delete acknowledged entries older than N days")
    g.add_argument("--config", type=Path, required=True, help="kiosk config file (TOML)")
    g.add_argument(
        "--days", type=int, help="keep this many days (default: sync.retention_days of the config)"
    )
    g.add_argument(
        "--trust-local-clock",
        action="store_true",
        help="purge by this machine's clock when the server cannot confirm it"
        " (only after checking the clock by hand)",
    )
    g.set_defaults(func=run_purge)

    r = subs.add_parser(
        "recover", help="move a damaged entry log aside, export what is readable, start anew"
    )
    r.add_argument("--config", type=Path, required=True, help="kiosk config file (TOML)")
    r.set_defaults(func=run_recover)


def db_path(config: KioskConfig) -> Path:
    """Where the entry log of this kiosk lives (``data_dir`` is created, 0700, if missing)."""
    return ensure_data_dir(config) / DB_NAME


@contextlib.contextmanager
def _open_store(config: KioskConfig) -> Iterator[EntryStore]:
    try:
        store = EntryStore(db_path(config), kiosk_id=config.kiosk_id)
    except StoreError as exc:
        raise ConfigError(str(exc)) from None
    try:
        yield store
    finally:
        store.close()


def run_verify(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    with _open_store(config) as store:
        try:
            report = store.verify_chain()
        except StoreError as exc:
            print(f"kiosk log verify: {exc}", file=sys.stderr)
            return 2
        parked = store.parked_count()
        server_ok = _verify_with_server(config, store) if args.server else True
    print(report.message)
    if parked:
        print(f"{parked} entries parked (kiosk log parked)")
    return 0 if report.ok and server_ok else 1


def _sync_client(config: KioskConfig, store: EntryStore) -> SyncClient:
    """A sync client for a one-off question to the server (heads, the signed time)."""
    from kiosk.adapters.identity import load_or_create_identity
    from kiosk.adapters.sync import SyncClient
    from kiosk.adapters.trust_store import load_root

    return SyncClient(
        config, store, load_or_create_identity(config.identity_key),
        root_key=load_root(config.root_key),
    )  # fmt: skip


def _verify_with_server(config: KioskConfig, store: EntryStore) -> bool:
    """Compare the local log with the heads the server acknowledged; print what was found."""
    from kiosk.adapters.sync import Unreachable
    from kiosk.core.server_signed import AckError, compare_heads

    if not config.server.url:
        raise ConfigError(f"{config.path}: server.url is not set, so there is no server to ask")
    client = _sync_client(config, store)
    try:
        heads = client.fetch_heads()
    except (Unreachable, AckError) as exc:
        print(f"kiosk log verify --server: the server cannot vouch: {exc}", file=sys.stderr)
        return False
    finally:
        client.close()
    wanted = {h.seq for h in heads}
    local = {e.seq: e.hash for e in store.iter_entries() if e.seq in wanted}
    compared, problems = compare_heads(heads, local)
    for line in problems:
        print(f"server: {line}")
    if not problems:
        print(
            f"server: {compared} acknowledged chain heads match the local log"
            f" ({len(heads) - compared} no longer held locally)"
        )
    return not problems


def run_parked(args: argparse.Namespace) -> int:
    with _open_store(load_config(args.config)) as store:
        parked = store.parked()
    if not parked:
        print("no parked entries")
        return 0
    for p in parked:
        at = dt.datetime.fromtimestamp(p.parked_at_ms / 1000, dt.UTC).isoformat(timespec="seconds")
        print(
            f"batch {p.batch_id}: seq {p.first_seq}-{p.last_seq} ({p.count} entries),"
            f" parked {at}: {p.reason}"
        )
    print("send them again after the fix: kiosk sync --retry-parked")
    return 0


def safe_cell(value: str) -> str:
    """A CSV cell a spreadsheet shows as text: formula-like starts get an apostrophe."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def csv_row(entry: Entry) -> list[str]:
    """One entry as CSV cells: lists as JSON, null as empty, every cell made safe."""
    wire = entry.to_wire()
    at = dt.datetime.fromtimestamp(entry.at_ms / 1000, dt.UTC)
    cells = [at.isoformat(timespec="milliseconds").replace("+00:00", "Z")]
    for key in WIRE_FIELDS:
        value = wire[key]
        if value is None:
            text = ""
        elif isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, list):
            text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        else:
            text = str(value)
        cells.append(safe_cell(text))
    return cells


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return json.dumps(list(value), ensure_ascii=False, separators=(",", ":"))
    return str(value)


def _write_visits(entries: Iterator[Entry], fmt: str, out: TextIO) -> int:
    records = fold_visits(entries)
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(("opened_utc", *VISIT_FIELDS))
        for r in records:
            at = dt.datetime.fromtimestamp(r.opened_ms / 1000, dt.UTC)
            opened = at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
            row = dataclasses.asdict(r)
            writer.writerow([opened, *(safe_cell(_cell(row[k])) for k in VISIT_FIELDS)])
    else:
        for r in records:
            row = dataclasses.asdict(r)
            row["reasons"] = list(r.reasons)
            out.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
    return len(records)


def _write(entries: Iterator[Entry], fmt: str, out: TextIO) -> int:
    count = 0
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(CSV_FIELDS)
        for entry in entries:
            writer.writerow(csv_row(entry))
            count += 1
    else:
        for entry in entries:
            out.write(json.dumps(entry.to_wire(), ensure_ascii=False, sort_keys=True) + "\n")
            count += 1
    return count


def run_export(args: argparse.Namespace) -> int:
    since_ms: int | None = None
    if args.since is not None:
        try:
            since_ms = parse_instant(args.since) * 1000
        except TimeFormatError as exc:
            raise ConfigError(f"--since: {exc}") from None
    with _open_store(load_config(args.config)) as store:
        entries = store.iter_entries(since_ms)
        write = _write_visits if args.visits else _write
        what = "visits" if args.visits else "entries"
        try:
            if args.output is None:
                count = write(entries, args.format, sys.stdout)
                sys.stdout.flush()
            else:
                partial = args.output.with_name(args.output.name + ".partial")
                try:
                    partial.unlink(missing_ok=True)  # a link planted here is removed, not followed
                    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
                    fd = os.open(partial, flags, 0o600)
                    with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                        count = write(entries, args.format, fh)
                        fh.flush()
                        os.fsync(fh.fileno())
                    partial.replace(args.output)
                except OSError as exc:
                    partial.unlink(missing_ok=True)
                    print(f"kiosk log export: {args.output}: {exc.strerror}", file=sys.stderr)
                    return 2
        except StoreError as exc:
            print(f"kiosk log export: {exc}", file=sys.stderr)
            return 2
    if args.output is not None:
        print(f"exported {count} {what} to {args.output}", file=sys.stderr)
    return 0


def run_purge(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    days = config.sync.retention_days if args.days is None else args.days
    if days < 0:
        raise ConfigError(f"--days: expected 0 or more, got {days}")
    with _open_store(config) as store:
        now_s = _purge_clock(config, store, trust_local=args.trust_local_clock)
        if now_s is None:
            return 2
        cutoff_ms = int(now_s * 1000) - days * 86_400_000
        try:
            removed = store.purge_synced(cutoff_ms)
            left = store.backlog()
        except StoreError as exc:
            print(f"kiosk log purge: {exc}", file=sys.stderr)
            return 2
    cutoff = dt.datetime.fromtimestamp(cutoff_ms / 1000, dt.UTC).isoformat(timespec="seconds")
    print(
        f"purged {removed} entries acknowledged by the server and older than {cutoff} "
        f"({days} days); {left} not yet sent"
    )
    return 0


def _purge_clock(config: KioskConfig, store: EntryStore, *, trust_local: bool) -> float | None:
    """The time to purge by: the kiosk clock as the server confirms it (a signed time
    within ``sync.clock_warn_s``), or this machine's clock when the operator says so;
    None, with the reason printed, when neither.  A clock weeks ahead must not
    delete entries that are not old."""
    from kiosk.core.clock import purge_allowed

    if trust_local:
        print(
            "kiosk log purge: purging by this machine's clock (--trust-local-clock), "
            f"now {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}",
            file=sys.stderr,
        )
        return time.time()
    why = "server.url is not set"
    if config.server.url:
        client = _sync_client(config, store)
        try:
            why = client.ask_time()
            skew = client.confirmed_skew_s()
            if not why and purge_allowed(skew, config.sync.clock_warn_s):
                return client.trusted_now()
            if not why:
                why = (
                    f"this kiosk's clock is {skew or 0.0:+.0f} s off the server's, more than "
                    f"sync.clock_warn_s = {config.sync.clock_warn_s}"
                )
        finally:
            client.close()
    print(
        f"kiosk log purge: nothing purged: the server has not confirmed this kiosk's clock "
        f"({why}); set the clock right or, after checking it by hand, add --trust-local-clock",
        file=sys.stderr,
    )
    return None


def run_recover(args: argparse.Namespace) -> int:
    from kiosk.adapters.log_recover import recover

    config = load_config(args.config)
    path = db_path(config)
    try:
        EntryStore(path, kiosk_id=config.kiosk_id).close()
    except StoreError as exc:
        print(f"kiosk log recover: {exc}", file=sys.stderr)
    else:
        print(f"{path}: entry log is intact; nothing to recover")
        return 0
    try:
        done = recover(path, kiosk_id=config.kiosk_id, now=dt.datetime.now(dt.UTC))
    except (OSError, StoreError) as exc:
        print(f"kiosk log recover: {path}: {exc}", file=sys.stderr)
        return 2
    for moved in done.moved:
        print(f"kept {moved}")
    print(f"exported {done.readable} readable entries to {done.export}")
    print(
        f"new entry log {path}: chain links to seq {done.linked_to} (last acknowledged), "
        f"{done.carried} entries carried over ({done.resealed} re-sealed); run kiosk sync"
    )
    return 0
