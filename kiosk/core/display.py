"""Untrusted text -> safe display text, and the few words a guard reads.

Every string in a health code (name, issuer, area codes) comes from outside
and is shown to a guard and written to the log.  A right-to-left override can
make ``Wang *ming`` read as something else, a newline can forge a second log
line, a zero-width joiner can make two different names look the same, and a
megabyte of combining marks can bury the verdict on screen.  ``clean_text``
removes all of that in the pure core, once, so that the UI and the log only
ever see plain, single-line, bounded text.

What this module does *not* do is escape markup: the UI renders values as
plain ``Text`` objects, never as markup, so ``[bold]`` stays literal text.

The helpers below it turn seconds, days and dates into the short phrases a
guard reads at a glance ("31 h ago", "53 days ago", "18 Nov").  They never
read a clock: the caller passes ``now`` or ``today`` in.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

from kiosk.core import limits
from kiosk.core.model import CertificateKind, CertificateStatus, Verdict

ELLIPSIS = "…"
"""Appended to text that was cut to fit its maximum length."""

MAX_MARKS_PER_BASE = 4
"""Most combining marks kept after one base character.

Real scripts stack at most a few marks (Vietnamese two, Tibetan four or so);
"Zalgo" text stacks hundreds to draw over the lines above and below.
"""

_INPUT_FACTOR = 64
"""Input read per character of output budget; past that, hostile padding is cut unread."""

_SPACE_CONTROLS = frozenset("\t\n\v\f\r\x1c\x1d\x1e\x1f\x85")
"""Control characters that separate words: they become one space, not nothing."""

_INVISIBLE_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
"""Blank-looking characters outside the format category (Hangul fillers, braille blank).

They are letters or symbols by category, but draw nothing: a name made of them
looks empty, so they are treated like spaces.
"""

_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
"""Controls, format characters (bidi, zero-width, tags), surrogates, private use, unassigned."""

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _is_space(ch: str, category: str) -> bool:
    return ch in _SPACE_CONTROLS or ch in _INVISIBLE_LETTERS or category[0] == "Z"


def _scan(value: str, budget: int) -> tuple[str, bool]:
    """Clean ``value`` char by char until ``budget`` chars are kept.

    Returns the cleaned text (spaces collapsed, not yet stripped) and whether
    input was left over.  Stopping early bounds the work for huge inputs.
    """
    out: list[str] = []
    marks = 0
    pending_space = False
    for ch in value:
        if len(out) >= budget:
            return "".join(out), True
        category = unicodedata.category(ch)
        if _is_space(ch, category):
            pending_space = True
            marks = 0
            continue
        if category in _DROPPED_CATEGORIES:
            continue
        if category[0] == "M":
            marks += 1
            if marks > MAX_MARKS_PER_BASE:
                continue
        else:
            marks = 0
        if pending_space and out:
            out.append(" ")
        pending_space = False
        out.append(ch)
    return "".join(out), False


def clean_text(value: str, max_len: int = limits.MAX_DISPLAY_LEN) -> str:
    """Return ``value`` as one line of plain, visible text of at most ``max_len`` characters.

    - C0 and C1 controls are removed; tabs, newlines and other separators
      become a single space, and runs of whitespace collapse to one space;
    - bidi controls (U+061C, U+200E/F, U+202A-E, U+2066-9), zero-width and all
      other format characters (category Cf), lone surrogates, private-use and
      unassigned code points are removed;
    - more than ``MAX_MARKS_PER_BASE`` combining marks in a row are cut;
    - the text is NFC-normalised (before and after), stripped, and cut to
      ``max_len`` with a trailing "…" when it was longer.

    Work is bounded: at most ``64 * (2 * max_len + 8)`` characters of input
    are read; anything beyond counts as "longer".  The result is stable:
    cleaning it again changes nothing.

    Never raises for any ``str``; a non-``str`` gives ``""``.
    """
    if not isinstance(value, str) or max_len <= 0:
        return ""
    budget = 2 * max_len + 8
    cut = len(value) > _INPUT_FACTOR * budget
    if cut:
        value = value[: _INPUT_FACTOR * budget]
    text, left_over = _scan(unicodedata.normalize("NFC", value), budget)
    text = unicodedata.normalize("NFC", text).strip()
    cut = cut or left_over
    if cut or len(text) > max_len:
        text = text[: max_len - 1].rstrip() + ELLIPSIS
    return text


def plural(count: int, unit: str) -> str:
    """ "1 dose", "2 doses": a count with its unit, plural when not one."""
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def _span(seconds: int) -> str:
    """A non-negative duration in the unit a guard thinks in."""
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 72 * 3600:
        return f"{seconds // 3600} h"
    return plural(seconds // 86400, "day")


def hours_ago(seconds: int | float) -> str:
    """How long ago something happened: "45 min ago", "31 h ago", "3 days ago".

    Minutes below one hour, hours below three days (the usual test window),
    whole days from there on; always rounded down.  Under a minute is
    "just now"; a negative age (a time in the future) is "in 2 h".
    """
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        return "at an unknown time"
    whole = int(seconds)
    if 0 <= whole < 60:
        return "just now"
    if whole < 0:
        return "in " + _span(-whole) if -whole >= 60 else "just now"
    return _span(whole) + " ago"


def days_ago(days: int) -> str:
    """A whole number of days before today: "today", "1 day ago", "53 days ago", "in 2 days"."""
    if days == 0:
        return "today"
    if days < 0:
        return "in " + plural(-days, "day")
    return plural(days, "day") + " ago"


def short_date(day: dt.date, today: dt.date | None = None) -> str:
    """A date as a guard reads it: "18 Nov"; with the year when not this year: "18 Nov 2021"."""
    text = f"{day.day} {_MONTHS[day.month - 1]}"
    if today is not None and day.year != today.year:
        text += f" {day.year}"
    return text


# --- the words and marks every screen uses for verdicts and certificates ---

VERDICT_SYMBOL = {Verdict.ALLOW: "✓", Verdict.DENY: "✗", Verdict.REVIEW: "?"}
"""A verdict's symbol: a verdict is never told by colour alone."""

CERTIFICATE_LABEL = {
    CertificateKind.VACCINATION: "Inoculation",
    CertificateKind.NUCLEIC_ACID: "Nucleic acid",
    CertificateKind.TRAVEL: "Travel",
}
"""The certificates' names, as guards and operators read them."""

CERTIFICATE_MARK = {
    CertificateStatus.OK: "✓",
    CertificateStatus.FAILED: "✗",
    CertificateStatus.REVIEW: "?",
    CertificateStatus.MISSING: "–",
    CertificateStatus.IGNORED: "·",
}
"""A certificate's state as one mark in front of its line."""
