"""``kiosk report``: the supervisor's day (or range) from the local entry log.

    kiosk report --config kiosk.toml --day 2026-12-01
    kiosk report --config kiosk.toml --day 2026-12-01 --format html -o day.html
    kiosk report --config kiosk.toml --since 2026-11-24 --until 2026-12-01 --format csv
    kiosk report --config gate-n.toml --also gate-s.toml --day 2026-12-01 --utc-offset +08:00

Days and ``--since``/``--until`` dates are site-local (``--utc-offset``,
default this machine's offset); ``--since``/``--until`` also take a full ISO
8601 time.  ``--also`` adds other kiosks' logs (by their config files) to one
report, e.g. every gate of a site on one machine.  The numbers are computed
by ``kiosk.core.report``; the layouts (table, CSV, one self-contained HTML
page with charts) by ``kiosk.report_render``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kiosk.adapters.ack_times import ack_times, sync_attempts
from kiosk.adapters.config import ConfigError, KioskConfig, ensure_data_dir, load_config
from kiosk.adapters.store import EntryStore, StoreError
from kiosk.core.entry import Entry
from kiosk.core.report import HOUR_MS, MINUTE_MS, Report, build_report, day_window
from kiosk.report_render import render_html, render_table, write_csv

DB_NAME = "entries.sqlite"

LATE_ENTRIES_MS = 24 * HOUR_MS
"""Entries read past the window's end, for visits opened in it (a late overrule)."""

EARLY_ENTRIES_MS = 24 * HOUR_MS
"""Acknowledgement times read before the window's start (a backlog that began before it)."""


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "report", help="the day's visits, the three checks, denials, overrules and sync"
    )
    p.add_argument("--config", type=Path, required=True, help="kiosk config file (TOML)")
    p.add_argument(
        "--also", type=Path, action="append", default=[], metavar="CONFIG",
        help="another kiosk's config: its log joins the report (repeatable)",
    )  # fmt: skip
    p.add_argument("--day", help="a site-local day, YYYY-MM-DD")
    p.add_argument("--since", help="start: a site-local date (YYYY-MM-DD) or ISO 8601 time")
    p.add_argument("--until", help="end (exclusive): a site-local date or ISO 8601 time")
    p.add_argument(
        "--utc-offset", help="the site's offset from UTC, e.g. +08:00 (default: this machine's)"
    )
    p.add_argument("--format", choices=("table", "csv", "html"), default="table")
    p.add_argument("-o", "--output", type=Path, help="write here instead of standard output")
    p.add_argument(
        "--lag-minutes", type=int, default=10,
        help="an entry unacknowledged longer than this makes the kiosk 'behind' (default 10)",
    )  # fmt: skip
    p.set_defaults(func=run)


def parse_offset(text: str | None) -> int:
    """``+08:00`` / ``-0530`` / ``8`` -> minutes east of UTC; None -> this machine's offset."""
    if text is None:
        return int(time.localtime().tm_gmtoff // 60)
    value = text.strip().upper().removeprefix("UTC")
    sign = -1 if value.startswith("-") else 1
    digits = value.lstrip("+-").replace(":", "")
    if not digits.isdigit() or len(digits) not in (1, 2, 4):
        raise ConfigError(f"--utc-offset: expected e.g. +08:00, got {text!r}")
    hours, minutes = (int(digits), 0) if len(digits) <= 2 else (int(digits[:2]), int(digits[2:]))
    if hours > 14 or minutes > 59:
        raise ConfigError(f"--utc-offset: out of range: {text!r}")
    return sign * (hours * 60 + minutes)


def _instant(text: str, offset_min: int, what: str) -> int:
    tz = dt.timezone(dt.timedelta(minutes=offset_min))
    try:
        if len(text.strip()) == 10:
            return day_window(dt.date.fromisoformat(text.strip()), offset_min)[0]
        moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"{what}: expected YYYY-MM-DD or ISO 8601, got {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return int(moment.timestamp() * 1000)


def window(args: argparse.Namespace, offset_min: int) -> tuple[int, int]:
    if args.day is not None:
        if args.since is not None or args.until is not None:
            raise ConfigError("--day: give either --day or --since/--until, not both")
        try:
            return day_window(dt.date.fromisoformat(args.day), offset_min)
        except ValueError:
            raise ConfigError(f"--day: expected YYYY-MM-DD, got {args.day!r}") from None
    if args.since is None:
        raise ConfigError("give --day YYYY-MM-DD, or --since (and optionally --until)")
    start = _instant(args.since, offset_min, "--since")
    end = (
        _instant(args.until, offset_min, "--until")
        if args.until is not None
        else int(time.time() * 1000)
    )
    if end <= start:
        raise ConfigError("--until: must come after --since")
    return start, end


@contextlib.contextmanager
def _open(config: KioskConfig) -> Iterator[tuple[EntryStore, Path]]:
    path = ensure_data_dir(config) / DB_NAME
    try:
        store = EntryStore(path, kiosk_id=config.kiosk_id)
    except StoreError as exc:
        raise ConfigError(str(exc)) from None
    try:
        yield store, path
    finally:
        store.close()


def compute(
    configs: list[KioskConfig], start_ms: int, end_ms: int, offset_min: int, lag_ms: int
) -> Report:
    entries: list[Entry] = []
    acks: dict[str, list[tuple[int, int | None]]] = {}
    attempts: dict[str, list[tuple[int, bool]]] = {}
    for config in configs:
        with _open(config) as (store, path):
            for e in store.iter_entries(start_ms):
                if e.at_ms < end_ms + LATE_ENTRIES_MS:
                    entries.append(e)
            acks[config.kiosk_id] = ack_times(
                path, start_ms=start_ms - EARLY_ENTRIES_MS, end_ms=end_ms
            )
            tried = sync_attempts(path, start_ms=start_ms, end_ms=end_ms)
            if tried:
                attempts[config.kiosk_id] = tried
    read_ms = int(time.time() * 1000)
    return build_report(
        entries,
        start_ms=start_ms,
        end_ms=end_ms,
        utc_offset_min=offset_min,
        acks=acks,
        read_ms=read_ms,
        lag_ms=lag_ms,
        attempts=attempts,
    )


def _write_out(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".partial")
    try:
        partial.unlink(missing_ok=True)
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        partial.replace(path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise ConfigError(f"{path}: cannot write: {exc.strerror}") from None


def run(args: argparse.Namespace) -> int:
    offset_min = parse_offset(args.utc_offset)
    if args.lag_minutes < 1:
        raise ConfigError("--lag-minutes: expected 1 or more")
    start_ms, end_ms = window(args, offset_min)
    configs = [load_config(args.config), *(load_config(p) for p in args.also)]
    report = compute(configs, start_ms, end_ms, offset_min, args.lag_minutes * MINUTE_MS)
    if args.format == "table":
        text = render_table(report, lag_min=args.lag_minutes)
    elif args.format == "csv":
        import io

        buf = io.StringIO()
        write_csv(report, buf, lag_min=args.lag_minutes)
        text = buf.getvalue()
    else:
        site = configs[0].site or configs[0].kiosk_id
        text = render_html(report, title=f"Checkpoint report: {site}", lag_min=args.lag_minutes)
    if args.output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        _write_out(args.output, text)
        print(f"report of {report.visits} visits written to {args.output}", file=sys.stderr)
    return 0
