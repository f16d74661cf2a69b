"""The site policy: what a checkpoint admits, as data, and the pure judgement by it.

A verified code only says what the issuer signed (a colour, a test, doses, a
travel record).  Whether that is enough to enter *this* building is the
site's decision, and it changes with the local rules, so it lives in a file
(``config/policy.toml``), not in code.  This module owns

- the policy as frozen dataclasses with a documented default for every field
  (``DEFAULT_POLICY``) and a strict parser from the plain mapping ``tomllib``
  returns (``policy_from_mapping``): unknown keys and wrong values are errors
  that name the key;
- ``evaluate``: credential + policy + ``now`` + what the guard measured ->
  ``Decision`` with every reason and a plain-words summary per certificate;
- ``judge_lists`` and ``judge_foreign``: the policy's word on stale lists and
  on foreign (EU DCC) certificates, for the caller to add to its reasons;
- ``verdict_of``: the one rule that turns reasons into a verdict.

Everything here is pure: no I/O, no clock (``now`` is epoch seconds, passed
in).  Calendar rules ("last dose 14 days ago", "visited on 18 Nov") are
judged on the site's local date, from a fixed UTC offset in the policy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, TypeVar

from kiosk.core import limits
from kiosk.core.display import clean_text, days_ago, hours_ago, plural, short_date
from kiosk.core.errors import Reason, ReasonCode, Severity
from kiosk.core.model import (
    AreaVisit,
    CertificateKind,
    CertificateState,
    CertificateStatus,
    Colour,
    Credential,
    Decision,
    NucleicAcidTest,
    Observations,
    RiskLevel,
    TravelRecord,
    Vaccination,
    Verdict,
)
from kiosk.core.toml_table import Table, TableError, shown

MIN_PLAUSIBLE_C = 30.0
"""Lowest body temperature reading taken as real (°C); below it is a typo or a bad sensor."""

MAX_PLAUSIBLE_C = 45.0
"""Highest body temperature reading taken as real (°C); above it is a typo or a bad sensor."""

_HUNDREDTHS = 100
"""Readings are compared with the threshold in hundredths of a degree.

A thermometer shows tenths; comparing rounded hundredths keeps a reading that
was converted or computed (37.300000000000004) on the side of the threshold a
person reading the display would put it.
"""


class PolicyError(TableError):
    """A policy value has the wrong type, is out of range, or its key is unknown; names the key."""


class Mode(StrEnum):
    """What happens when a certificate is missing or not good enough."""

    REQUIRED = "required"
    """DENY."""
    REVIEW = "review"
    """REVIEW: the guard decides."""
    IGNORE = "ignore"
    """Nothing: the certificate is shown only."""

    @property
    def severity(self) -> Severity | None:
        return _MODE_SEVERITY[self]


class Action(StrEnum):
    """What a finding does to the verdict."""

    DENY = "deny"
    REVIEW = "review"
    ALLOW = "allow"
    """Only for foreign certificates: shown as a note."""

    @property
    def severity(self) -> Severity:
        return _ACTION_SEVERITY[self]


_MODE_SEVERITY: dict[Mode, Severity | None] = {
    Mode.REQUIRED: Severity.DENY,
    Mode.REVIEW: Severity.REVIEW,
    Mode.IGNORE: None,
}
_ACTION_SEVERITY: dict[Action, Severity] = {
    Action.DENY: Severity.DENY,
    Action.REVIEW: Severity.REVIEW,
    Action.ALLOW: Severity.NOTE,
}


# --------------------------------------------------------------------------
# The policy
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SiteRules:
    """Where the site is in time."""

    utc_offset_hours: float = 8.0
    """Fixed offset of the site's local time from UTC; calendar dates are judged in it."""
    clock_skew_s: int = limits.DEFAULT_SKEW_SECONDS
    """How far a time in a code may lie in the future before it counts as "in the future"."""

    @property
    def offset_seconds(self) -> int:
        return round(self.utc_offset_hours * 3600)


@dataclass(frozen=True, slots=True)
class ColourRules:
    """Which code colours are admitted; a colour in neither set is denied."""

    allow: frozenset[Colour] = frozenset({Colour.GREEN})
    review: frozenset[Colour] = frozenset({Colour.YELLOW})


@dataclass(frozen=True, slots=True)
class CodeRules:
    """How old a code may be: health codes are dynamic, a stale one may be a screenshot."""

    max_age_minutes: int = 60
    """Minutes since the code's ``iat``; older -> DENY CODE_TOO_OLD."""


@dataclass(frozen=True, slots=True)
class NucleicAcidRules:
    """The nucleic acid test: a positive result always denies."""

    mode: Mode = Mode.REQUIRED
    max_hours: int = 72
    """Hours since sampling; exactly ``max_hours`` is still fine."""


@dataclass(frozen=True, slots=True)
class VaccinationRules:
    """The inoculation certificate."""

    mode: Mode = Mode.REVIEW
    min_doses: int = 2
    min_days_since_last: int = 14
    """Whole local days since the last dose; exactly this many is fine."""


@dataclass(frozen=True, slots=True)
class TravelRules:
    """The travel record: visits to risk areas count in every mode."""

    mode: Mode = Mode.REQUIRED
    lookback_days: int = 14
    """A visit this many local days before today still counts; one more does not."""
    max_level: RiskLevel = RiskLevel.LOW
    """Highest risk level admitted; a visit above it is TRAVEL_RISK_AREA."""
    risk_action: Action = Action.DENY
    max_record_age_hours: int = 24
    """Hours since the record was made; older -> TRAVEL_RECORD_STALE with the mode's action."""


@dataclass(frozen=True, slots=True)
class TemperatureRules:
    """The guard's temperature reading."""

    required: bool = False
    """If true and no reading was given: REVIEW TEMPERATURE_NEEDED."""
    threshold_c: float = 37.3
    """A reading at or above this is a fever."""
    action: Action = Action.DENY


@dataclass(frozen=True, slots=True)
class MaskRules:
    """Whether a mask is worn."""

    required: bool = True
    action: Action = Action.REVIEW
    """What "no mask" does when masks are required."""
    confirm_required: bool = False
    """If true, a mask not yet confirmed by the guard gives REVIEW MASK_NEEDED."""


@dataclass(frozen=True, slots=True)
class ListRules:
    """How old the trust and revocation lists may be (counted from each list's signed ``iat``)."""

    warn_hours: int = 24
    """Older than this -> a NOTE."""
    max_hours: int = 72
    """Older than this -> ``stale_action``."""
    stale_action: Action = Action.REVIEW


DEFAULT_NEVER_APPROVE = frozenset(
    {
        ReasonCode.COLOUR_NOT_ALLOWED,
        ReasonCode.NAT_POSITIVE,
        ReasonCode.REVOKED,
        ReasonCode.TEMPERATURE_HIGH,
    }
)
"""Reasons no guard may approve past: a red code, a positive test, a revoked code, a fever."""


@dataclass(frozen=True, slots=True)
class GuardRules:
    """What a guard's overrule may do.  A guard may always deny; approvals are limited."""

    never_approve: frozenset[ReasonCode] = DEFAULT_NEVER_APPROVE
    """Reason codes (DENY or REVIEW) that no approval can overrule."""
    approve_unverified: bool = False
    """If true, a guard may approve a code that did not verify (forged, damaged, unknown)."""


@dataclass(frozen=True, slots=True)
class ForeignRules:
    """Foreign (EU DCC) certificates, which carry no colour."""

    action: Action = Action.REVIEW


@dataclass(frozen=True, slots=True)
class Policy:
    """The whole site policy; every field has the default documented in config/policy.toml."""

    site: SiteRules = field(default_factory=SiteRules)
    colours: ColourRules = field(default_factory=ColourRules)
    code: CodeRules = field(default_factory=CodeRules)
    nucleic_acid: NucleicAcidRules = field(default_factory=NucleicAcidRules)
    vaccination: VaccinationRules = field(default_factory=VaccinationRules)
    travel: TravelRules = field(default_factory=TravelRules)
    temperature: TemperatureRules = field(default_factory=TemperatureRules)
    mask: MaskRules = field(default_factory=MaskRules)
    lists: ListRules = field(default_factory=ListRules)
    foreign: ForeignRules = field(default_factory=ForeignRules)
    guard: GuardRules = field(default_factory=GuardRules)


DEFAULT_POLICY = Policy()
"""The policy used when a site sets nothing; equal to config/policy.toml."""


# --------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------

_MODES = (Mode.REQUIRED, Mode.REVIEW, Mode.IGNORE)
_DENY_OR_REVIEW = (Action.DENY, Action.REVIEW)


def _colours_list(t: Table, key: str, default: frozenset[Colour]) -> frozenset[Colour]:
    value = t.get(key, [c.value for c in default])
    letters = {c.value: c for c in Colour}
    expected = "a list of distinct colours from G, Y, R"
    if not isinstance(value, list) or not all(isinstance(v, str) and v in letters for v in value):
        raise t.fail(key, expected, value)
    if len(set(value)) != len(value):
        raise t.fail(key, expected, value)
    return frozenset(letters[v] for v in value)


def _site(t: Table) -> SiteRules:
    d = SiteRules()
    offset = t.number("utc_offset_hours", d.utc_offset_hours, low=-12, high=14)
    if not (offset * 4).is_integer():
        raise t.fail("utc_offset_hours", "a whole number of quarter hours", offset)
    return SiteRules(
        utc_offset_hours=offset,
        clock_skew_s=t.integer("clock_skew_s", d.clock_skew_s, low=0, high=3600),
    )


def _colours(t: Table) -> ColourRules:
    d = ColourRules()
    allow = _colours_list(t, "allow", d.allow)
    review = _colours_list(t, "review", d.review)
    if allow & review:
        raise t.fail(
            "review", "no colour that is also in colours.allow", sorted(c.value for c in review)
        )
    return ColourRules(allow=allow, review=review)


def _code(t: Table) -> CodeRules:
    d = CodeRules()
    return CodeRules(
        max_age_minutes=t.integer("max_age_minutes", d.max_age_minutes, low=1, high=43200)
    )


def _nucleic_acid(t: Table) -> NucleicAcidRules:
    d = NucleicAcidRules()
    return NucleicAcidRules(
        mode=t.choice("mode", d.mode, _MODES),
        max_hours=t.integer("max_hours", d.max_hours, low=1, high=720),
    )


def _vaccination(t: Table) -> VaccinationRules:
    d = VaccinationRules()
    return VaccinationRules(
        mode=t.choice("mode", d.mode, _MODES),
        min_doses=t.integer("min_doses", d.min_doses, low=0, high=10),
        min_days_since_last=t.integer(
            "min_days_since_last", d.min_days_since_last, low=0, high=365
        ),
    )


def _travel(t: Table) -> TravelRules:
    d = TravelRules()
    return TravelRules(
        mode=t.choice("mode", d.mode, _MODES),
        lookback_days=t.integer("lookback_days", d.lookback_days, low=0, high=365),
        max_level=t.choice(
            "max_level", d.max_level, (RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH)
        ),
        risk_action=t.choice("risk_action", d.risk_action, _DENY_OR_REVIEW),
        max_record_age_hours=t.integer(
            "max_record_age_hours", d.max_record_age_hours, low=1, high=720
        ),
    )


def _temperature(t: Table) -> TemperatureRules:
    d = TemperatureRules()
    return TemperatureRules(
        required=t.boolean("required", d.required),
        threshold_c=t.number("threshold_c", d.threshold_c, low=35, high=42),
        action=t.choice("action", d.action, _DENY_OR_REVIEW),
    )


def _mask(t: Table) -> MaskRules:
    d = MaskRules()
    return MaskRules(
        required=t.boolean("required", d.required),
        action=t.choice("action", d.action, _DENY_OR_REVIEW),
        confirm_required=t.boolean("confirm_required", d.confirm_required),
    )


def _lists(t: Table) -> ListRules:
    d = ListRules()
    warn = t.integer("warn_hours", d.warn_hours, low=1, high=8760)
    limit = t.integer("max_hours", d.max_hours, low=1, high=8760)
    if warn > limit:
        raise t.fail("warn_hours", f"a whole number no more than lists.max_hours ({limit})", warn)
    return ListRules(
        warn_hours=warn,
        max_hours=limit,
        stale_action=t.choice("stale_action", d.stale_action, _DENY_OR_REVIEW),
    )


def _guard(t: Table) -> GuardRules:
    d = GuardRules()
    key = "never_approve"
    value = t.get(key, sorted(c.value for c in d.never_approve))
    known = {c.value: c for c in ReasonCode}
    expected = 'a list of reason codes (e.g. "NAT_POSITIVE")'
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise t.fail(key, expected, value)
    for v in value:
        if v not in known:
            raise t.fail(key, expected + f"; {v!r} is not a reason code", v)
    return GuardRules(
        never_approve=frozenset(known[v] for v in value),
        approve_unverified=t.boolean("approve_unverified", d.approve_unverified),
    )


def _foreign(t: Table) -> ForeignRules:
    d = ForeignRules()
    return ForeignRules(
        action=t.choice("action", d.action, (Action.DENY, Action.REVIEW, Action.ALLOW))
    )


_T = TypeVar("_T")


def _section(root: Table, name: str, parse: Callable[[Table], _T]) -> _T:
    table = root.sub(name)
    value = parse(table)
    table.check_unknown()
    return value


def policy_from_mapping(data: Mapping[str, object]) -> Policy:
    """Build a Policy from a plain mapping (what ``tomllib`` returns).

    A missing table or key takes its default; an unknown one, or a value of
    the wrong type or out of range, raises ``PolicyError`` naming the key.
    """
    if not isinstance(data, Mapping):
        raise PolicyError(f"expected a table of policy settings, got {shown(data)}")
    try:
        return _policy(Table(data))
    except PolicyError:
        raise
    except TableError as exc:
        raise PolicyError(str(exc)) from None


def _policy(root: Table) -> Policy:
    policy = Policy(
        site=_section(root, "site", _site),
        colours=_section(root, "colours", _colours),
        code=_section(root, "code", _code),
        nucleic_acid=_section(root, "nucleic_acid", _nucleic_acid),
        vaccination=_section(root, "vaccination", _vaccination),
        travel=_section(root, "travel", _travel),
        temperature=_section(root, "temperature", _temperature),
        mask=_section(root, "mask", _mask),
        lists=_section(root, "lists", _lists),
        foreign=_section(root, "foreign", _foreign),
        guard=_section(root, "guard", _guard),
    )
    root.check_unknown()
    return policy


# --------------------------------------------------------------------------
# Judging
# --------------------------------------------------------------------------

_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


def verdict_of(reasons: Iterable[Reason]) -> Verdict:
    """Any DENY reason -> DENY; else any REVIEW -> REVIEW; else ALLOW. A NOTE changes nothing."""
    severities = {r.severity for r in reasons}
    if Severity.DENY in severities:
        return Verdict.DENY
    if Severity.REVIEW in severities:
        return Verdict.REVIEW
    return Verdict.ALLOW


def local_date(now: int, policy: Policy) -> dt.date:
    """The site's calendar date at ``now`` (clamped to the dates Python can hold)."""
    days = (now + policy.site.offset_seconds) // 86400
    ordinal = min(max(_EPOCH_ORDINAL + days, 1), dt.date.max.toordinal())
    return dt.date.fromordinal(ordinal)


_Params = tuple[tuple[str, str], ...]


def _by_mode(
    mode: Mode, code: ReasonCode, message: str, params: _Params = ()
) -> tuple[Reason, ...]:
    severity = mode.severity
    return () if severity is None else (Reason(code, severity, message, params),)


def _status(mode: Mode, present: bool, reasons: tuple[Reason, ...]) -> CertificateStatus:
    severities = {r.severity for r in reasons}
    if not present:
        return CertificateStatus.IGNORED if mode is Mode.IGNORE else CertificateStatus.MISSING
    if Severity.DENY in severities:
        return CertificateStatus.FAILED
    if Severity.REVIEW in severities:
        return CertificateStatus.REVIEW
    return CertificateStatus.IGNORED if mode is Mode.IGNORE else CertificateStatus.OK


_Judged = tuple[tuple[Reason, ...], CertificateState]


def _judged(
    kind: CertificateKind,
    mode: Mode,
    present: bool,
    reasons: tuple[Reason, ...],
    summary: str,
    params: _Params = (),
) -> _Judged:
    return reasons, CertificateState(kind, _status(mode, present, reasons), summary, params)


def _judge_colour(colour: Colour, rules: ColourRules) -> tuple[Reason, ...]:
    if colour in rules.allow:
        return ()
    if colour in rules.review:
        return (
            Reason(
                ReasonCode.COLOUR_REVIEW,
                Severity.REVIEW,
                f"{colour.word} code: the guard decides",
                (("colour", colour.value),),
            ),
        )
    message = f"{colour.word} code is not admitted at this site"
    return (
        Reason(ReasonCode.COLOUR_NOT_ALLOWED, Severity.DENY, message, (("colour", colour.value),)),
    )


def _judge_code_age(issued_at: int, rules: CodeRules, now: int) -> tuple[Reason, ...]:
    age = now - issued_at
    if age <= rules.max_age_minutes * 60:
        return ()
    message = (
        f"code issued {hours_ago(age)}, older than {rules.max_age_minutes} min: "
        "ask for a fresh code"
    )
    params = (("age_s", str(age)), ("max_min", str(rules.max_age_minutes)))
    return (Reason(ReasonCode.CODE_TOO_OLD, Severity.DENY, message, params),)


def _judge_nucleic_acid(
    test: NucleicAcidTest | None, rules: NucleicAcidRules, skew_s: int, now: int
) -> _Judged:
    kind = CertificateKind.NUCLEIC_ACID
    if test is None:
        reasons = _by_mode(rules.mode, ReasonCode.NAT_MISSING, "no nucleic acid test")
        return _judged(kind, rules.mode, False, reasons, "none")
    age = now - test.sampled_at
    result = "positive" if test.positive else "negative"
    summary = f"{result}, sampled {hours_ago(age)}"
    ago = ("age_s", str(age))
    found: list[Reason] = []
    if test.positive:
        message = f"nucleic acid test positive, sampled {hours_ago(age)}"
        found.append(Reason(ReasonCode.NAT_POSITIVE, Severity.DENY, message, (ago,)))
    if -age > skew_s:
        message = f"nucleic acid test sample time is in the future ({hours_ago(age)})"
        found.extend(_by_mode(rules.mode, ReasonCode.NAT_IN_FUTURE, message, (ago,)))
    elif age > rules.max_hours * 3600:
        message = f"nucleic acid test sampled {hours_ago(age)}, older than {rules.max_hours} h"
        params = (ago, ("max_h", str(rules.max_hours)))
        found.extend(_by_mode(rules.mode, ReasonCode.NAT_TOO_OLD, message, params))
    facts = (("result", result), ago)
    return _judged(kind, rules.mode, True, tuple(found), summary, facts)


def _judge_vaccination(vac: Vaccination | None, rules: VaccinationRules, today: dt.date) -> _Judged:
    kind = CertificateKind.VACCINATION
    if vac is None:
        reasons = _by_mode(rules.mode, ReasonCode.VAC_MISSING, "no vaccination certificate")
        return _judged(kind, rules.mode, False, reasons, "none")
    days = (today - vac.last_dose).days
    when = f"{days_ago(days)} ({short_date(vac.last_dose, today)})"
    summary = f"{plural(vac.doses, 'dose')}, last {when}"
    last = (("days", str(days)), ("date", vac.last_dose.isoformat()))
    found: list[Reason] = []
    if vac.doses < rules.min_doses:
        message = f"{plural(vac.doses, 'dose')} of vaccine, {rules.min_doses} required"
        params: _Params = (("doses", str(vac.doses)), ("min_doses", str(rules.min_doses)))
        found.extend(_by_mode(rules.mode, ReasonCode.VAC_TOO_FEW_DOSES, message, params))
    if days < 0:
        message = f"last vaccine dose dated in the future ({when})"
        found.extend(_by_mode(rules.mode, ReasonCode.VAC_IN_FUTURE, message, last))
    elif days < rules.min_days_since_last:
        message = f"last vaccine dose {when}, {plural(rules.min_days_since_last, 'day')} required"
        params = (*last, ("min_days", str(rules.min_days_since_last)))
        found.extend(_by_mode(rules.mode, ReasonCode.VAC_TOO_RECENT, message, params))
    facts = (("doses", str(vac.doses)), *last)
    return _judged(kind, rules.mode, True, tuple(found), summary, facts)


def _visit_words(visit: AreaVisit, today: dt.date) -> str:
    area = clean_text(visit.area, limits.MAX_TEXT_LEN)
    return f"visited {visit.level.word}-risk area {area} on {short_date(visit.last_visit, today)}"


def _worst(visits: Iterable[AreaVisit]) -> AreaVisit | None:
    return max(visits, key=lambda v: (v.level.rank, v.last_visit), default=None)


def _more(count: int) -> str:
    return "" if count <= 1 else f" and {count - 1} more"


def _visit_params(visit: AreaVisit, count: int) -> _Params:
    """An area visit's facts: the area's code, its level, the date, how many more."""
    return (
        ("area", clean_text(visit.area, limits.MAX_TEXT_LEN)),
        ("level", visit.level.value),
        ("date", visit.last_visit.isoformat()),
        ("more", str(max(count - 1, 0))),
    )


def _judge_travel(
    record: TravelRecord | None, rules: TravelRules, now: int, today: dt.date
) -> _Judged:
    kind = CertificateKind.TRAVEL
    if record is None:
        reasons = _by_mode(rules.mode, ReasonCode.TRAVEL_MISSING, "no travel record")
        return _judged(kind, rules.mode, False, reasons, "none")
    recent = [v for v in record.visits if (today - v.last_visit).days <= rules.lookback_days]
    risky = [v for v in recent if v.level.rank > rules.max_level.rank]
    at_risk = [v for v in recent if v.level.rank > RiskLevel.LOW.rank]
    shown = _worst(at_risk)
    lookback = ("lookback_days", str(rules.lookback_days))
    facts: _Params
    if shown is None:
        summary = f"no risk areas in {plural(rules.lookback_days, 'day')}"
        facts = (lookback,)
    else:
        summary = _visit_words(shown, today) + _more(len(at_risk))
        facts = _visit_params(shown, len(at_risk))
    found: list[Reason] = []
    worst = _worst(risky)
    if worst is not None:
        message = (
            f"{_visit_words(worst, today)}{_more(len(risky))}, "
            f"within {plural(rules.lookback_days, 'day')}"
        )
        params = (*_visit_params(worst, len(risky)), lookback)
        found.append(
            Reason(ReasonCode.TRAVEL_RISK_AREA, rules.risk_action.severity, message, params)
        )
    future = [v for v in record.visits if v.last_visit > today]
    if future:
        latest = max(future, key=lambda v: v.last_visit)
        message = f"{_visit_words(latest, today)}{_more(len(future))}: a date in the future"
        params = _visit_params(latest, len(future))
        found.extend(_by_mode(rules.mode, ReasonCode.TRAVEL_IN_FUTURE, message, params))
    age = now - record.made_at
    if age > rules.max_record_age_hours * 3600:
        summary += f" (record made {hours_ago(age)})"
        facts = (*facts, ("record_age_s", str(age)))
        message = f"travel record made {hours_ago(age)}, older than {rules.max_record_age_hours} h"
        params = (("age_s", str(age)), ("max_h", str(rules.max_record_age_hours)))
        found.extend(_by_mode(rules.mode, ReasonCode.TRAVEL_RECORD_STALE, message, params))
    return _judged(kind, rules.mode, True, tuple(found), summary, facts)


def _celsius(reading: object) -> str:
    if isinstance(reading, int | float) and not isinstance(reading, bool):
        return f"{reading:.1f}"
    return clean_text(repr(reading), 16)


def _judge_temperature(reading: object, rules: TemperatureRules) -> tuple[Reason, ...]:
    if reading is None:
        if rules.required:
            message = "take the temperature"
            return (Reason(ReasonCode.TEMPERATURE_NEEDED, Severity.REVIEW, message),)
        return ()
    if (
        isinstance(reading, bool)
        or not isinstance(reading, int | float)
        or not MIN_PLAUSIBLE_C <= reading <= MAX_PLAUSIBLE_C
    ):
        message = f"temperature {_celsius(reading)} °C is not a plausible reading: measure again"
        params: _Params = (("reading", _celsius(reading)),)
        return (Reason(ReasonCode.TEMPERATURE_INVALID, Severity.REVIEW, message, params),)
    if round(reading * _HUNDREDTHS) >= round(rules.threshold_c * _HUNDREDTHS):
        message = f"temperature {reading:.1f} °C, fever from {rules.threshold_c:.1f} °C"
        params = (("reading", f"{reading:.1f}"), ("threshold", f"{rules.threshold_c:.1f}"))
        return (Reason(ReasonCode.TEMPERATURE_HIGH, rules.action.severity, message, params),)
    return ()


def _judge_mask(mask: object, rules: MaskRules) -> tuple[Reason, ...]:
    if not rules.required:
        return ()
    if mask is False:
        return (Reason(ReasonCode.MASK_MISSING, rules.action.severity, "no mask"),)
    if mask is None and rules.confirm_required:
        return (Reason(ReasonCode.MASK_NEEDED, Severity.REVIEW, "confirm the mask"),)
    return ()


def evaluate(
    credential: Credential, policy: Policy, now: int, observations: Observations
) -> Decision:
    """Judge a verified credential by the site policy at ``now``.

    Returns a Decision with every reason, the verdict by ``verdict_of``, the
    cleaned name, colour and issuer, and the three certificates in fixed
    order (vaccination, nucleic acid, travel).  ``holder_key`` and
    ``credential`` are left empty for the caller.  Pure; does not raise for
    any well-typed input.
    """
    code = credential.code
    today = local_date(now, policy)
    vac_reasons, vac_state = _judge_vaccination(code.vaccination, policy.vaccination, today)
    nat_reasons, nat_state = _judge_nucleic_acid(
        code.nucleic_acid, policy.nucleic_acid, policy.site.clock_skew_s, now
    )
    trv_reasons, trv_state = _judge_travel(code.travel, policy.travel, now, today)
    reasons = (
        _judge_colour(code.colour, policy.colours)
        + _judge_code_age(credential.issued_at, policy.code, now)
        + vac_reasons
        + nat_reasons
        + trv_reasons
        + _judge_temperature(observations.temperature_c, policy.temperature)
        + _judge_mask(observations.mask, policy.mask)
    )
    return Decision(
        verdict=verdict_of(reasons),
        reasons=reasons,
        decided_at=now,
        name=clean_text(code.name),
        colour=code.colour,
        issuer=clean_text(credential.issuer),
        certificates=(vac_state, nat_state, trv_state),
    )


def _judge_list(
    age_s: int | None,
    what: str,
    missing: tuple[ReasonCode, Severity],
    stale: ReasonCode,
    rules: ListRules,
) -> tuple[Reason, ...]:
    if age_s is None:
        return (Reason(missing[0], missing[1], f"no {what}: update the kiosk"),)
    age = max(age_s, 0)
    if age > rules.max_hours * 3600:
        message = f"{what} updated {hours_ago(age)}, older than {rules.max_hours} h"
        params = (("age_s", str(age)), ("max_h", str(rules.max_hours)))
        return (Reason(stale, rules.stale_action.severity, message, params),)
    if age > rules.warn_hours * 3600:
        message = f"{what} updated {hours_ago(age)}: check the network"
        return (Reason(stale, Severity.NOTE, message, (("age_s", str(age)),)),)
    return ()


def judge_lists(
    trust_age_s: int | None, revocation_age_s: int | None, policy: Policy
) -> tuple[Reason, ...]:
    """The policy's word on the age of the lists (seconds since each list's ``iat``).

    ``None`` means the kiosk has no such list: no trust list is a DENY (no code
    can be trusted), no revocation list takes ``lists.stale_action``.  Older
    than ``warn_hours`` is a NOTE; older than ``max_hours`` takes
    ``lists.stale_action``.
    """
    rules = policy.lists
    return _judge_list(
        trust_age_s,
        "trust list",
        (ReasonCode.NO_TRUST_LIST, Severity.DENY),
        ReasonCode.TRUST_LIST_STALE,
        rules,
    ) + _judge_list(
        revocation_age_s,
        "revocation list",
        (ReasonCode.NO_REVOCATION_LIST, rules.stale_action.severity),
        ReasonCode.REVOCATION_LIST_STALE,
        rules,
    )


class ListDates(Protocol):
    """The signed dates of a trust or revocation list."""

    @property
    def issued_at(self) -> int: ...

    @property
    def expires_at(self) -> int: ...


def _list_expired(
    dates: ListDates | None, what: str, rules: ListRules, now: int, skew_s: int
) -> tuple[Reason, ...]:
    if dates is None or now <= dates.expires_at + skew_s:
        return ()
    message = f"{what} expired {hours_ago(now - dates.expires_at)}: update the kiosk"
    params = (("list", what), ("age_s", str(now - dates.expires_at)))
    return (Reason(ReasonCode.LIST_EXPIRED, rules.stale_action.severity, message, params),)


def judge_list_dates(
    trust: ListDates | None,
    revocations: ListDates | None,
    policy: Policy,
    now: int,
    skew_s: int,
) -> tuple[Reason, ...]:
    """The policy's word on the lists judged by their own signed dates.

    ``docs/wire-format.md#signed-lists`` (lists in time).

    A list is *expired* when ``now > exp + skew``: one LIST_EXPIRED reason
    with ``lists.stale_action`` per expired list.  Its age is counted from its
    ``iat`` (what the root signed: a restored backup or a copied-in old file is
    as old as its ``iat`` says, whatever its mtime), and judged by
    ``judge_lists``.  A list whose ``iat`` lies beyond the skew in the future
    never gets here: it is refused at load (``trust.check_list_dates``).
    """
    rules = policy.lists

    def age(dates: ListDates | None) -> int | None:
        return None if dates is None else max(now - dates.issued_at, 0)

    return (
        _list_expired(trust, "trust list", rules, now, skew_s)
        + _list_expired(revocations, "revocation list", rules, now, skew_s)
        + judge_lists(age(trust), age(revocations), policy)
    )


def judge_foreign(policy: Policy) -> tuple[Reason, ...]:
    """The policy's word on a verified foreign (EU DCC) certificate, which has no colour.

    Always one FOREIGN_CERTIFICATE reason, so the log says why it was let in:
    a NOTE when ``foreign.action = "allow"``, else REVIEW or DENY.
    """
    action = policy.foreign.action
    words = {
        Action.ALLOW: "foreign (EU DCC) certificate, admitted by site policy",
        Action.REVIEW: "foreign (EU DCC) certificate: the guard decides",
        Action.DENY: "foreign (EU DCC) certificates are not admitted at this site",
    }
    params = (("action", action.value),)
    return (Reason(ReasonCode.FOREIGN_CERTIFICATE, action.severity, words[action], params),)
