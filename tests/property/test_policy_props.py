"""Properties of the site policy and of display cleaning, over generated input."""

from __future__ import annotations

import dataclasses
import datetime as dt
import unicodedata
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.core import limits
from kiosk.core.display import MAX_MARKS_PER_BASE, clean_text
from kiosk.core.errors import Reason, ReasonCode, Severity
from kiosk.core.model import (
    AreaVisit,
    CertificateKind,
    Colour,
    Credential,
    HealthCode,
    NucleicAcidTest,
    Observations,
    RiskLevel,
    TravelRecord,
    Vaccination,
    Verdict,
)
from kiosk.core.policy import (
    MIN_PLAUSIBLE_C,
    Policy,
    evaluate,
    local_date,
    policy_from_mapping,
    verdict_of,
)

BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
FORBIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}

any_text = st.text(st.characters(codec=None, categories=None), max_size=300)
times = st.integers(limits.MIN_TIME, limits.MAX_TIME)
levels = st.sampled_from(list(RiskLevel))
modes = st.sampled_from(["required", "review", "ignore"])
actions = st.sampled_from(["deny", "review"])


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    """Any valid policy, built through the parser so that it is checked too."""
    allow = draw(st.sets(st.sampled_from("GYR"), min_size=1))
    review = draw(st.sets(st.sampled_from("GYR")).map(lambda chosen: chosen - allow))
    warn = draw(st.integers(1, 200))
    data: dict[str, Any] = {
        "site": {
            "utc_offset_hours": draw(st.integers(-48, 56)) / 4,
            "clock_skew_s": draw(st.integers(0, 3600)),
        },
        "colours": {"allow": sorted(allow), "review": sorted(review)},
        "code": {"max_age_minutes": draw(st.integers(1, 43200))},
        "nucleic_acid": {"mode": draw(modes), "max_hours": draw(st.integers(1, 720))},
        "vaccination": {
            "mode": draw(modes),
            "min_doses": draw(st.integers(0, 10)),
            "min_days_since_last": draw(st.integers(0, 365)),
        },
        "travel": {
            "mode": draw(modes),
            "lookback_days": draw(st.integers(0, 365)),
            "max_level": draw(st.sampled_from("LMH")),
            "risk_action": draw(actions),
            "max_record_age_hours": draw(st.integers(1, 720)),
        },
        "temperature": {
            "required": draw(st.booleans()),
            "threshold_c": draw(st.floats(35, 42)),
            "action": draw(actions),
        },
        "mask": {
            "required": draw(st.booleans()),
            "action": draw(actions),
            "confirm_required": draw(st.booleans()),
        },
        "lists": {
            "warn_hours": warn,
            "max_hours": draw(st.integers(warn, 8760)),
            "stale_action": draw(actions),
        },
        "foreign": {"action": draw(st.sampled_from(["deny", "review", "allow"]))},
    }
    return policy_from_mapping(data)


visits = st.builds(AreaVisit, area=any_text, level=levels, last_visit=st.dates())
codes = st.builds(
    HealthCode,
    version=st.integers(),
    holder_id=st.binary(max_size=16),
    name=any_text,
    colour=st.sampled_from(list(Colour)),
    vaccination=st.none() | st.builds(Vaccination, doses=st.integers(-5, 50), last_dose=st.dates()),
    nucleic_acid=st.none() | st.builds(NucleicAcidTest, positive=st.booleans(), sampled_at=times),
    travel=st.none()
    | st.builds(TravelRecord, made_at=times, visits=st.lists(visits, max_size=8).map(tuple)),
)
credentials = st.builds(Credential, issuer=any_text, issued_at=times, expires_at=times, code=codes)
observations = st.builds(
    Observations,
    temperature_c=st.none() | st.floats(allow_nan=True, allow_infinity=True),
    mask=st.none() | st.booleans(),
)


@settings(max_examples=300)
@given(credentials, policies(), times, observations)
def test_evaluate_never_raises_and_is_consistent(
    credential: Credential, policy: Policy, now: int, obs: Observations
) -> None:
    d = evaluate(credential, policy, now, obs)
    assert d.verdict is verdict_of(d.reasons)
    assert d.decided_at == now
    assert [c.kind for c in d.certificates] == [
        CertificateKind.VACCINATION,
        CertificateKind.NUCLEIC_ACID,
        CertificateKind.TRAVEL,
    ]
    assert d.name == clean_text(credential.code.name)
    assert d.holder_key == ""
    for text in [d.name, d.issuer, *(r.message for r in d.reasons)]:
        assert "\n" not in text
        assert not BIDI & set(text)
    if any(r.severity is Severity.DENY for r in d.reasons):
        assert d.verdict is Verdict.DENY
    if credential.code.nucleic_acid is not None and credential.code.nucleic_acid.positive:
        assert d.verdict is Verdict.DENY


@given(st.lists(st.sampled_from(list(Severity))))
def test_verdict_rule(severities: list[Severity]) -> None:
    reasons = [Reason(ReasonCode.INTERNAL_ERROR, s, "") for s in severities]
    verdict = verdict_of(reasons)
    if Severity.DENY in severities:
        assert verdict is Verdict.DENY
    elif Severity.REVIEW in severities:
        assert verdict is Verdict.REVIEW
    else:
        assert verdict is Verdict.ALLOW


@st.composite
def healthy(draw: st.DrawFn, credential: Credential, policy: Policy, now: int) -> Credential:
    """``credential`` with every cause of a reason removed, as little as possible."""
    today = local_date(now, policy)
    vac = policy.vaccination
    nat = policy.nucleic_acid
    trv = policy.travel
    days = draw(st.integers(vac.min_days_since_last, vac.min_days_since_last + 400))
    vaccination = Vaccination(
        doses=draw(st.integers(vac.min_doses, vac.min_doses + 3)),
        last_dose=today - dt.timedelta(days=days),
    )
    test = NucleicAcidTest(
        positive=False, sampled_at=now - draw(st.integers(0, nat.max_hours * 3600))
    )
    kept = tuple(
        v
        for v in (credential.code.travel.visits if credential.code.travel else ())
        if (v.level.rank <= trv.max_level.rank or (today - v.last_visit).days > trv.lookback_days)
        and v.last_visit <= today
    )
    record = TravelRecord(
        made_at=now - draw(st.integers(0, trv.max_record_age_hours * 3600)), visits=kept
    )
    code = dataclasses.replace(
        credential.code,
        colour=draw(st.sampled_from(sorted(policy.colours.allow))),
        vaccination=vaccination,
        nucleic_acid=test,
        travel=record,
    )
    age = draw(st.integers(0, policy.code.max_age_minutes * 60))
    return dataclasses.replace(credential, issued_at=now - age, code=code)


@settings(max_examples=300)
@given(credentials, policies(), st.integers(1_000_000_000, 4_000_000_000), st.data())
def test_removing_every_cause_allows(
    credential: Credential, policy: Policy, now: int, data: st.DataObject
) -> None:
    fixed = data.draw(healthy(credential, policy, now))
    normal = st.floats(MIN_PLAUSIBLE_C, policy.temperature.threshold_c - 0.02)
    reading = data.draw(normal if policy.temperature.required else st.none() | normal)
    d = evaluate(fixed, policy, now, Observations(temperature_c=reading, mask=True))
    assert d.reasons == ()
    assert d.verdict is Verdict.ALLOW


@given(any_text, st.integers(-5, 200))
def test_clean_text_is_safe(value: str, max_len: int) -> None:
    out = clean_text(value, max_len)
    assert len(out) <= max(max_len, 0)
    assert out == out.strip()
    assert "  " not in out
    assert not BIDI & set(out)
    assert all(unicodedata.category(ch) not in FORBIDDEN_CATEGORIES for ch in out)
    assert all(ch == " " or not ch.isspace() for ch in out)
    run = 0
    for ch in out:
        run = run + 1 if unicodedata.category(ch).startswith("M") else 0
        assert run <= MAX_MARKS_PER_BASE
    assert clean_text(out, max_len) == out


@given(st.text(st.characters(codec=None, categories=None), min_size=1, max_size=30))
def test_clean_text_keeps_plain_text(value: str) -> None:
    plain = "".join(ch for ch in value if ch.isalnum() and ch.isascii())
    assert clean_text(plain) == plain
