"""The supervisor's report as a terminal table, CSV, or one self-contained HTML page.

The numbers come from ``kiosk.core.report``; this module only lays them out.
The HTML page holds everything inline (CSS, two SVG charts drawn by pygal),
loads nothing from the network and needs no script: it can be mailed, put on
a USB stick or opened on a machine without network.  pygal was chosen over
matplotlib's SVG backend and hand-written SVG by measurement (BENCHMARKS.md):
it draws SVG natively, imports in a tenth of the time, and keeps its text as
text.  Its inline configuration script is removed: the charts do not need it.
"""

from __future__ import annotations

import csv
import html
import re
from typing import TextIO

from kiosk.core.report import (
    OUTCOME_WORDS,
    OUTCOMES,
    Report,
    iso_local,
    offset_text,
    share,
)

SYNC_NOT_LOGGED = (
    "Time offline: from the sync attempts the kiosk logs (a failed one until the next that "
    "reached the server, and any 10 min with none logged: the kiosk was off or its sync "
    "stopped); not known for a log from before they were logged. From the time each entry "
    "was written and acknowledged by the server: the longest backlog and the time some entry "
    "waited longer than {lag} min."
)

OUTCOME_COLOURS = {
    "ALLOW": "#2e7d32",
    "DENY": "#c62828",
    "WAITING": "#f9a825",
    "LEFT": "#757575",
}
CHECK_COLOURS = ("#1565c0", "#6a1b9a", "#00838f")


def _pct(part: int, whole: int) -> str:
    return f"{share(part, whole):.1f} %"


def _minutes(ms: int) -> str:
    minutes = ms // 60_000
    return f"{minutes // 60} h {minutes % 60:02d} min"


def window_text(r: Report) -> str:
    end = iso_local(r.end_ms, r.utc_offset_min)
    return f"{iso_local(r.start_ms, r.utc_offset_min)} to {end} ({offset_text(r.utc_offset_min)})"


def _checks(r: Report) -> list[tuple[str, int]]:
    return [
        ("code checked", r.code_checked),
        ("temperature measured", r.temperature),
        ("mask checked", r.mask),
    ]


def _sync_lines(r: Report, lag_min: int) -> list[tuple[str, str]]:
    if r.sync is None:
        return [("sync", "not read (no acknowledgement times given)")]
    lines: list[tuple[str, str]] = []
    for kiosk, s in r.sync.items():
        at = s.longest_backlog_at_ms
        when = "" if at is None else f" at {iso_local(at, r.utc_offset_min)}"
        lines.append((f"{kiosk}: longest backlog", f"{s.longest_backlog} entries{when}"))
        lines.append(
            (f"{kiosk}: time behind (an entry waited > {lag_min} min)", _minutes(s.behind_ms))
        )
        for lo, hi in s.behind_spans:
            span = f"{iso_local(lo, r.utc_offset_min)} to {iso_local(hi, r.utc_offset_min)}"
            lines.append((f"{kiosk}: behind", span))
        lines.append((f"{kiosk}: not yet acknowledged", str(s.unacknowledged)))
        if s.offline_ms is None:
            lines.append((f"{kiosk}: time offline", "not known (no sync attempts logged)"))
            continue
        known = ""
        if s.known_from_ms is not None and s.known_from_ms > r.start_ms:
            known = f" (attempts logged from {iso_local(s.known_from_ms, r.utc_offset_min)})"
        lines.append((f"{kiosk}: time offline", _minutes(s.offline_ms) + known))
        for lo, hi in s.offline_spans:
            span = f"{iso_local(lo, r.utc_offset_min)} to {iso_local(hi, r.utc_offset_min)}"
            lines.append((f"{kiosk}: offline", span))
    return lines


# --- terminal -------------------------------------------------------------------------


def render_table(r: Report, *, lag_min: int = 10) -> str:
    out: list[str] = []
    add = out.append
    add(f"Report {window_text(r)}")
    add(f"kiosks: {', '.join(r.kiosks) or '(none)'}")
    add("")
    add(f"visits: {r.visits}")
    for k in OUTCOMES:
        add(f"  {OUTCOME_WORDS[k]:<26}{r.outcomes[k]:>8}  {_pct(r.outcomes[k], r.visits):>8}")
    add("")
    add("three checks (share of visits)")
    for label, n in _checks(r):
        add(f"  {label:<26}{n:>8}  {_pct(n, r.visits):>8}")
    add("")
    add("by hour   visits  allowed  denied  waiting  left   temp %   mask %")
    for h in r.hours:
        if not h.visits:
            continue
        o = h.outcomes
        add(
            f"  {h.hour:02d}:00 {h.visits:>8} {o['ALLOW']:>8} {o['DENY']:>7} {o['WAITING']:>8}"
            f" {o['LEFT']:>5} {share(h.temperature, h.visits):>8.1f}"
            f" {share(h.mask, h.visits):>8.1f}"
        )
    for title, rows in (("denials by reason", r.denials), ("reviews by reason", r.reviews)):
        add("")
        add(title)
        if not rows:
            add("  (none)")
        for c in rows:
            add(f"  {c.count:>6}  {c.words}")
    add("")
    add(f"guard overrules: {r.overrule_total}")
    for ov in r.overrules:
        add(f"  {ov.count:>6}  {ov.direction:<16} {ov.words}")
    add("")
    add("per kiosk      " + "".join(f"{k.lower():>10}" for k in OUTCOMES))
    for kiosk, counts in r.per_kiosk.items():
        add(f"  {kiosk:<13}" + "".join(f"{counts[k]:>10}" for k in OUTCOMES))
    add("")
    add("sync")
    add("  " + SYNC_NOT_LOGGED.format(lag=lag_min))
    for label, value in _sync_lines(r, lag_min):
        add(f"  {label}: {value}")
    return "\n".join(out) + "\n"


# --- CSV ------------------------------------------------------------------------------

CSV_HEADER = ("section", "key", "detail", "count", "share_percent")


def write_csv(r: Report, out: TextIO, *, lag_min: int = 10) -> None:
    """Long form: one number per row, so a spreadsheet can pivot it."""
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(CSV_HEADER)
    w.writerow(("window", iso_local(r.start_ms, r.utc_offset_min), window_text(r), "", ""))
    w.writerow(("visits", "all", "", r.visits, "100.0"))
    for k in OUTCOMES:
        w.writerow(
            ("outcome", k, OUTCOME_WORDS[k], r.outcomes[k], f"{share(r.outcomes[k], r.visits):.1f}")
        )
    for label, n in _checks(r):
        w.writerow(("check", label, "", n, f"{share(n, r.visits):.1f}"))
    for h in r.hours:
        hh = f"{h.hour:02d}"
        w.writerow(("hour", hh, "visits", h.visits, ""))
        for k in OUTCOMES:
            w.writerow(("hour", hh, k, h.outcomes[k], f"{share(h.outcomes[k], h.visits):.1f}"))
        w.writerow(
            (
                "hour",
                hh,
                "temperature measured",
                h.temperature,
                f"{share(h.temperature, h.visits):.1f}",
            )
        )
        w.writerow(("hour", hh, "mask checked", h.mask, f"{share(h.mask, h.visits):.1f}"))
    for c in r.denials:
        w.writerow(("denial", c.code, c.words, c.count, ""))
    for c in r.reviews:
        w.writerow(("review", c.code, c.words, c.count, ""))
    w.writerow(("overrules", "all", "", r.overrule_total, ""))
    for ov in r.overrules:
        w.writerow(("overrule", ov.direction, f"{ov.code} {ov.words}".strip(), ov.count, ""))
    for kiosk, counts in r.per_kiosk.items():
        for k in OUTCOMES:
            w.writerow(("kiosk", kiosk, k, counts[k], ""))
    for kiosk, s in (r.sync or {}).items():
        w.writerow(("sync", kiosk, "longest backlog (entries)", s.longest_backlog, ""))
        w.writerow(
            ("sync", kiosk, f"minutes behind (an entry waited > {lag_min} min)",
             s.behind_ms // 60_000, "")
        )  # fmt: skip
        w.writerow(("sync", kiosk, "not yet acknowledged (entries)", s.unacknowledged, ""))
        if s.offline_ms is not None:
            w.writerow(("sync", kiosk, "minutes offline", s.offline_ms // 60_000, ""))


# --- HTML -----------------------------------------------------------------------------

_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)
_DECL = re.compile(r"^<\?xml[^>]*>\s*")


def _svg(chart: object) -> str:
    text = chart.render(is_unicode=True)  # type: ignore[attr-defined]
    return _SCRIPT.sub("", _DECL.sub("", text))


def charts(r: Report) -> tuple[str, str]:
    """(entries per hour stacked by outcome, the three shares per hour against 100 %) as SVG."""
    import pygal
    from pygal.style import Style

    labels = [f"{h:02d}" for h in range(24)]
    stacked = pygal.StackedBar(
        style=Style(colors=tuple(OUTCOME_COLOURS[k] for k in OUTCOMES), background="white",
                    plot_background="white"),
        js=[], width=960, height=360, legend_at_bottom=True, legend_at_bottom_columns=4,
        title="Visits per hour, by final outcome", x_title="hour (site time)",
        disable_xml_declaration=True, show_y_guides=True,
    )  # fmt: skip
    stacked.x_labels = labels
    for k in OUTCOMES:
        stacked.add(OUTCOME_WORDS[k], [h.outcomes[k] for h in r.hours])
    lines = pygal.Line(
        style=Style(colors=(*CHECK_COLOURS, "#000000"), background="white",
                    plot_background="white"),
        js=[], width=960, height=360, range=(0, 105), legend_at_bottom=True,
        legend_at_bottom_columns=4, title="The three checks per hour (% of visits)",
        x_title="hour (site time)", disable_xml_declaration=True, allow_interruptions=True,
    )  # fmt: skip
    lines.x_labels = labels

    def hourly(attr: str | None) -> list[float | None]:
        out: list[float | None] = []
        for h in r.hours:
            if not h.visits:
                out.append(None)
                continue
            n = h.visits if attr is None else getattr(h, attr)
            out.append(round(share(n, h.visits), 1))
        return out

    lines.add("code checked", hourly(None))
    lines.add("temperature measured", hourly("temperature"))
    lines.add("mask checked", hourly("mask"))
    lines.add("target 100 %", [100.0] * 24, show_dots=False, stroke_style={"dasharray": "6,4"})
    return _svg(stacked), _svg(lines)


_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
"""Nothing but the page itself: no script, no font, no image from anywhere."""

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;margin:1.5rem;
color:#1b1b1b;max-width:1000px}
h1{font-size:1.4rem;margin:0 0 .3rem}h2{font-size:1.1rem;margin:1.6rem 0 .4rem}
table{border-collapse:collapse;margin:.3rem 0}td,th{border:1px solid #ccc;padding:.25rem .6rem;
text-align:right}th{background:#f2f2f2}td.l,th.l{text-align:left}
.big{display:flex;gap:1rem;flex-wrap:wrap}.card{border:1px solid #ccc;border-radius:6px;
padding:.6rem 1rem;min-width:10rem}.card b{display:block;font-size:1.6rem}
.note{color:#555;font-size:.9rem}.chart svg{width:100%;height:auto}
"""


def _rows(rows: list[list[str]], head: list[str], left: int = 1) -> str:
    def cell(tag: str, i: int, v: str) -> str:
        cls = ' class="l"' if i < left else ""
        return f"<{tag}{cls}>{html.escape(v)}</{tag}>"

    h = "".join(cell("th", i, v) for i, v in enumerate(head))
    body = "".join(
        "<tr>" + "".join(cell("td", i, v) for i, v in enumerate(r)) + "</tr>" for r in rows
    )
    return f"<table><tr>{h}</tr>{body}</table>"


def render_html(r: Report, *, title: str = "Checkpoint report", lag_min: int = 10) -> str:
    stacked, lines = charts(r)
    total = f'<div class="card" data-key="visits">visits<b>{r.visits}</b>&nbsp;</div>'
    cards = "".join(
        f'<div class="card" data-key="{k}">{html.escape(OUTCOME_WORDS[k])}<b>{r.outcomes[k]}</b>'
        f"{_pct(r.outcomes[k], r.visits)}</div>"
        for k in OUTCOMES
    )
    checks = _rows(
        [[label, str(n), _pct(n, r.visits)] for label, n in _checks(r)],
        ["check", "visits", "share"],
    )
    hours = _rows(
        [
            [f"{h.hour:02d}:00", str(h.visits), *(str(h.outcomes[k]) for k in OUTCOMES),
             _pct(h.temperature, h.visits), _pct(h.mask, h.visits)]
            for h in r.hours if h.visits
        ],
        ["hour", "visits", *(OUTCOME_WORDS[k] for k in OUTCOMES), "temperature", "mask"],
    )  # fmt: skip
    denials = _rows([[c.words, str(c.count)] for c in r.denials], ["denial reason", "visits"])
    reviews = _rows([[c.words, str(c.count)] for c in r.reviews], ["review reason", "visits"])
    overrules = _rows(
        [[ov.direction, ov.words, str(ov.count)] for ov in r.overrules],
        ["direction", "kiosk's reason overruled", "count"],
        left=2,
    )
    kiosks = _rows(
        [[k, *(str(c[o]) for o in OUTCOMES)] for k, c in r.per_kiosk.items()],
        ["kiosk", *(OUTCOME_WORDS[o] for o in OUTCOMES)],
    )
    sync = _rows([[a.strip(), b] for a, b in _sync_lines(r, lag_min)], ["sync", ""], left=2)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>
<h1>{html.escape(title)}</h1>
<p>{html.escape(window_text(r))}; kiosks: {html.escape(", ".join(r.kiosks) or "(none)")}</p>
<div class="big">{total}{cards}</div>
<h2>The three checks</h2>{checks}
<div class="chart" id="checks-chart">{lines}</div>
<h2>Visits per hour</h2>
<div class="chart" id="hours-chart">{stacked}</div>
{hours}
<h2>Denials and reviews by reason</h2>{denials}{reviews}
<h2>Guard overrules: {r.overrule_total}</h2>{overrules}
<h2>Kiosks</h2>{kiosks}
<h2>Sync</h2><p class="note">{html.escape(SYNC_NOT_LOGGED.format(lag=lag_min))}</p>{sync}
</body></html>
"""
