"""Port values -> styled lines of text for the guard's screen.

Every widget shows one of these ``rich.text.Text`` objects, built from plain
strings with styles attached, never parsed from markup: a name such as
``[bold green]ALLOWED[/]`` stays those characters.  Strings that came from a
code, the log or the network go through ``clean_text`` once more here, so a
control character that slipped past the service still cannot reach the
terminal.

A state is always said in words or a symbol as well as a colour (✓ ✗ ?,
OFFLINE, STALE), so a guard who cannot tell red from green reads it too.
Pure functions: the current time and the time zone are passed in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from rich.text import Text

from kiosk.core.display import (
    CERTIFICATE_LABEL,
    CERTIFICATE_MARK,
    VERDICT_SYMBOL,
    clean_text,
    hours_ago,
)
from kiosk.core.errors import Reason, Severity
from kiosk.core.model import (
    CertificateState,
    CertificateStatus,
    Decision,
    Verdict,
)
from kiosk.core.visit import VisitStatus
from kiosk.port import (
    CameraStatus,
    ClockStatus,
    Counters,
    ListStatus,
    LogRow,
    LogStatus,
    SyncStatus,
    VisitView,
)

MAX_MESSAGE_LEN = 240
"""Longest reason message or note shown; the core's own messages are far shorter."""

SYMBOL = VERDICT_SYMBOL
"""The verdict's symbol: the verdict is never told by colour alone."""

ADVICE = {
    Verdict.ALLOW: "let them in",
    Verdict.DENY: "do not let them in",
    Verdict.REVIEW: "check, then approve (a) or deny (d)",
}
"""What the guard does, in a few words, under the big verdict."""

VERDICT_STYLE = {
    Verdict.ALLOW: "bold #1f9d3a",
    Verdict.DENY: "bold #d62828",
    Verdict.REVIEW: "bold #e8a200",
}
"""Colour of a verdict word on a dark background (tables, lists)."""

OK_STYLE = "#2fbf4f"
WARN_STYLE = "bold #f0b400"
BAD_STYLE = "bold #ff4d4d"
DIM_STYLE = "#9a9a9a"

CERT_LABEL = CERTIFICATE_LABEL
"""Names of the certificates, as the command-line output calls them."""

_CERT_STYLE = {
    CertificateStatus.OK: OK_STYLE,
    CertificateStatus.FAILED: BAD_STYLE,
    CertificateStatus.REVIEW: WARN_STYLE,
    CertificateStatus.MISSING: DIM_STYLE,
    CertificateStatus.IGNORED: DIM_STYLE,
}

_SEVERITY = {
    Severity.DENY: ("✗ DENY  ", BAD_STYLE),
    Severity.REVIEW: ("? REVIEW", WARN_STYLE),
    Severity.NOTE: ("· NOTE  ", DIM_STYLE),
}
_SEVERITY_ORDER = {Severity.DENY: 0, Severity.REVIEW: 1, Severity.NOTE: 2}

_SEP = (" · ", DIM_STYLE)


def clock_time(epoch_s: float, tz: dt.tzinfo) -> str:
    """``08:30:05``: a time of day, as the guard's wall clock shows it."""
    return dt.datetime.fromtimestamp(epoch_s, tz).strftime("%H:%M:%S")


def who(decision: Decision) -> str:
    """The name to show: only a verified code's name is worth reading."""
    if decision.credential is None:
        return "(code not verified)"
    return clean_text(decision.name) or "(no name)"


def visit_who(view: VisitView, tz: dt.tzinfo) -> str:
    """``Wang *ming (11:51:20, REVIEW)``: the person an action lands on, and when they came."""
    when = clock_time(view.opened_ms / 1000, tz)
    return f"{who(view.decision)} ({when}, {view.verdict.value})"


def visit_note(view: VisitView) -> str:
    """What the guard did or measured on this visit, and whether it is in the log yet."""
    parts = []
    if view.temperature_c is not None:
        parts.append(f"{view.temperature_c:.1f} °C")
    if view.mask is not None:
        parts.append("mask ✓" if view.mask else "no mask")
    if view.status is VisitStatus.OVERRULED and view.overrule is not None:
        done = "approved" if view.overrule is Verdict.ALLOW else "denied"
        parts.append(f"{done} by the guard: {view.overrule_reason}")
    elif view.status is VisitStatus.LEFT:
        parts.append("left without a decision")
    if not view.recorded:
        parts.append("NOT YET IN THE LOG")
    return " · ".join(parts)


def waiting_line(view: VisitView, tz: dt.tzinfo, *, chosen: bool) -> Text:
    """``▸ 11:51:20 Zhao *yu: take the temperature`` for the waiting list."""
    first = next(
        (r for r in ordered(view.decision.reasons) if r.severity is not Severity.NOTE), None
    )
    why = clean_text(first.message, 60) if first is not None else ""
    return Text.assemble(
        ("▸ " if chosen else "  ", "bold"),
        clock_time(view.opened_ms / 1000, tz),
        " ",
        (who(view.decision), "bold" if chosen else ""),
        (f": {why}" if why else "", DIM_STYLE),
    )


def recent_name(row: LogRow) -> Text:
    """A visit's name in the recent list, with what the guard did to it."""
    name = Text(clean_text(row.name) or "–")
    if "GUARD_APPROVED" in row.reasons or "GUARD_DENIED" in row.reasons:
        name.append(" (guard)", style=DIM_STYLE)
    elif "LEFT_WITHOUT_DECISION" in row.reasons:
        name.append(" (left)", style=DIM_STYLE)
    if row.note == "not yet in the log":
        name.append(" ✗ not logged yet", style=BAD_STYLE)
    return name


def log_fault_text(log: LogStatus) -> Text:
    """``✗ LOG NOT WRITABLE: disk full · 12 held`` in red: a fault, not a verdict."""
    return Text.assemble(
        ("✗ LOG NOT WRITABLE: ", BAD_STYLE),
        (clean_text(log.fault, MAX_MESSAGE_LEN), BAD_STYLE),
        (f" · {log.held} held, written when it can", WARN_STYLE),
    )


def identity_line(decision: Decision, tz: dt.tzinfo, note: str = "") -> Text:
    """``Wang *ming · green code · 08:30:05``, and why it was judged again, if it was."""
    line = Text(who(decision), style="bold")
    if decision.colour is not None:
        line.append_text(Text.assemble(_SEP, f"{decision.colour.word} code"))
    line.append_text(Text.assemble(_SEP, clock_time(decision.decided_at, tz)))
    if note:
        line.append_text(Text.assemble(_SEP, clean_text(note, MAX_MESSAGE_LEN)))
    return line


def certificate_line(cert: CertificateState) -> Text:
    """``✓ Nucleic acid: negative, sampled 31 h ago`` with the mark in its colour."""
    mark, style = CERTIFICATE_MARK[cert.status], _CERT_STYLE[cert.status]
    return Text.assemble(
        (mark, style),
        " ",
        (f"{CERT_LABEL[cert.kind]}:", "bold"),
        " ",
        clean_text(cert.summary, MAX_MESSAGE_LEN),
        (f"  {cert.status.value}", DIM_STYLE)
        if cert.status in (CertificateStatus.MISSING, CertificateStatus.IGNORED)
        else "",
    )


def certificate_lines(decision: Decision) -> list[Text]:
    """One line per certificate, or one line saying none could be read."""
    if not decision.certificates:
        return [Text("– Certificates: not read (the code did not verify)", style=DIM_STYLE)]
    return [certificate_line(c) for c in decision.certificates]


def ordered(reasons: Iterable[Reason]) -> list[Reason]:
    """DENY reasons first, then REVIEW, then notes; in the core's order within each."""
    return sorted(reasons, key=lambda r: _SEVERITY_ORDER[r.severity])


def reason_line(reason: Reason) -> Text:
    """``✗ DENY   NAT_POSITIVE: nucleic acid test positive, sampled 31 h ago``."""
    word, style = _SEVERITY[reason.severity]
    return Text.assemble(
        (word, style),
        " ",
        (reason.code.value, "bold"),
        ": ",
        clean_text(reason.message, MAX_MESSAGE_LEN),
    )


def reason_lines(decision: Decision) -> list[Text]:
    """Every reason behind the decision, DENY first; one line saying so when there is none."""
    if not decision.reasons:
        return [Text("✓ No reasons against: every check passed", style=OK_STYLE)]
    return [reason_line(r) for r in ordered(decision.reasons)]


def verdict_text(verdict: str) -> Text:
    """A log row's verdict as ``✓ ALLOW`` in its colour; other kinds (observations) dim."""
    try:
        known = Verdict(verdict)
    except ValueError:
        return Text(clean_text(verdict, 16) or "–", style=DIM_STYLE)
    return Text(f"{SYMBOL[known]} {known.value}", style=VERDICT_STYLE[known])


def log_name(row: LogRow) -> Text:
    return Text(clean_text(row.name) or "–")


def log_reasons(row: LogRow) -> Text:
    return Text(clean_text(" ".join(row.reasons), MAX_MESSAGE_LEN))


def log_note(row: LogRow) -> Text:
    """The guard's reason, or the reading an observation recorded."""
    note = row.note
    if not note and (row.temperature_c is not None or row.mask is not None):
        parts = []
        if row.temperature_c is not None:
            parts.append(f"temperature {row.temperature_c:.1f} °C")
        if row.mask is not None:
            parts.append("mask worn" if row.mask else "no mask")
        note = ", ".join(parts)
    return Text(clean_text(note, MAX_MESSAGE_LEN))


def camera_text(camera: CameraStatus) -> Text:
    """``Camera ● 14.8 fps``, ``Camera ‖ PAUSED``, ``Camera ✗ NOT CONNECTED``."""
    line = Text("Camera ", style="bold")
    if not camera.connected:
        line.append("✗ NOT CONNECTED", style=BAD_STYLE)
    elif camera.paused:
        line.append("‖ PAUSED", style=WARN_STYLE)
    else:
        line.append(f"● {camera.fps:.1f} fps", style=OK_STYLE)
    if camera.message:
        line.append(f" {clean_text(camera.message)}", style=DIM_STYLE)
    return line


def sync_text(sync: SyncStatus, now_s: float) -> Text:
    """``Sync ● online, last 2 min ago, 3 waiting`` or ``Sync ✗ OFFLINE, ...``."""
    line = Text("Sync ", style="bold")
    if not sync.enabled:
        line.append("– off", style=DIM_STYLE)
    elif sync.online:
        line.append("● online", style=OK_STYLE)
    else:
        line.append("✗ OFFLINE", style=BAD_STYLE)
    if sync.enabled:
        if sync.last_success_ms is None:
            line.append(", never synced")
        else:
            line.append(f", last {hours_ago(now_s - sync.last_success_ms / 1000)}")
    waiting = f", {sync.backlog} waiting"
    line.append(waiting, style=WARN_STYLE if sync.backlog and not sync.online else "")
    return line


def list_age(label: str, age_s: int | None, lists: ListStatus) -> Text:
    """``Trust list 3 h`` in green, amber past ``warn_after_s``, red past ``refuse_after_s``."""
    line = Text(f"{label} ", style="bold")
    if age_s is None:
        line.append("✗ NONE", style=BAD_STYLE)
    elif age_s > lists.refuse_after_s:
        line.append(f"✗ STALE {hours_ago(age_s)}", style=BAD_STYLE)
    elif age_s > lists.warn_after_s:
        line.append(f"! old {hours_ago(age_s)}", style=WARN_STYLE)
    else:
        line.append(hours_ago(age_s), style=OK_STYLE)
    return line


def clock_text(clock: ClockStatus, now_s: float, tz: dt.tzinfo) -> Text:
    """``Clock 08:30:05`` and the clock's warning, if it has one."""
    line = Text.assemble(("Clock ", "bold"), clock_time(now_s, tz))
    if clock.warning:
        line.append(f" ! {clean_text(clock.warning, MAX_MESSAGE_LEN)}", style=WARN_STYLE)
    return line


def joined(parts: Iterable[Text]) -> Text:
    """Parts of a status line with a dim separator between them."""
    return Text(" │ ", style=DIM_STYLE).join(parts)


def counters_text(counters: Counters) -> Text:
    """``Today 12 visits · ✓ 9 · ✗ 2 · ? 1 waiting · 1 overruled · 0 left``."""
    return Text.assemble(
        ("Today ", "bold"),
        f"{counters.visits} visits",
        _SEP,
        (f"✓ {counters.allowed}", VERDICT_STYLE[Verdict.ALLOW]),
        _SEP,
        (f"✗ {counters.denied}", VERDICT_STYLE[Verdict.DENY]),
        _SEP,
        (f"? {counters.waiting} waiting", VERDICT_STYLE[Verdict.REVIEW]),
        _SEP,
        f"{counters.overruled} overruled",
        _SEP,
        f"{counters.left} left",
    )
