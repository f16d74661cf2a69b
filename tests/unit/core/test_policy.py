"""Site policy: parsing, defaults and the judgement at every boundary."""

from __future__ import annotations

import dataclasses
import datetime as dt
import tomllib
from pathlib import Path
from typing import Any

import pytest

from kiosk.core.errors import Reason, ReasonCode, Severity
from kiosk.core.model import (
    AreaVisit,
    CertificateKind,
    CertificateStatus,
    Colour,
    Credential,
    Decision,
    HealthCode,
    NucleicAcidTest,
    Observations,
    RiskLevel,
    TravelRecord,
    Vaccination,
    Verdict,
)
from kiosk.core.policy import (
    DEFAULT_POLICY,
    Action,
    Mode,
    Policy,
    PolicyError,
    evaluate,
    judge_foreign,
    judge_lists,
    local_date,
    policy_from_mapping,
    verdict_of,
)

REPO = Path(__file__).resolve().parents[3]

NOW = 1_700_280_000
"""2023-11-18 04:00 UTC, 12:00 at the default site (UTC+8)."""
TODAY = dt.date(2023, 11, 18)
HOUR = 3600
DAY = 86400


def code(**changes: Any) -> HealthCode:
    base = HealthCode(
        version=1,
        holder_id=bytes(16),
        name="Wang *ming",
        colour=Colour.GREEN,
        vaccination=Vaccination(doses=2, last_dose=dt.date(2023, 10, 1)),
        nucleic_acid=NucleicAcidTest(positive=False, sampled_at=NOW - 31 * HOUR),
        travel=TravelRecord(
            made_at=NOW - HOUR,
            visits=(AreaVisit("CN-330100", RiskLevel.LOW, TODAY - dt.timedelta(days=1)),),
        ),
    )
    return dataclasses.replace(base, **changes)


def cred(issued_at: int = NOW - 60, **changes: Any) -> Credential:
    return Credential("CN-330100", issued_at, issued_at + 3600, code(**changes))


FINE = Observations(temperature_c=36.6, mask=True)


def judge(
    credential: Credential | None = None,
    policy: Policy = DEFAULT_POLICY,
    now: int = NOW,
    obs: Observations = FINE,
) -> Decision:
    return evaluate(credential or cred(), policy, now, obs)


def codes(decision: Decision) -> dict[ReasonCode, Severity]:
    return {r.code: r.severity for r in decision.reasons}


def with_rules(**sections: dict[str, Any]) -> Policy:
    return policy_from_mapping(sections)


# --- parsing ---------------------------------------------------------------


def test_example_file_equals_default_policy() -> None:
    with (REPO / "config" / "policy.toml").open("rb") as fh:
        assert policy_from_mapping(tomllib.load(fh)) == DEFAULT_POLICY


def test_empty_mapping_is_the_default_policy() -> None:
    assert policy_from_mapping({}) == DEFAULT_POLICY


def test_documented_defaults() -> None:
    p = DEFAULT_POLICY
    assert p.site.utc_offset_hours == 8
    assert p.colours.allow == {Colour.GREEN}
    assert p.colours.review == {Colour.YELLOW}
    assert p.code.max_age_minutes == 60
    assert p.nucleic_acid.max_hours == 72
    assert p.vaccination.min_doses == 2
    assert p.vaccination.min_days_since_last == 14
    assert p.travel.lookback_days == 14
    assert p.travel.max_level is RiskLevel.LOW
    assert p.travel.risk_action is Action.DENY
    assert p.travel.max_record_age_hours == 24
    assert p.temperature.threshold_c == 37.3
    assert p.mask.confirm_required is False
    assert (p.lists.warn_hours, p.lists.max_hours) == (24, 72)
    assert p.foreign.action is Action.REVIEW


def test_values_are_read() -> None:
    p = with_rules(
        site={"utc_offset_hours": 5.5, "clock_skew_s": 60},
        colours={"allow": ["G", "Y"], "review": []},
        nucleic_acid={"mode": "ignore", "max_hours": 48},
        travel={"max_level": "M", "risk_action": "review"},
        temperature={"required": True, "threshold_c": 37.5},
        foreign={"action": "allow"},
    )
    assert p.site.offset_seconds == 5 * HOUR + 1800
    assert p.colours.allow == {Colour.GREEN, Colour.YELLOW}
    assert p.nucleic_acid.mode is Mode.IGNORE
    assert p.nucleic_acid.max_hours == 48
    assert p.travel.max_level is RiskLevel.MEDIUM
    assert p.travel.risk_action is Action.REVIEW
    assert p.temperature.threshold_c == 37.5
    assert p.foreign.action is Action.ALLOW


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"nucleic_acid": {"max_hours": "x"}},
            "key 'nucleic_acid.max_hours': expected a whole number from 1 to 720, got 'x'",
        ),
        ({"nucleic_acid": {"max_hours": 0}}, "key 'nucleic_acid.max_hours'"),
        ({"nucleic_acid": {"max_hours": 721}}, "key 'nucleic_acid.max_hours'"),
        ({"nucleic_acid": {"max_hours": True}}, "key 'nucleic_acid.max_hours'"),
        ({"nucleic_acid": {"max_hours": 72.5}}, "key 'nucleic_acid.max_hours'"),
        (
            {"travel": {"max_level": "Z"}},
            "key 'travel.max_level': expected one of L, M, H, got 'Z'",
        ),
        (
            {"vaccination": {"mode": "maybe"}},
            "key 'vaccination.mode': expected one of required, review, ignore, got 'maybe'",
        ),
        ({"temperature": {"action": "allow"}}, "key 'temperature.action': expected one of deny"),
        ({"temperature": {"threshold_c": float("nan")}}, "key 'temperature.threshold_c'"),
        ({"temperature": {"threshold_c": 50}}, "key 'temperature.threshold_c'"),
        ({"mask": {"required": "yes"}}, "key 'mask.required': expected true or false"),
        ({"colours": {"allow": ["G", "B"]}}, "key 'colours.allow'"),
        ({"colours": {"allow": "G"}}, "key 'colours.allow'"),
        ({"colours": {"allow": ["G", "G"]}}, "key 'colours.allow'"),
        ({"colours": {"allow": ["G"], "review": ["G"]}}, "key 'colours.review'"),
        ({"site": {"utc_offset_hours": 5.1}}, "key 'site.utc_offset_hours'"),
        ({"site": {"utc_offset_hours": 15}}, "key 'site.utc_offset_hours'"),
        ({"lists": {"warn_hours": 80, "max_hours": 72}}, "key 'lists.warn_hours'"),
        ({"site": 3}, "key 'site': expected a table, got 3"),
        ({"sitee": {}}, "unknown key 'sitee'"),
        ({"travel": {"lookback": 14}}, "unknown key 'travel.lookback'"),
    ],
)
def test_bad_values_name_the_key(data: dict[str, Any], message: str) -> None:
    with pytest.raises(PolicyError) as info:
        policy_from_mapping(data)
    assert message in str(info.value)


def test_long_bad_value_is_shortened_in_the_message() -> None:
    with pytest.raises(PolicyError) as info:
        policy_from_mapping({"travel": {"max_level": "Z" * 500}})
    assert len(str(info.value)) < 150


def test_policy_error_is_a_value_error() -> None:
    assert issubclass(PolicyError, ValueError)


# --- verdict rule ----------------------------------------------------------


def reason(severity: Severity) -> Reason:
    return Reason(ReasonCode.INTERNAL_ERROR, severity, "x")


@pytest.mark.parametrize(
    ("severities", "verdict"),
    [
        ((), Verdict.ALLOW),
        ((Severity.NOTE,), Verdict.ALLOW),
        ((Severity.REVIEW, Severity.NOTE), Verdict.REVIEW),
        ((Severity.REVIEW, Severity.DENY), Verdict.DENY),
        ((Severity.DENY, Severity.REVIEW, Severity.NOTE), Verdict.DENY),
    ],
)
def test_verdict_of(severities: tuple[Severity, ...], verdict: Verdict) -> None:
    assert verdict_of(reason(s) for s in severities) is verdict


# --- a good code -------------------------------------------------------------


def test_good_code_is_allowed_with_summaries() -> None:
    d = judge()
    assert d.verdict is Verdict.ALLOW
    assert d.reasons == ()
    assert d.decided_at == NOW
    assert d.name == "Wang *ming"
    assert d.colour is Colour.GREEN
    assert d.issuer == "CN-330100"
    assert d.holder_key == ""
    assert [c.kind for c in d.certificates] == [
        CertificateKind.VACCINATION,
        CertificateKind.NUCLEIC_ACID,
        CertificateKind.TRAVEL,
    ]
    assert [c.status for c in d.certificates] == [CertificateStatus.OK] * 3
    assert [c.summary for c in d.certificates] == [
        "2 doses, last 48 days ago (1 Oct)",
        "negative, sampled 31 h ago",
        "no risk areas in 14 days",
    ]


def test_name_and_issuer_are_cleaned() -> None:
    c = cred(name="Wang\u202e *ming\n[bold]x")
    c = dataclasses.replace(c, issuer="CN\u200b-330100")
    d = judge(c)
    assert d.name == "Wang *ming [bold]x"
    assert d.issuer == "CN-330100"


# --- colour ----------------------------------------------------------------


def test_red_is_denied() -> None:
    d = judge(cred(colour=Colour.RED))
    assert d.verdict is Verdict.DENY
    assert codes(d) == {ReasonCode.COLOUR_NOT_ALLOWED: Severity.DENY}


def test_yellow_is_review() -> None:
    d = judge(cred(colour=Colour.YELLOW))
    assert d.verdict is Verdict.REVIEW
    assert codes(d) == {ReasonCode.COLOUR_REVIEW: Severity.REVIEW}


def test_colour_in_no_list_is_denied() -> None:
    p = with_rules(colours={"allow": ["G"], "review": []})
    assert judge(cred(colour=Colour.YELLOW), p).verdict is Verdict.DENY


def test_deny_beats_review() -> None:
    d = judge(cred(colour=Colour.YELLOW, travel=None))
    assert codes(d) == {
        ReasonCode.COLOUR_REVIEW: Severity.REVIEW,
        ReasonCode.TRAVEL_MISSING: Severity.DENY,
    }
    assert d.verdict is Verdict.DENY


# --- code age ----------------------------------------------------------------


def test_code_exactly_max_age_is_fine() -> None:
    assert judge(cred(issued_at=NOW - 60 * 60)).verdict is Verdict.ALLOW


def test_code_one_second_too_old_is_denied() -> None:
    d = judge(cred(issued_at=NOW - 60 * 60 - 1))
    assert codes(d) == {ReasonCode.CODE_TOO_OLD: Severity.DENY}


# --- nucleic acid test -------------------------------------------------------


def nat(age_s: int, positive: bool = False) -> NucleicAcidTest:
    return NucleicAcidTest(positive=positive, sampled_at=NOW - age_s)


def test_test_sampled_exactly_72_h_ago_is_fine() -> None:
    d = judge(cred(nucleic_acid=nat(72 * HOUR)))
    assert d.verdict is Verdict.ALLOW
    assert d.certificates[1].summary == "negative, sampled 3 days ago"


def test_test_sampled_72_h_and_1_s_ago_is_too_old() -> None:
    d = judge(cred(nucleic_acid=nat(72 * HOUR + 1)))
    assert codes(d) == {ReasonCode.NAT_TOO_OLD: Severity.DENY}
    assert d.certificates[1].status is CertificateStatus.FAILED


def test_old_test_in_review_mode_is_review() -> None:
    p = with_rules(nucleic_acid={"mode": "review"})
    d = judge(cred(nucleic_acid=nat(80 * HOUR)), p)
    assert codes(d) == {ReasonCode.NAT_TOO_OLD: Severity.REVIEW}
    assert d.certificates[1].status is CertificateStatus.REVIEW


def test_old_or_missing_test_in_ignore_mode_changes_nothing() -> None:
    p = with_rules(nucleic_acid={"mode": "ignore"})
    old = judge(cred(nucleic_acid=nat(80 * HOUR)), p)
    assert old.verdict is Verdict.ALLOW
    assert old.certificates[1].status is CertificateStatus.IGNORED
    none = judge(cred(nucleic_acid=None), p)
    assert none.verdict is Verdict.ALLOW
    assert none.certificates[1].summary == "none"


def test_missing_test_is_denied_by_default() -> None:
    d = judge(cred(nucleic_acid=None))
    assert codes(d) == {ReasonCode.NAT_MISSING: Severity.DENY}
    assert d.certificates[1].status is CertificateStatus.MISSING
    assert d.certificates[1].summary == "none"


def test_positive_test_denies_even_when_all_else_is_fine() -> None:
    d = judge(cred(nucleic_acid=nat(5 * HOUR, positive=True)))
    assert d.verdict is Verdict.DENY
    assert codes(d) == {ReasonCode.NAT_POSITIVE: Severity.DENY}
    assert d.certificates[1].summary == "positive, sampled 5 h ago"
    assert d.certificates[1].status is CertificateStatus.FAILED


def test_positive_test_denies_in_ignore_mode_too() -> None:
    p = with_rules(nucleic_acid={"mode": "ignore"})
    d = judge(cred(nucleic_acid=nat(500 * HOUR, positive=True)), p)
    assert codes(d) == {ReasonCode.NAT_POSITIVE: Severity.DENY}


def test_sample_time_within_skew_is_fine() -> None:
    assert judge(cred(nucleic_acid=nat(-300))).verdict is Verdict.ALLOW


def test_sample_time_beyond_skew_is_in_future() -> None:
    d = judge(cred(nucleic_acid=nat(-301)))
    assert codes(d) == {ReasonCode.NAT_IN_FUTURE: Severity.DENY}


# --- vaccination ---------------------------------------------------------------


def vac(doses: int, days: int) -> Vaccination:
    return Vaccination(doses=doses, last_dose=TODAY - dt.timedelta(days=days))


def test_min_doses_and_min_days_exactly_are_fine() -> None:
    d = judge(cred(vaccination=vac(2, 14)))
    assert d.verdict is Verdict.ALLOW
    assert d.certificates[0].summary == "2 doses, last 14 days ago (4 Nov)"


def test_one_dose_too_few() -> None:
    d = judge(cred(vaccination=vac(1, 100)))
    assert codes(d) == {ReasonCode.VAC_TOO_FEW_DOSES: Severity.REVIEW}
    assert d.certificates[0].summary.startswith("1 dose, last ")
    assert d.certificates[0].status is CertificateStatus.REVIEW


def test_last_dose_one_day_too_recent() -> None:
    d = judge(cred(vaccination=vac(3, 13)))
    assert codes(d) == {ReasonCode.VAC_TOO_RECENT: Severity.REVIEW}


def test_days_are_counted_on_the_local_calendar() -> None:
    # 2023-11-18 23:30 local is 15:30 UTC: still the 18th at the site.
    late = NOW + 11 * HOUR + 30 * 60
    c = cred(issued_at=late - 60, vaccination=vac(2, 14))
    assert judge(c, now=late).verdict is Verdict.ALLOW
    # 30 min later it is the 19th at the site (still the 18th in UTC).
    assert local_date(late + 1800, DEFAULT_POLICY) == dt.date(2023, 11, 19)
    assert local_date(late + 1800, with_rules(site={"utc_offset_hours": 0})) == TODAY
    c = cred(issued_at=late - 60, vaccination=vac(2, 13))
    utc = with_rules(site={"utc_offset_hours": 0})
    assert ReasonCode.VAC_TOO_RECENT in codes(judge(c, utc, now=late))


def test_last_dose_in_future() -> None:
    d = judge(cred(vaccination=vac(2, -1)))
    assert codes(d) == {ReasonCode.VAC_IN_FUTURE: Severity.REVIEW}


def test_missing_vaccination_required_mode() -> None:
    p = with_rules(vaccination={"mode": "required"})
    d = judge(cred(vaccination=None), p)
    assert codes(d) == {ReasonCode.VAC_MISSING: Severity.DENY}
    assert d.certificates[0].status is CertificateStatus.MISSING


def test_vaccination_ignore_mode() -> None:
    p = with_rules(vaccination={"mode": "ignore"})
    d = judge(cred(vaccination=vac(0, 1)), p)
    assert d.verdict is Verdict.ALLOW
    assert d.certificates[0].status is CertificateStatus.IGNORED


# --- travel --------------------------------------------------------------------


def trv(*visits: tuple[str, RiskLevel, int], age_s: int = HOUR) -> TravelRecord:
    return TravelRecord(
        made_at=NOW - age_s,
        visits=tuple(
            AreaVisit(area, level, TODAY - dt.timedelta(days=days)) for area, level, days in visits
        ),
    )


def test_high_risk_visit_exactly_14_days_ago_counts() -> None:
    d = judge(cred(travel=trv(("CN-110105", RiskLevel.HIGH, 14))))
    assert codes(d) == {ReasonCode.TRAVEL_RISK_AREA: Severity.DENY}
    assert d.certificates[2].summary == "visited high-risk area CN-110105 on 4 Nov"
    assert d.certificates[2].status is CertificateStatus.FAILED


def test_high_risk_visit_15_days_ago_does_not_count() -> None:
    d = judge(cred(travel=trv(("CN-110105", RiskLevel.HIGH, 15))))
    assert d.verdict is Verdict.ALLOW
    assert d.certificates[2].summary == "no risk areas in 14 days"


def test_visit_at_max_level_is_fine_but_shown() -> None:
    p = with_rules(travel={"max_level": "M"})
    d = judge(cred(travel=trv(("CN-110105", RiskLevel.MEDIUM, 0))), p)
    assert d.verdict is Verdict.ALLOW
    assert d.certificates[2].summary == "visited medium-risk area CN-110105 on 18 Nov"


def test_worst_visit_is_named_with_a_count() -> None:
    record = trv(
        ("CN-1", RiskLevel.MEDIUM, 1),
        ("CN-2", RiskLevel.HIGH, 3),
        ("CN-3", RiskLevel.LOW, 2),
        ("CN-4", RiskLevel.MEDIUM, 20),
    )
    d = judge(cred(travel=record))
    assert d.certificates[2].summary == "visited high-risk area CN-2 on 15 Nov and 1 more"
    assert [r.code for r in d.reasons] == [ReasonCode.TRAVEL_RISK_AREA]


def test_risk_action_review() -> None:
    p = with_rules(travel={"risk_action": "review"})
    d = judge(cred(travel=trv(("CN-1", RiskLevel.MEDIUM, 1))), p)
    assert codes(d) == {ReasonCode.TRAVEL_RISK_AREA: Severity.REVIEW}


def test_risk_area_counts_in_ignore_mode() -> None:
    p = with_rules(travel={"mode": "ignore"})
    d = judge(cred(travel=trv(("CN-1", RiskLevel.HIGH, 1), age_s=100 * HOUR)), p)
    assert codes(d) == {ReasonCode.TRAVEL_RISK_AREA: Severity.DENY}


def test_travel_record_exactly_24_h_old_is_fine() -> None:
    assert judge(cred(travel=trv(age_s=24 * HOUR))).verdict is Verdict.ALLOW


def test_travel_record_too_old_takes_mode_action() -> None:
    d = judge(cred(travel=trv(age_s=24 * HOUR + 1)))
    assert codes(d) == {ReasonCode.TRAVEL_RECORD_STALE: Severity.DENY}
    assert d.certificates[2].summary == "no risk areas in 14 days (record made 24 h ago)"
    p = with_rules(travel={"mode": "review"})
    d = judge(cred(travel=trv(age_s=30 * HOUR)), p)
    assert codes(d) == {ReasonCode.TRAVEL_RECORD_STALE: Severity.REVIEW}


def test_missing_travel_record() -> None:
    d = judge(cred(travel=None))
    assert codes(d) == {ReasonCode.TRAVEL_MISSING: Severity.DENY}
    assert d.certificates[2].summary == "none"


def test_area_codes_are_cleaned() -> None:
    d = judge(cred(travel=trv(("CN-1\u202e\n05", RiskLevel.HIGH, 1))))
    assert d.certificates[2].summary == "visited high-risk area CN-1 05 on 17 Nov"


# --- temperature ---------------------------------------------------------------


def test_37_3_is_a_fever() -> None:
    d = judge(obs=Observations(temperature_c=37.3, mask=True))
    assert codes(d) == {ReasonCode.TEMPERATURE_HIGH: Severity.DENY}


def test_37_2_is_not_a_fever() -> None:
    assert judge(obs=Observations(temperature_c=37.2, mask=True)).verdict is Verdict.ALLOW


@pytest.mark.parametrize(
    ("reading", "fever"),
    [(37.300000000000004, True), (37.29999999999, True), (37.29, False), (37.31, True)],
)
def test_readings_are_compared_in_hundredths(reading: float, fever: bool) -> None:
    d = judge(obs=Observations(temperature_c=reading, mask=True))
    assert (ReasonCode.TEMPERATURE_HIGH in codes(d)) is fever


def test_fever_action_review() -> None:
    p = with_rules(temperature={"action": "review"})
    d = judge(policy=p, obs=Observations(temperature_c=39.0, mask=True))
    assert codes(d) == {ReasonCode.TEMPERATURE_HIGH: Severity.REVIEW}


@pytest.mark.parametrize("reading", [29.9, 45.1, 373.0, float("nan"), float("inf")])
def test_implausible_reading_is_review(reading: float) -> None:
    d = judge(obs=Observations(temperature_c=reading, mask=True))
    assert codes(d) == {ReasonCode.TEMPERATURE_INVALID: Severity.REVIEW}


@pytest.mark.parametrize("reading", [30.0, 36.0, 45.0])
def test_plausible_range_edges(reading: float) -> None:
    d = judge(obs=Observations(temperature_c=reading, mask=True))
    assert ReasonCode.TEMPERATURE_INVALID not in codes(d)


def test_temperature_needed_only_when_required() -> None:
    assert judge(obs=Observations(mask=True)).verdict is Verdict.ALLOW
    p = with_rules(temperature={"required": True})
    d = judge(policy=p, obs=Observations(mask=True))
    assert codes(d) == {ReasonCode.TEMPERATURE_NEEDED: Severity.REVIEW}


# --- mask ----------------------------------------------------------------------


def test_no_mask_takes_mask_action() -> None:
    d = judge(obs=Observations(temperature_c=36.5, mask=False))
    assert codes(d) == {ReasonCode.MASK_MISSING: Severity.REVIEW}
    p = with_rules(mask={"action": "deny"})
    d = judge(policy=p, obs=Observations(temperature_c=36.5, mask=False))
    assert codes(d) == {ReasonCode.MASK_MISSING: Severity.DENY}


def test_mask_not_required() -> None:
    p = with_rules(mask={"required": False, "confirm_required": True})
    assert judge(policy=p, obs=Observations(mask=False)).verdict is Verdict.ALLOW


def test_unconfirmed_mask() -> None:
    assert judge(obs=Observations()).verdict is Verdict.ALLOW
    p = with_rules(mask={"confirm_required": True})
    d = judge(policy=p, obs=Observations())
    assert codes(d) == {ReasonCode.MASK_NEEDED: Severity.REVIEW}


# --- everything at once -------------------------------------------------------


def test_every_reason_is_given() -> None:
    c = cred(
        issued_at=NOW - 2 * HOUR,
        colour=Colour.YELLOW,
        vaccination=vac(1, 3),
        nucleic_acid=nat(100 * HOUR, positive=True),
        travel=trv(("CN-9", RiskLevel.HIGH, 2), age_s=48 * HOUR),
    )
    d = judge(c, obs=Observations(temperature_c=38.0, mask=False))
    assert [r.code for r in d.reasons] == [
        ReasonCode.COLOUR_REVIEW,
        ReasonCode.CODE_TOO_OLD,
        ReasonCode.VAC_TOO_FEW_DOSES,
        ReasonCode.VAC_TOO_RECENT,
        ReasonCode.NAT_POSITIVE,
        ReasonCode.NAT_TOO_OLD,
        ReasonCode.TRAVEL_RISK_AREA,
        ReasonCode.TRAVEL_RECORD_STALE,
        ReasonCode.TEMPERATURE_HIGH,
        ReasonCode.MASK_MISSING,
    ]
    assert d.verdict is Verdict.DENY
    assert all(r.message for r in d.reasons)


def test_far_times_do_not_raise() -> None:
    c = cred(
        issued_at=0,
        vaccination=Vaccination(doses=2, last_dose=dt.date.max),
        nucleic_acid=NucleicAcidTest(positive=False, sampled_at=253402300799),
        travel=TravelRecord(made_at=0, visits=(AreaVisit("X", RiskLevel.HIGH, dt.date.min),)),
    )
    assert judge(c, now=253402300799).verdict is Verdict.DENY
    assert judge(c, now=0).verdict is Verdict.DENY


# --- lists and foreign certificates ------------------------------------------


def test_no_lists() -> None:
    assert judge_lists(None, None, DEFAULT_POLICY) == (
        Reason(ReasonCode.NO_TRUST_LIST, Severity.DENY, "no trust list: update the kiosk"),
        Reason(
            ReasonCode.NO_REVOCATION_LIST, Severity.REVIEW, "no revocation list: update the kiosk"
        ),
    )
    p = with_rules(lists={"stale_action": "deny"})
    assert judge_lists(0, None, p)[0].severity is Severity.DENY


@pytest.mark.parametrize(
    ("age_s", "severity"),
    [
        (0, None),
        (-5, None),
        (24 * HOUR, None),
        (24 * HOUR + 1, Severity.NOTE),
        (72 * HOUR, Severity.NOTE),
        (72 * HOUR + 1, Severity.REVIEW),
    ],
)
def test_list_age(age_s: int, severity: Severity | None) -> None:
    reasons = judge_lists(age_s, age_s, DEFAULT_POLICY)
    if severity is None:
        assert reasons == ()
    else:
        assert [r.code for r in reasons] == [
            ReasonCode.TRUST_LIST_STALE,
            ReasonCode.REVOCATION_LIST_STALE,
        ]
        assert {r.severity for r in reasons} == {severity}


def test_stale_lists_deny_when_told() -> None:
    p = with_rules(lists={"stale_action": "deny"})
    assert verdict_of(judge_lists(100 * HOUR, 0, p)) is Verdict.DENY


@pytest.mark.parametrize(
    ("action", "severity"),
    [("allow", Severity.NOTE), ("review", Severity.REVIEW), ("deny", Severity.DENY)],
)
def test_foreign(action: str, severity: Severity) -> None:
    (r,) = judge_foreign(with_rules(foreign={"action": action}))
    assert r.code is ReasonCode.FOREIGN_CERTIFICATE
    assert r.severity is severity
