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

from rich.cells import cell_len
from rich.text import Text

from kiosk.core.announcements import SoundStatus
from kiosk.core.display import (
    CERTIFICATE_MARK,
    VERDICT_SYMBOL,
    clean_text,
)
from kiosk.core.errors import Reason, ReasonCode, Severity
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
from kiosk.ui import notes, words
from kiosk.ui.i18n import N_, _

MAX_MESSAGE_LEN = 240
"""Longest reason message or note shown; the core's own messages are far shorter."""

SYMBOL = VERDICT_SYMBOL
"""The verdict's symbol: the verdict is never told by colour alone."""

ADVICE = {
    Verdict.ALLOW: N_("let them in"),
    Verdict.DENY: N_("do not let them in"),
    Verdict.REVIEW: N_("check, then approve (a) or deny (d)"),
}
"""What the guard does, in a few words, under the big verdict (``advice`` translates)."""

VERDICT_WORDS = {
    Verdict.ALLOW: N_("ALLOW"),
    Verdict.DENY: N_("DENY"),
    Verdict.REVIEW: N_("REVIEW"),
}
"""The verdict as the screen says it; the log and JSON keep ``Verdict.value``."""


def advice(verdict: Verdict) -> str:
    """What the guard does for ``verdict``, in the kiosk's language."""
    return _(ADVICE[verdict])


def verdict_word(verdict: Verdict) -> str:
    """``ALLOW`` / ``通行``: the verdict in the kiosk's language."""
    return _(VERDICT_WORDS[verdict])


def pad(text: str, cells: int) -> str:
    """``text`` padded with spaces to ``cells`` terminal cells (a CJK character takes two)."""
    return text + " " * max(cells - cell_len(text), 0)


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


_CERT_STYLE = {
    CertificateStatus.OK: OK_STYLE,
    CertificateStatus.FAILED: BAD_STYLE,
    CertificateStatus.REVIEW: WARN_STYLE,
    CertificateStatus.MISSING: DIM_STYLE,
    CertificateStatus.IGNORED: DIM_STYLE,
}

_SEVERITY = {
    Severity.DENY: (N_("✗ DENY"), BAD_STYLE),
    Severity.REVIEW: (N_("? REVIEW"), WARN_STYLE),
    Severity.NOTE: (N_("· NOTE"), DIM_STYLE),
}
_SEVERITY_ORDER = {Severity.DENY: 0, Severity.REVIEW: 1, Severity.NOTE: 2}

_SEP = (" · ", DIM_STYLE)


def clock_time(epoch_s: float, tz: dt.tzinfo) -> str:
    """``08:30:05``: a time of day, as the guard's wall clock shows it."""
    return dt.datetime.fromtimestamp(epoch_s, tz).strftime("%H:%M:%S")


def who(decision: Decision) -> str:
    """The name to show: only a code whose signature verified has a name worth reading."""
    if decision.credential is None and not decision.signed:
        return _("(code not verified)")
    return clean_text(decision.name) or _("(no name)")


def visit_who(view: VisitView, tz: dt.tzinfo) -> str:
    """``Wang *ming (11:51:20, REVIEW)``: the person an action lands on, and when they came."""
    when = clock_time(view.opened_ms / 1000, tz)
    return _("{name} ({time}, {verdict})").format(
        name=who(view.decision), time=when, verdict=verdict_word(view.verdict)
    )


def visit_note(view: VisitView) -> str:
    """What the guard did or measured on this visit, and whether it is in the log yet."""
    parts = []
    if view.temperature_c is not None:
        parts.append(f"{view.temperature_c:.1f} °C")
    if view.mask is not None:
        parts.append(_("mask ✓") if view.mask else _("no mask"))
    if view.status is VisitStatus.OVERRULED and view.overrule is not None:
        done = (
            _("approved by the guard: {reason}")
            if view.overrule is Verdict.ALLOW
            else _("denied by the guard: {reason}")
        )
        parts.append(done.format(reason=view.overrule_reason))
    elif view.status is VisitStatus.LEFT:
        parts.append(_("left without a decision"))
    if not view.recorded:
        parts.append(_("NOT YET IN THE LOG"))
    return " · ".join(parts)


def waiting_line(view: VisitView, tz: dt.tzinfo, *, chosen: bool) -> Text:
    """``▸ 11:51:20 Zhao *yu: take the temperature`` for the waiting list."""
    first = next(
        (r for r in ordered(view.decision.reasons) if r.severity is not Severity.NOTE), None
    )
    why = clean_text(words.reason_words(first), 60) if first is not None else ""
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
        name.append(_(" (guard)"), style=DIM_STYLE)
    elif "LEFT_WITHOUT_DECISION" in row.reasons:
        name.append(_(" (left)"), style=DIM_STYLE)
    if row.note == "not yet in the log":
        name.append(_(" ✗ not logged yet"), style=BAD_STYLE)
    return name


def log_fault_text(log: LogStatus) -> Text:
    """``✗ LOG NOT WRITABLE: disk full · 12 held`` in red: a fault, not a verdict."""
    return Text.assemble(
        (_("✗ LOG NOT WRITABLE: "), BAD_STYLE),
        (clean_text(log.fault, MAX_MESSAGE_LEN), BAD_STYLE),
        (_(" · {n} held, written when it can").format(n=log.held), WARN_STYLE),
    )


def identity_line(decision: Decision, tz: dt.tzinfo, note: str = "") -> Text:
    """``Wang *ming · green code · 08:30:05``, and why it was judged again, if it was."""
    line = Text(who(decision), style="bold")
    if decision.colour is not None:
        code_words = _("{colour} code").format(colour=words.colour(decision.colour.value))
        line.append_text(Text.assemble(_SEP, code_words))
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
        (_("{label}: ").format(label=_(words.CERTIFICATE_WORDS[cert.kind])), "bold"),
        clean_text(words.certificate_words(cert), MAX_MESSAGE_LEN),
        (f"  {_(_CERT_STATUS_WORDS[cert.status])}", DIM_STYLE)
        if cert.status in (CertificateStatus.MISSING, CertificateStatus.IGNORED)
        else "",
    )


_CERT_STATUS_WORDS = {
    CertificateStatus.OK: N_("ok"),
    CertificateStatus.FAILED: N_("failed"),
    CertificateStatus.REVIEW: N_("check"),
    CertificateStatus.MISSING: N_("missing"),
    CertificateStatus.IGNORED: N_("not required"),
}

_FORGED = frozenset(
    {
        ReasonCode.BAD_SIGNATURE,
        ReasonCode.SIGNATURE_NOT_LOW_S,
        ReasonCode.ALG_MISMATCH,
        ReasonCode.ALG_UNSUPPORTED,
        ReasonCode.ISSUER_MISMATCH,
        ReasonCode.CBOR_DUPLICATE_KEY,
        ReasonCode.COSE_DUPLICATE_LABEL,
        ReasonCode.BASE45_INVALID,
        ReasonCode.ZLIB_MISSING,
        ReasonCode.ZLIB_CORRUPT,
        ReasonCode.ZLIB_TOO_LARGE,
        ReasonCode.CBOR_MALFORMED,
        ReasonCode.CBOR_TOO_DEEP,
        ReasonCode.CBOR_TRAILING_BYTES,
        ReasonCode.COSE_STRUCTURE,
        ReasonCode.CLAIMS_STRUCTURE,
        ReasonCode.TIME_OUT_OF_RANGE,
        ReasonCode.STRING_TOO_LONG,
    }
)
"""Reasons that mean the code itself is forged or damaged (not merely untrusted here)."""


def certificates_in_one_line(decision: Decision) -> Text:
    """``✓ Inoculation · ✗ Nucleic acid · ✓ Travel``: the certificates when rows are short."""
    if not decision.certificates:
        return certificate_lines(decision)[0]
    parts = [
        Text.assemble(
            (CERTIFICATE_MARK[c.status], _CERT_STYLE[c.status]),
            " ",
            _(words.CERTIFICATE_WORDS[c.kind]),
        )
        for c in decision.certificates
    ]
    return Text(" · ", style=DIM_STYLE).join(parts)


def certificate_lines(decision: Decision) -> list[Text]:
    """One line per certificate, or one line saying why none could be read."""
    if not decision.certificates:
        if any(r.code in _FORGED for r in decision.reasons):
            text = _("✗ Forged or damaged: not a valid health code")
            return [Text(text, style=BAD_STYLE)]
        return [Text(_("– Certificates: not read (the code did not verify)"), style=DIM_STYLE)]
    return [certificate_line(c) for c in decision.certificates]


def ordered(reasons: Iterable[Reason]) -> list[Reason]:
    """DENY reasons first, then REVIEW, then notes; in the core's order within each."""
    return sorted(reasons, key=lambda r: _SEVERITY_ORDER[r.severity])


def severity_word(severity: Severity) -> str:
    """``✗ DENY  `` / ``✗ 禁止``: padded to the widest of the three, in cells."""
    widest = max(cell_len(_(w)) for w, _style in _SEVERITY.values())
    return pad(_(_SEVERITY[severity][0]), widest)


def reason_line(reason: Reason) -> Text:
    """``✗ DENY   nucleic acid test positive (sampled 6 hours ago)``: words, not the code."""
    _word, style = _SEVERITY[reason.severity]
    return Text.assemble(
        (severity_word(reason.severity), style),
        " ",
        clean_text(words.reason_words(reason), MAX_MESSAGE_LEN),
    )


def reason_lines(decision: Decision) -> list[Text]:
    """Every reason behind the decision, DENY first; one line saying so when there is none."""
    if not decision.reasons:
        return [Text(_("✓ No reasons against: every check passed"), style=OK_STYLE)]
    return [reason_line(r) for r in ordered(decision.reasons)]


def verdict_text(verdict: str) -> Text:
    """A log row's verdict as ``✓ ALLOW`` in its colour; other kinds (observations) dim."""
    try:
        known = Verdict(verdict)
    except ValueError:
        return Text(clean_text(verdict, 16) or "–", style=DIM_STYLE)
    return Text(f"{SYMBOL[known]} {verdict_word(known)}", style=VERDICT_STYLE[known])


def log_name(row: LogRow) -> Text:
    return Text(clean_text(row.name) or "–")


def log_reasons(row: LogRow) -> Text:
    """A log row's reasons in words; the codes stay in the log itself."""
    said = []
    for i, code in enumerate(row.reasons):
        params = row.reason_params[i] if i < len(row.reason_params) else ()
        try:
            reason = Reason(ReasonCode(code), Severity.NOTE, "", params)
        except ValueError:
            said.append(code)
            continue
        said.append(words.reason_words(reason))
    # TRANSLATORS: between two reasons of one log entry.
    return Text(clean_text(_("; ").join(said), MAX_MESSAGE_LEN))


def log_note(row: LogRow) -> Text:
    """The guard's reason, or the reading an observation recorded."""
    note = notes.say_listed(row.note)
    if not note and (row.temperature_c is not None or row.mask is not None):
        parts = []
        if row.temperature_c is not None:
            parts.append(_("temperature {c} °C").format(c=f"{row.temperature_c:.1f}"))
        if row.mask is not None:
            parts.append(_("mask worn") if row.mask else _("no mask"))
        note = _(", ").join(parts)
    return Text(clean_text(note, MAX_MESSAGE_LEN))


def camera_text(camera: CameraStatus, *, short: bool = False) -> Text:
    """``Camera ● 14.8 fps``, ``Camera ○ no frames``, ``Camera ‖ PAUSED``,
    ``Camera ✗ NOT CONNECTED`` or ``Scanner only``: the dot is green only while frames come.

    ``short``: the narrow screen's form (``Cam ● 14.8 fps``, no camera message)."""
    if camera.scanner_only:
        if short:
            return Text(_("Scanner only"), style="bold")
        return Text.assemble((_("Scanner only"), "bold"), (_(" (no camera)"), DIM_STYLE))
    line = Text(_("Cam ") if short else _("Camera "), style="bold")
    if not camera.connected:
        line.append(_("✗ NOT CONNECTED"), style=BAD_STYLE)
    elif camera.paused:
        line.append(_("‖ PAUSED"), style=WARN_STYLE)
    elif camera.fps <= 0:
        line.append(_("○ no frames"), style=WARN_STYLE)
    else:
        line.append(f"● {camera.fps:.1f} fps", style=OK_STYLE)
    if camera.message and not short:
        line.append(f" {clean_text(notes.say_all(camera.message))}", style=DIM_STYLE)
    return line


def sync_text(
    sync: SyncStatus, now_s: float, tz: dt.tzinfo = dt.UTC, *, short: bool = False
) -> Text:
    """``Sync ● online, last 2 minutes ago, 3 waiting`` or, offline, since when and why:
    ``Sync ✗ OFFLINE since 11:02 (connection refused), 3 waiting``.

    ``short``: the narrow screen's form (no "last …", the error cut to 20 cells)."""
    line = Text(_("Sync "), style="bold")
    if not sync.enabled:
        line.append(_("– off"), style=DIM_STYLE)
    elif sync.online:
        line.append(_("● online"), style=OK_STYLE)
        if sync.last_success_ms is not None and not short:
            last = words.ago(now_s - sync.last_success_ms / 1000)
            line.append(_(", last {ago}").format(ago=last))
    else:
        line.append(_("✗ OFFLINE"), style=BAD_STYLE)
        if sync.last_success_ms is None:
            line.append(_(", never synced"))
        else:
            since = clock_time(sync.last_success_ms / 1000, tz)
            line.append(_(" since {time}").format(time=since[:5] if short else since))
        if sync.last_error:
            error = clean_text(notes.say_all(sync.last_error), 16 if short else 48)
            line.append(_(" ({error})").format(error=error), style=DIM_STYLE)
    waiting = _(", {n} waiting").format(n=sync.backlog)
    line.append(waiting, style=WARN_STYLE if sync.backlog and not sync.online else "")
    return line


def sound_text(sound: SoundStatus, *, short: bool = False) -> Text | None:
    """Why the kiosk is not heard as configured, or None when it is: ``Sound ✗ no player``,
    ``Sound ! tones only``, ``Sound ✗ failing``, ``Sound – off``; the whole note (``sound:
    espeak-ng not installed; tones only``) unless ``short``."""
    if not sound.note:
        return None
    if sound.failing:
        word, style = _("✗ failing"), BAD_STYLE
    elif sound.audible:
        word, style = _("! tones only"), WARN_STYLE
    elif not sound.enabled or sound.note in _SOUND_OFF_ON_PURPOSE:
        word, style = _("– off"), DIM_STYLE
    elif not sound.player:
        word, style = _("✗ no player"), BAD_STYLE
    else:
        word, style = _("✗ off"), BAD_STYLE
    if short:
        return Text.assemble((_("Sound "), "bold"), (word, style))
    return Text(clean_text(notes.say(sound.note), MAX_MESSAGE_LEN), style=style)


_SOUND_OFF_ON_PURPOSE = frozenset({"sound: off", "sound: player = none; off"})
"""Notes of a kiosk whose sound was turned off in its configuration (not a fault)."""


def list_age(label: str, age_s: int | None, lists: ListStatus) -> Text:
    """``Trust list 3 hours ago``: green, amber past ``warn_after_s``, red past ``refuse_after_s``.

    ``label`` is already in the kiosk's language."""
    line = Text(f"{label} ", style="bold")
    if age_s is None:
        line.append(_("✗ NONE"), style=BAD_STYLE)
    elif age_s > lists.refuse_after_s:
        line.append(_("✗ STALE {age}").format(age=words.ago(age_s)), style=BAD_STYLE)
    elif age_s > lists.warn_after_s:
        line.append(_("! old {age}").format(age=words.ago(age_s)), style=WARN_STYLE)
    else:
        line.append(words.ago(max(age_s, 0)), style=OK_STYLE)
    return line


def zone_label(tz: dt.tzinfo, now_s: float) -> str:
    """``UTC+8``, ``UTC-3:30``, ``UTC``: the zone the clock is shown in."""
    offset = dt.datetime.fromtimestamp(now_s, tz).utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def idle_hint(camera: CameraStatus) -> str:
    """What the waiting panel asks for, as things are: camera, paused, lost, scanner only."""
    if camera.scanner_only:
        return _("scan the health code with the hand scanner")
    if not camera.connected:
        return _("camera not connected: use the hand scanner")
    if camera.paused:
        return _("camera paused (p resumes): use the hand scanner")
    return _("show the health code to the camera")


def clock_text(clock: ClockStatus, now_s: float, tz: dt.tzinfo) -> Text:
    """``Clock 08:30:05 UTC+8`` and the clock's warning, if it has one."""
    line = Text.assemble(
        (_("Clock "), "bold"), clock_time(now_s, tz), (f" {zone_label(tz, now_s)}", DIM_STYLE)
    )
    if clock.warning:
        said = notes.say_all(clock.warning)
        line.append(f" ! {clean_text(said, MAX_MESSAGE_LEN)}", style=WARN_STYLE)
    return line


def joined(parts: Iterable[Text]) -> Text:
    """Parts of a status line with a dim separator between them."""
    return Text(" │ ", style=DIM_STYLE).join(parts)


def counters_text(counters: Counters, *, short: bool = False) -> Text:
    """``Today 12 visits · ✓ 9 · ✗ 2 · ? 1 waiting · 1 overruled · 0 left``.

    ``short``: ``Today 12 · ✓ 9 · ✗ 2 · ? 1 · 1 overruled · 0 left`` for a narrow column."""
    visits = str(counters.visits) if short else _("{n} visits").format(n=counters.visits)
    waiting = f"? {counters.waiting}" if short else _("? {n} waiting").format(n=counters.waiting)
    return Text.assemble(
        (_("Today "), "bold"),
        visits,
        _SEP,
        (f"✓ {counters.allowed}", VERDICT_STYLE[Verdict.ALLOW]),
        _SEP,
        (f"✗ {counters.denied}", VERDICT_STYLE[Verdict.DENY]),
        _SEP,
        (waiting, VERDICT_STYLE[Verdict.REVIEW]),
        _SEP,
        _("{n} overruled").format(n=counters.overruled),
        _SEP,
        _("{n} left").format(n=counters.left),
    )


def decision_words(decision: Decision, tz: dt.tzinfo, where: str = "") -> list[str]:
    """A decision as the guard's screen words it, as plain lines for a terminal log.

    ``kiosk-demo --headless`` prints these in the kiosk's language: the verdict
    and who, one line per certificate, one per reason (words, not codes).
    """
    verdict = decision.verdict
    head = f"{SYMBOL[verdict]} {verdict_word(verdict)}  {identity_line(decision, tz).plain}"
    if where:
        head += f"  [{clean_text(where, 80)}]"
    rows = [head]
    rows += [f"    {line.plain}" for line in certificate_lines(decision)]
    rows += [f"    {line.plain}" for line in reason_lines(decision)]
    return rows


def counters_tiny(counters: Counters) -> Text:
    """``Today 12 · ✓ 9 · ✗ 2 · ? 1``: the counters in the narrowest column."""
    return Text.assemble(
        (_("Today "), "bold"),
        str(counters.visits),
        _SEP,
        (f"✓ {counters.allowed}", VERDICT_STYLE[Verdict.ALLOW]),
        _SEP,
        (f"✗ {counters.denied}", VERDICT_STYLE[Verdict.DENY]),
        _SEP,
        (f"? {counters.waiting}", VERDICT_STYLE[Verdict.REVIEW]),
    )
