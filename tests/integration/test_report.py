"""``kiosk report`` on a generated week: its numbers equal a count made from the script.

The week (``tests.week_log``) is three kiosks' real SQLite logs: every final
outcome, visits without a temperature or a mask check, the guard's overrules
both ways, people who left without a decision, a visit still waiting, a visit
at 23:59:50 whose readings and overrule land after midnight, and an afternoon
when one kiosk was offline.  Every expectation here is counted from the
script (``PlannedVisit`` and its ``Kind``), not through ``kiosk.core.report``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from kiosk.adapters.ack_times import ack_times, sync_attempts
from kiosk.adapters.store import EntryStore
from kiosk.core.entry import Entry
from kiosk.core.report import Report, build_report, day_window
from kiosk.report_render import render_html, render_table
from tests.week_log import (
    DAYS,
    FIRST_DAY,
    KIOSKS,
    OFFLINE_ACK_DELAY_MS,
    UTC_OFFSET_MIN,
    PlannedVisit,
    log_path,
    offline_window,
    plan_week,
    write_logs,
)

REPO = Path(__file__).resolve().parents[2]
LAG_MS = 10 * 60_000


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[PlannedVisit]]:
    folder = tmp_path_factory.mktemp("week")
    plan = plan_week()
    write_logs(folder, plan)
    return folder, plan


def _report(folder: Path, start_ms: int, end_ms: int) -> Report:
    entries: list[Entry] = []
    acks = {}
    attempts = {}
    for kiosk in KIOSKS:
        with EntryStore(log_path(folder, kiosk), kiosk_id=kiosk) as store:
            entries.extend(store.iter_entries())
        acks[kiosk] = ack_times(log_path(folder, kiosk), start_ms=0, end_ms=end_ms)
        attempts[kiosk] = sync_attempts(log_path(folder, kiosk), start_ms=start_ms, end_ms=end_ms)
    return build_report(
        entries, start_ms=start_ms, end_ms=end_ms, utc_offset_min=UTC_OFFSET_MIN,
        acks=acks, read_ms=end_ms + 10**9, lag_ms=LAG_MS,
        attempts={k: a for k, a in attempts.items() if a},
    )  # fmt: skip


def _entries_of(v: PlannedVisit) -> int:
    spec = v.spec
    return 1 + (v.temperature or v.mask) + (spec.override is not None) + spec.left


def _expect(visits: list[PlannedVisit]) -> dict[str, object]:
    """Every number of the report, counted from the script."""
    outcomes = Counter({"ALLOW": 0, "DENY": 0, "WAITING": 0, "LEFT": 0})
    per_kiosk: dict[str, Counter[str]] = {}
    hours: dict[int, Counter[str]] = {}
    denials: Counter[str] = Counter()
    reviews: Counter[str] = Counter()
    overrules: Counter[tuple[str, str, str]] = Counter()
    for v in visits:
        spec = v.spec
        outcomes[spec.outcome] += 1
        per_kiosk.setdefault(v.kiosk, Counter())[spec.outcome] += 1
        h = hours.setdefault(v.local.hour, Counter())
        h["visits"] += 1
        h[spec.outcome] += 1
        h["temperature"] += v.temperature
        h["mask"] += v.mask
        denials.update(spec.denial_codes)
        reviews.update(spec.review_codes)
        if spec.overrule is not None:
            before, after, codes = spec.overrule
            for code in codes or ("",):
                overrules[(before, after, code)] += 1
    return {
        "visits": len(visits),
        "outcomes": dict(outcomes),
        "temperature": sum(v.temperature for v in visits),
        "mask": sum(v.mask for v in visits),
        "per_kiosk": {k: dict(c) for k, c in per_kiosk.items()},
        "hours": {k: dict(c) for k, c in hours.items()},
        "denials": dict(denials),
        "reviews": dict(reviews),
        "overrules": dict(overrules),
        "overrule_total": sum(v.spec.override is not None for v in visits),
    }


def _got(r: Report) -> dict[str, object]:
    hours = {}
    for h in r.hours:
        if h.visits:
            row = {k: n for k, n in h.outcomes.items() if n}
            row.update(visits=h.visits, temperature=h.temperature, mask=h.mask)
            hours[h.hour] = {k: n for k, n in row.items() if n}
    return {
        "visits": r.visits,
        "outcomes": dict(r.outcomes),
        "temperature": r.temperature,
        "mask": r.mask,
        "per_kiosk": {k: {o: n for o, n in c.items() if n} for k, c in r.per_kiosk.items()},
        "hours": hours,
        "denials": {c.code: c.count for c in r.denials},
        "reviews": {c.code: c.count for c in r.reviews},
        "overrules": {(o.before, o.after, o.code): o.count for o in r.overrules},
        "overrule_total": r.overrule_total,
    }


def _clean(expected: dict[str, object]) -> dict[str, object]:
    hours = expected["hours"]
    assert isinstance(hours, dict)
    expected["hours"] = {k: {f: n for f, n in row.items() if n} for k, row in hours.items()}
    return expected


def test_every_day_of_the_week_equals_the_hand_count(
    week: tuple[Path, list[PlannedVisit]],
) -> None:
    folder, plan = week
    kinds_seen: set[str] = set()
    for d in range(DAYS):
        day = FIRST_DAY + dt.timedelta(days=d)
        start, end = day_window(day, UTC_OFFSET_MIN)
        visits = [v for v in plan if v.local.date() == day]
        kinds_seen.update(v.kind for v in visits)
        report = _report(folder, start, end)
        assert _got(report) == _clean(_expect(visits)), day
        assert report.code_checked == report.visits  # the code: 100 % by construction
    assert kinds_seen == {
        "allow", "red", "fever", "yellow-approved", "nat-overruled", "guard-denied", "left",
        "waiting",
    }  # fmt: skip
    assert any(not v.temperature for v in plan) and any(not v.mask for v in plan)


def test_the_visit_before_midnight_keeps_its_overrule_after_midnight(
    week: tuple[Path, list[PlannedVisit]],
) -> None:
    folder, plan = week
    late = [v for v in plan if v.local.time() == dt.time(23, 59, 50)]
    assert len(late) == len(KIOSKS)
    day = late[0].local.date()
    start, end = day_window(day, UTC_OFFSET_MIN)
    report = _report(folder, start, end)
    assert report.hours[23].visits == len(late)
    assert report.hours[23].outcomes["ALLOW"] == len(late)  # approved by the guard at 00:00:20
    next_start, next_end = day_window(day + dt.timedelta(days=1), UTC_OFFSET_MIN)
    nxt = _report(folder, next_start, next_end)
    assert nxt.visits == sum(v.local.date() == day + dt.timedelta(days=1) for v in plan)


def test_the_offline_afternoon_shows_as_backlog_and_time_behind(
    week: tuple[Path, list[PlannedVisit]],
) -> None:
    folder, plan = week
    kiosk, off_start, off_end = offline_window()
    day = dt.datetime.fromtimestamp(off_start / 1000, plan[0].local.tzinfo).date()
    start, end = day_window(day, UTC_OFFSET_MIN)
    report = _report(folder, start, end)
    assert report.sync is not None
    offline = [v for v in plan if v.kiosk == kiosk and off_start <= v.at_ms < off_end]
    assert len(offline) >= 3
    # every entry of those visits waited; they are the whole backlog at its longest
    # (a visit's last entry is at most 40 s after its scan, and the last visit of the
    # afternoon starts before 16:59: all of them were written before the kiosk came back)
    assert all(v.at_ms + 40_000 < off_end for v in offline)
    s = report.sync[kiosk]
    assert s.longest_backlog == sum(_entries_of(v) for v in offline)
    first = min(v.at_ms for v in offline)
    back = off_end + OFFLINE_ACK_DELAY_MS
    assert s.behind_spans == ((first + LAG_MS, back),)
    assert s.behind_ms == back - first - LAG_MS
    # the logged sync attempts: offline exactly the afternoon (failed 13:00-16:55, back 17:00)
    assert s.offline_spans == ((off_start, off_end),) and s.offline_ms == off_end - off_start
    for other in set(KIOSKS) - {kiosk}:
        assert report.sync[other].behind_ms == 0
        assert report.sync[other].longest_backlog == 1  # each entry waits its one second
        assert report.sync[other].offline_ms == 0
    # another day: nobody behind
    quiet = _report(folder, *day_window(day + dt.timedelta(days=1), UTC_OFFSET_MIN))
    assert quiet.sync is not None and all(s.behind_ms == 0 for s in quiet.sync.values())


def test_the_command_reports_the_week_as_csv_and_as_one_page(
    week: tuple[Path, list[PlannedVisit]], tmp_path: Path
) -> None:
    folder, plan = week
    configs = [str(folder / k / "kiosk.toml") for k in KIOSKS]
    for c in configs:
        text = Path(c).read_text()
        if "[trust]" not in text:
            Path(c).write_text(text + '[trust]\nroot_key = "root.pem"\n')
    last = FIRST_DAY + dt.timedelta(days=DAYS)
    args = [
        sys.executable, "-m", "kiosk", "report", "--config", configs[0],
        "--also", configs[1], "--also", configs[2], "--utc-offset", "+08:00",
        "--since", FIRST_DAY.isoformat(), "--until", last.isoformat(),
    ]  # fmt: skip
    done = subprocess.run(
        [*args, "--format", "csv"], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    got = {(r["section"], r["key"]): int(r["count"]) for r in rows if r["count"]}
    expected = _expect(plan)
    assert got[("visits", "all")] == len(plan)
    outcomes = expected["outcomes"]
    assert isinstance(outcomes, dict)
    for k, n in outcomes.items():
        assert got[("outcome", k)] == n
    assert got[("check", "temperature measured")] == expected["temperature"]
    assert got[("check", "mask checked")] == expected["mask"]
    assert got[("overrules", "all")] == expected["overrule_total"]

    page = tmp_path / "week.html"
    done = subprocess.run(
        [*args, "--format", "html", "-o", str(page)],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    html = page.read_text("utf-8")
    assert_self_contained(html)
    assert f'data-key="visits">visits<b>{len(plan)}</b>' in html

    table = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert table.returncode == 0, table.stderr
    assert f"visits: {len(plan)}" in table.stdout
    assert "gate-s: time offline: 4 h 00 min" in table.stdout  # the offline afternoon
    assert "gate-n: time offline: 0 h 00 min" in table.stdout


def assert_self_contained(html: str) -> None:
    """One page: two inline SVG charts, no script, nothing fetched from anywhere."""
    assert html.count("<svg") == 2
    assert "<script" not in html.lower()
    without_comments = re.sub(r"<!--.*?-->", "", html, flags=re.DOTALL)
    urls = set(re.findall(r"(?:https?:)?//[\w.-]+[^\s\"'<>)]*", without_comments))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}, urls
    assert not re.search(r"\b(?:src|href)\s*=", without_comments.replace("xlink:href", ""))


def test_an_empty_day_is_a_report_of_nothing_not_an_error(tmp_path: Path) -> None:
    start, end = day_window(dt.date(2026, 12, 1), UTC_OFFSET_MIN)
    r = build_report([], start_ms=start, end_ms=end, utc_offset_min=UTC_OFFSET_MIN, acks={})
    assert r.visits == 0 and r.temperature == 0
    assert "visits: 0" in render_table(r)
    assert_self_contained(render_html(r))
