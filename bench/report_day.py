"""The supervisor's report for a day of 10,000 visits, and the chart libraries compared.

    python bench/report_day.py [--visits 10000] [--dir /dev/shm] [--runs 3]

Fills four real kiosk logs (``EntryStore.record``, the week generator's kinds
of visit: readings, overrules, people who left) with one site-local day of
``--visits`` visits, then times:

- ``kiosk report --day ... --format table|csv|html`` as the supervisor runs it
  (a new process each time: interpreter start, config, reading the logs,
  folding visits, rendering), best of ``--runs``;
- in one process, the parts: reading + folding + counting, and rendering the
  page's two charts with each candidate: pygal (what ships), matplotlib's SVG
  backend (when installed), and plain hand-written SVG (the baseline), with
  the size of each page.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import io
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kiosk.adapters.ack_times import ack_times  # noqa: E402
from kiosk.adapters.store import EntryStore  # noqa: E402
from kiosk.core.report import OUTCOMES, Report, build_report, day_window, share  # noqa: E402
from kiosk.report_render import charts, render_html  # noqa: E402
from tests import week_log  # noqa: E402

DAY = dt.date(2026, 12, 1)
KIOSKS = ("gate-1", "gate-2", "gate-3", "gate-4")


def fill(folder: Path, visits: int) -> None:
    rnd = random.Random(10_000)
    kinds = list(week_log.WEIGHTS)
    weights = [week_log.WEIGHTS[k] for k in kinds]
    start, _ = day_window(DAY, week_log.UTC_OFFSET_MIN)
    per = visits // len(KIOSKS)
    for kiosk in KIOSKS:
        path = folder / kiosk / "var" / "entries.sqlite"
        path.parent.mkdir(parents=True, exist_ok=True)
        (folder / kiosk / "kiosk.toml").write_text(
            f'kiosk_id = "{kiosk}"\nsite = "Bench site"\ndata_dir = "var"\n'
            '[trust]\nroot_key = "root.pem"\n'
        )
        # 06:00-22:00 site time, one visit every (16 h / per) at each kiosk
        step = 16 * 3_600_000 // per
        plan = [
            week_log.PlannedVisit(
                kiosk, start + 6 * 3_600_000 + i * step, rnd.choices(kinds, weights)[0],
                rnd.randbytes(16), "", rnd.random() < 0.9, rnd.random() < 0.95,
            )
            for i in range(per)
        ]  # fmt: skip
        with EntryStore(path, kiosk_id=kiosk) as store:
            for v in plan:
                for draft in week_log._drafts(v, rnd):
                    store.record(draft)


def hand_svg(r: Report) -> tuple[str, str]:
    """The baseline: the same two charts as plain SVG, written by hand."""
    w, h, pad = 960, 360, 40
    top = max((x.visits for x in r.hours), default=1) or 1
    colours = {"ALLOW": "#2e7d32", "DENY": "#c62828", "WAITING": "#f9a825", "LEFT": "#757575"}
    bw = (w - 2 * pad) / 24
    bars = []
    for x in r.hours:
        y = h - pad
        for k in OUTCOMES:
            hh = (h - 2 * pad) * x.outcomes[k] / top
            y -= hh
            bars.append(
                f'<rect x="{pad + x.hour * bw:.1f}" y="{y:.1f}" width="{bw - 2:.1f}" '
                f'height="{hh:.1f}" fill="{colours[k]}"/>'
            )
    one = f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}">{"".join(bars)}</svg>'
    lines = []
    for attr, colour in (("temperature", "#6a1b9a"), ("mask", "#00838f")):
        pts = " ".join(
            f"{pad + x.hour * bw:.1f},"
            f"{h - pad - (h - 2 * pad) * share(getattr(x, attr), x.visits) / 100:.1f}"
            for x in r.hours
            if x.visits
        )
        lines.append(f'<polyline fill="none" stroke="{colour}" points="{pts}"/>')
    two = f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}">{"".join(lines)}</svg>'
    return one, two


def matplotlib_svg(r: Report) -> tuple[str, str]:
    import matplotlib

    matplotlib.use("svg")
    import matplotlib.pyplot as plt

    out = []
    fig, ax = plt.subplots(figsize=(9.6, 3.6))
    bottom = [0] * 24
    for k in OUTCOMES:
        values = [x.outcomes[k] for x in r.hours]
        ax.bar(range(24), values, bottom=bottom, label=k)
        bottom = [a + b for a, b in zip(bottom, values, strict=True)]
    ax.legend()
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    plt.close(fig)
    out.append(buf.getvalue())
    fig, ax = plt.subplots(figsize=(9.6, 3.6))
    for attr in ("temperature", "mask"):
        ax.plot(range(24), [share(getattr(x, attr), x.visits) for x in r.hours], label=attr)
    ax.axhline(100, linestyle="--")
    ax.legend()
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    plt.close(fig)
    out.append(buf.getvalue())
    return out[0], out[1]


def best(fn, runs: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    times, result = [], None
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return min(times), result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--visits", type=int, default=10_000)
    ap.add_argument("--dir", default=None)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="report-bench-", dir=args.dir))
    t = time.perf_counter()
    fill(folder, args.visits)
    print(f"filled {args.visits} visits in {time.perf_counter() - t:.1f} s ({folder})")
    configs = [str(folder / k / "kiosk.toml") for k in KIOSKS]
    base = [sys.executable, "-m", "kiosk", "report", "--config", configs[0]]
    for c in configs[1:]:
        base += ["--also", c]
    base += ["--day", DAY.isoformat(), "--utc-offset", "+08:00"]
    for fmt in ("table", "csv", "html"):
        out = folder / f"day.{fmt}"
        cmd = [*base, "--format", fmt, "-o", str(out)]
        secs, _ = best(
            lambda cmd=cmd: subprocess.run(cmd, cwd=REPO, check=True, capture_output=True),
            args.runs,
        )
        print(f"kiosk report --format {fmt}: {secs:.2f} s, {out.stat().st_size:,} bytes")

    start, end = day_window(DAY, week_log.UTC_OFFSET_MIN)

    def compute() -> Report:
        entries, acks = [], {}
        for k in KIOSKS:
            path = folder / k / "var" / "entries.sqlite"
            with EntryStore(path, kiosk_id=k) as store:
                entries.extend(store.iter_entries(start))
            acks[k] = ack_times(path, start_ms=start, end_ms=end)
        return build_report(
            entries, start_ms=start, end_ms=end, utc_offset_min=week_log.UTC_OFFSET_MIN,
            acks=acks, read_ms=end,
        )  # fmt: skip

    secs, report = best(compute, args.runs)
    assert isinstance(report, Report)
    print(f"read + fold + count (in process): {secs * 1000:.0f} ms, {report.visits} visits")
    secs, page = best(lambda: render_html(report), args.runs)
    print(f"render_html with pygal: {secs * 1000:.0f} ms, page {len(str(page).encode()):,} bytes")
    candidates = [("pygal", lambda: charts(report)), ("hand-written SVG", lambda: hand_svg(report))]
    if importlib.util.find_spec("matplotlib"):
        t = time.perf_counter()
        import matplotlib.pyplot  # noqa: F401

        print(f"matplotlib import: {(time.perf_counter() - t) * 1000:.0f} ms")
        candidates.append(("matplotlib svg", lambda: matplotlib_svg(report)))
    for name, fn in candidates:
        secs, svgs = best(fn, args.runs)
        size = sum(len(s.encode()) for s in svgs)  # type: ignore[union-attr]
        print(f"charts with {name}: {secs * 1000:.1f} ms, {size:,} bytes of SVG")


if __name__ == "__main__":
    main()
