"""The kiosk logs its sync attempts, so the report's time offline is true even when nobody
came: a real log with no entries, attempts every five minutes 09:00-17:00 (failing
13:00-15:30), then none (the kiosk was switched off)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from kiosk.adapters.ack_times import sync_attempts
from kiosk.adapters.config import load_config
from kiosk.adapters.store import EntryStore
from kiosk.commands.report import compute
from kiosk.core.report import day_window
from kiosk.report_render import render_table, write_csv

OFFSET = 8 * 60
DAY = dt.date(2026, 11, 20)
MIN = 60_000


def _at(hour: int, minute: int = 0) -> int:
    start, _ = day_window(DAY, OFFSET)
    return start + (hour * 60 + minute) * MIN


def test_an_attempt_is_logged_when_the_outcome_changes_or_a_minute_has_passed(
    tmp_path: Path,
) -> None:
    with EntryStore(tmp_path / "entries.sqlite", kiosk_id="k") as store:
        t = _at(9)
        assert store.record_sync_attempt(t, ok=True)
        assert not store.record_sync_attempt(t + 30_000, ok=True)
        assert store.record_sync_attempt(t + 40_000, ok=False, detail="connection refused")
        assert not store.record_sync_attempt(t + 50_000, ok=False)
        assert store.record_sync_attempt(t + 100_000, ok=False)
    got = sync_attempts(tmp_path / "entries.sqlite", start_ms=t, end_ms=t + MIN * 10)
    assert got == [(t, True), (t + 40_000, False), (t + 100_000, False)]


def test_time_offline_when_nobody_came(tmp_path: Path) -> None:
    folder = tmp_path / "gate"
    (folder / "var").mkdir(parents=True)
    (folder / "kiosk.toml").write_text(
        'kiosk_id = "gate-x"\ndata_dir = "var"\n[trust]\nroot_key = "root.pem"\n'
    )
    with EntryStore(folder / "var" / "entries.sqlite", kiosk_id="gate-x") as store:
        for minute in range(9 * 60, 17 * 60 + 1, 5):
            failing = 13 * 60 <= minute < 15 * 60 + 30
            store.record_sync_attempt(_at(0, minute), ok=not failing)
    start, end = day_window(DAY, OFFSET)
    report = compute([load_config(folder / "kiosk.toml")], start, end, OFFSET, 10 * MIN)
    assert report.visits == 0
    s = report.sync["gate-x"] if report.sync else None
    assert s is not None and s.entries == 0
    # 13:00-15:30 failing; after 17:00 no attempt: off from 17:10 (the 10 min gap) to midnight
    assert s.offline_spans == ((_at(13), _at(15, 30)), (_at(17, 10), end))
    assert s.offline_ms == (150 + 410) * MIN and s.known_from_ms == _at(9)
    table = render_table(report)
    assert "gate-x: time offline: 9 h 20 min (attempts logged from 2026-11-20 09:00)" in table
    assert "gate-x: offline: 2026-11-20 13:00 to 2026-11-20 15:30" in table
    out = io.StringIO()
    write_csv(report, out)
    assert "sync,gate-x,minutes offline,560" in out.getvalue().replace("\r", "")
