"""Reasons, ages, dates and places in the guard's words, in the kiosk's language.

The core gives each reason a stable code, an English message for the log,
and its facts as ``params``.  This module turns them into one short line to
act on: a template per code from the message catalog, filled with the facts
in words ("2 hours ago", "北京市朝阳区", "18 Nov"), or, for a code without
facts, the code's phrase (``kiosk.core.reason_words``).  The code itself
never reaches the screen's reason line.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from kiosk.core.display import clean_text
from kiosk.core.errors import Reason, ReasonCode, Refusal
from kiosk.core.model import CertificateKind, CertificateState
from kiosk.core.reason_words import REASON_WORDS
from kiosk.ui.areas import area_name
from kiosk.ui.i18n import N_, _, language, ngettext

MAX_DETAIL_LEN = 120
"""Longest free text (a guard's reason) kept in a reason line."""


# --- ages, spans, dates ------------------------------------------------------


def span(seconds: int) -> str:
    """A non-negative duration in the unit a guard thinks in: minutes, hours or days."""
    if seconds < 60:
        return ngettext("{n} second", "{n} seconds", seconds).format(n=seconds)
    if seconds < 3600:
        n = seconds // 60
        return ngettext("{n} minute", "{n} minutes", n).format(n=n)
    if seconds < 72 * 3600:
        n = seconds // 3600
        return ngettext("{n} hour", "{n} hours", n).format(n=n)
    n = seconds // 86400
    return ngettext("{n} day", "{n} days", n).format(n=n)


def ago(seconds: float) -> str:
    """``2 hours ago``, ``45 minutes ago``, ``just now``, ``in 5 minutes``."""
    if not math.isfinite(seconds):
        return _("at an unknown time")
    whole = int(seconds)
    if -60 < whole < 60:
        return _("just now")
    if whole < 0:
        return _("in {span}").format(span=span(-whole))
    return _("{span} ago").format(span=span(whole))


def days_ago(days: int) -> str:
    """``today``, ``53 days ago``, ``in 2 days``."""
    if days == 0:
        return _("today")
    if days < 0:
        return _("in {span}").format(span=span(-days * 86400))
    return _("{span} ago").format(span=span(days * 86400))


_MONTHS = (
    N_("Jan"),
    N_("Feb"),
    N_("Mar"),
    N_("Apr"),
    N_("May"),
    N_("Jun"),
    N_("Jul"),
    N_("Aug"),
    N_("Sep"),
    N_("Oct"),
    N_("Nov"),
    N_("Dec"),
)


def short_date(iso: str) -> str:
    """``2026-11-18`` -> ``18 Nov`` / ``11月18日``; text that is not a date comes back as is."""
    try:
        day = dt.date.fromisoformat(iso)
    except ValueError:
        return clean_text(iso, 16)
    # TRANSLATORS: a day of the month, as "18 Nov" or "11月18日".
    return _("{day} {month}").format(day=day.day, month=_(_MONTHS[day.month - 1]), m=day.month)


def area(code: str) -> str:
    """An area's name in the kiosk's language, or its code when the kiosk does not know it."""
    return area_name(clean_text(code, 32), language())


# --- words for the core's enums -------------------------------------------------

COLOUR_WORDS = {"G": N_("green"), "Y": N_("yellow"), "R": N_("red")}
LEVEL_WORDS = {"L": N_("low"), "M": N_("medium"), "H": N_("high")}
LIST_WORDS = {"trust list": N_("trust list"), "revocation list": N_("revocation list")}
CERTIFICATE_WORDS = {
    CertificateKind.VACCINATION: N_("Inoculation"),
    CertificateKind.NUCLEIC_ACID: N_("Nucleic acid"),
    CertificateKind.TRAVEL: N_("Travel"),
}


def colour(value: str) -> str:
    return _(COLOUR_WORDS.get(value, value))


def phrase(code: ReasonCode) -> str:
    """A code's short phrase in the kiosk's language."""
    return _(REASON_WORDS.get(code, code.value))


# --- reasons -----------------------------------------------------------------

REASON_TEMPLATES: dict[ReasonCode, str] = {
    ReasonCode.COLOUR_NOT_ALLOWED: N_("{colour} code: not admitted here"),
    ReasonCode.COLOUR_REVIEW: N_("{colour} code: check, then decide"),
    ReasonCode.CODE_TOO_OLD: N_("code issued {age}, older than {max_min} min: ask for a fresh one"),
    ReasonCode.EXPIRED: N_("code expired {age}: ask for a fresh code"),
    ReasonCode.NOT_YET_VALID: N_("code issued {ahead} in the future: check the kiosk clock"),
    ReasonCode.NAT_POSITIVE: N_("nucleic acid test positive (sampled {age})"),
    ReasonCode.NAT_IN_FUTURE: N_("nucleic acid test dated in the future ({age})"),
    ReasonCode.NAT_TOO_OLD: N_("nucleic acid test too old: sampled {age}, limit {max_h} h"),
    ReasonCode.VAC_TOO_FEW_DOSES: N_("too few vaccine doses: {doses} of {min_doses}"),
    ReasonCode.VAC_IN_FUTURE: N_("last vaccine dose dated in the future ({date})"),
    ReasonCode.VAC_TOO_RECENT: N_(
        "last vaccine dose too recent: {days_ago} ({date}), {min_days} days needed"
    ),
    ReasonCode.TRAVEL_RISK_AREA: N_("visited a {level}-risk area: {area} on {date}{more}"),
    ReasonCode.TRAVEL_IN_FUTURE: N_("travel record dated in the future: {area} on {date}"),
    ReasonCode.TRAVEL_RECORD_STALE: N_("travel record too old: made {age}, limit {max_h} h"),
    ReasonCode.TEMPERATURE_HIGH: N_("fever: {reading} °C (limit {threshold} °C)"),
    ReasonCode.TEMPERATURE_INVALID: N_("temperature {reading} °C is not plausible: measure again"),
    ReasonCode.TRUST_LIST_STALE: N_("trust list out of date: updated {age}"),
    ReasonCode.REVOCATION_LIST_STALE: N_("revocation list out of date: updated {age}"),
    ReasonCode.LIST_EXPIRED: N_("{list} expired {age}: update the kiosk"),
    ReasonCode.PASSBACK: N_("already let in here {age}: ask why they are back"),
    ReasonCode.CLOCK_SKEW: N_("kiosk clock is off by {skew}: tell IT"),
    ReasonCode.CLOCK_BACKWARDS: N_("kiosk clock went back {behind}: tell IT"),
    ReasonCode.GUARD_APPROVED: N_("approved by the guard: {note}"),
    ReasonCode.GUARD_DENIED: N_("denied by the guard: {note}"),
}
"""A line per code, filled from ``Reason.params``; a code not here shows its phrase."""

FOREIGN_WORDS = {
    "allow": N_("foreign certificate (EU DCC): admitted here"),
    "review": N_("foreign certificate (EU DCC): check it by hand"),
    "deny": N_("foreign certificate (EU DCC): not admitted here"),
}

_GUARD_TEXT = frozenset({ReasonCode.GUARD_APPROVED, ReasonCode.GUARD_DENIED})


def _seconds(text: str) -> int:
    try:
        return int(float(text))
    except ValueError:
        return 0


def _more(count: str) -> str:
    n = _seconds(count)
    return ngettext(" and {n} more", " and {n} more", n).format(n=n) if n > 0 else ""


def _values(reason: Reason) -> dict[str, str]:
    """The reason's params as words to put in its template."""
    p = dict(reason.params)
    values = {k: clean_text(v, 64) for k, v in p.items()}
    if "age_s" in p:
        values["age"] = ago(_seconds(p["age_s"]))
    if "ahead_s" in p:
        values["ahead"] = span(abs(_seconds(p["ahead_s"])))
    if "skew_s" in p:
        values["skew"] = span(abs(_seconds(p["skew_s"])))
    if "behind_s" in p:
        values["behind"] = span(abs(_seconds(p["behind_s"])))
    if "colour" in p:
        values["colour"] = colour(p["colour"])
    if "level" in p:
        values["level"] = _(LEVEL_WORDS.get(p["level"], p["level"]))
    if "area" in p:
        values["area"] = area(p["area"])
    if "date" in p:
        values["date"] = short_date(p["date"])
    if "days" in p:
        values["days_ago"] = days_ago(_seconds(p["days"]))
    values["more"] = _more(p.get("more", "0"))
    if "list" in p:
        values["list"] = _(LIST_WORDS.get(p["list"], p["list"]))
    return values


def reason_words(reason: Reason) -> str:
    """One reason as a short line to act on, in the kiosk's language."""
    code = reason.code
    if code is ReasonCode.FOREIGN_CERTIFICATE and reason.param("action") in FOREIGN_WORDS:
        return _(FOREIGN_WORDS[reason.param("action")])
    template = REASON_TEMPLATES.get(code)
    if template is None:
        return phrase(code)
    if code in _GUARD_TEXT:
        note = clean_text(reason.message, MAX_DETAIL_LEN)
        return _(template).format(note=note) if note else phrase(code)
    if not reason.params:
        return phrase(code)
    try:
        return _(template).format(**_values(reason))
    except (KeyError, IndexError, ValueError):
        return phrase(code)


def search_words(code: ReasonCode) -> str:
    """Everything the screen may say for ``code``, for the log search: its phrase and its
    line with the facts left out (``到过高风险地区`` as well as ``到过风险地区``)."""
    said = [phrase(code)]
    template = REASON_TEMPLATES.get(code)
    if template is not None:
        line = _(template)
        fillings = [_(w) for w in LEVEL_WORDS.values()] if "{level}" in line else [""]
        for filling in fillings:
            said.append(re.sub(r"\{\w+\}", "", line.replace("{level}", filling)))
    return "\n".join(said)


# --- certificates ----------------------------------------------------------------


def certificate_words(cert: CertificateState) -> str:
    """A certificate's summary in the kiosk's language: ``negative, sampled 31 hours ago``."""
    p = dict(cert.params)
    try:
        if cert.kind is CertificateKind.NUCLEIC_ACID and "result" in p:
            result = _("positive") if p["result"] == "positive" else _("negative")
            return _("{result}, sampled {age}").format(result=result, age=ago(_seconds(p["age_s"])))
        if cert.kind is CertificateKind.VACCINATION and "doses" in p:
            n = _seconds(p["doses"])
            doses = ngettext("{n} dose", "{n} doses", n).format(n=n)
            return _("{doses}, last {days_ago} ({date})").format(
                doses=doses, days_ago=days_ago(_seconds(p["days"])), date=short_date(p["date"])
            )
        if cert.kind is CertificateKind.TRAVEL and "area" in p:
            text = _("{level}-risk area {area} on {date}{more}").format(
                level=_(LEVEL_WORDS.get(p["level"], p["level"])),
                area=area(p["area"]),
                date=short_date(p["date"]),
                more=_more(p.get("more", "0")),
            )
        elif cert.kind is CertificateKind.TRAVEL and "lookback_days" in p:
            n = _seconds(p["lookback_days"])
            text = ngettext("no risk areas in {n} day", "no risk areas in {n} days", n).format(n=n)
        elif cert.summary == "none":
            return _("none")
        else:
            return clean_text(cert.summary, MAX_DETAIL_LEN) if language() == "en" else "—"
        if "record_age_s" in p:
            text += _(" (record made {age})").format(age=ago(_seconds(p["record_age_s"])))
        return text
    except (KeyError, IndexError, ValueError):
        return clean_text(cert.summary, MAX_DETAIL_LEN)


REFUSALS = (
    N_("cannot {what}: this person left without a decision"),
    N_("record a reading"),
    N_("approve or deny"),
    N_("nothing was measured"),
    N_("a reason is required"),
    N_("the reason holds a scanned code: type the reason in words"),
    N_("the guard approves (ALLOW) or denies (DENY)"),
    N_(
        "this code did not verify: it names nobody, so it cannot be approved "
        "(policy guard.approve_unverified)"
    ),
    N_("{codes} cannot be approved by a guard (policy guard.never_approve)"),
    N_("that person is no longer held on screen; find them in the log view"),
    N_("an overrule approves (ALLOW) or denies (DENY)"),
)
"""The templates of a refused guard action (``kiosk.core.visit.VisitError``, the service's
``ActionError``), listed here so the catalogs hold them; a test reads those modules and
fails on a template missing here."""


def refusal_words(error: Exception) -> str:
    """A refused guard action in the kiosk's language: its template from the catalog, the
    reason codes it names as their words (``kiosk.core.errors.Refusal``)."""
    if not isinstance(error, Refusal):
        return str(error)
    params = dict(error.params)
    named = []
    for code in error.codes:
        try:
            named.append(phrase(ReasonCode(code)))
        except ValueError:
            named.append(code)
    for key, value in params.items():  # a part of the action named in words ("approve or deny")
        params[key] = _(value)
    try:
        # TRANSLATORS: between two reasons named in a refused action.
        return _(error.text).format(codes=_("; ").join(named), **params)
    except (KeyError, IndexError, ValueError):
        return str(error)
