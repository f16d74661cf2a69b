"""Lists judged by their own signed dates (issue 12, problem 2)."""

from __future__ import annotations

import pytest

from kiosk.core import trust
from kiosk.core.errors import ListError, ReasonCode, Severity
from kiosk.core.pipeline import scan
from kiosk.core.policy import DEFAULT_POLICY, judge_list_dates, policy_from_mapping
from server_stub.issuer import Issuer, good_certificates
from tests.conftest import NOW, context_for

HOUR = 3600


def _lists(issuer: Issuer, iat: int, exp: int) -> tuple[trust.TrustList, trust.RevocationList]:
    root = trust.load_root_key(issuer.root_public_pem)
    t = issuer._sign_list(trust.trust_list_payload(50, iat, exp, issuer._trusted_keys()))
    r = issuer._sign_list(trust.revocation_list_payload(50, iat, exp, []))
    return (
        trust.parse_trust_list(t, root, now=NOW),
        trust.parse_revocation_list(r, root, now=NOW),
    )


def test_lists_an_hour_past_their_exp_are_expired_not_allowed(issuer: Issuer) -> None:
    # Short-lived lists, issued 3 h ago, expired 1 h ago: young enough not to be "stale".
    tl, rl = _lists(issuer, NOW - 3 * HOUR, NOW - HOUR)
    ctx = context_for(issuer, trust=tl, revocations=rl)
    code = issuer.mint(name="Wang *ming", now=NOW - 60, **good_certificates(NOW))
    d = scan(code, ctx, NOW)
    assert d.verdict.value == "REVIEW"
    expired = [r for r in d.reasons if r.code is ReasonCode.LIST_EXPIRED]
    assert len(expired) == 2
    assert {r.severity for r in expired} == {Severity.REVIEW}


def test_expired_lists_take_the_policys_stale_action(issuer: Issuer) -> None:
    tl, rl = _lists(issuer, NOW - 3 * HOUR, NOW - HOUR)
    deny = policy_from_mapping({"lists": {"stale_action": "deny"}})
    reasons = judge_list_dates(tl, rl, deny, NOW, 300)
    assert [r.code for r in reasons if r.severity is Severity.DENY] == [
        ReasonCode.LIST_EXPIRED,
        ReasonCode.LIST_EXPIRED,
    ]


def test_within_the_skew_of_exp_a_list_is_not_expired(issuer: Issuer) -> None:
    tl, rl = _lists(issuer, NOW - 3 * HOUR, NOW - 200)
    assert judge_list_dates(tl, rl, DEFAULT_POLICY, NOW, 300) == ()


def test_a_list_from_the_future_is_refused_at_load(issuer: Issuer) -> None:
    root = trust.load_root_key(issuer.root_public_pem)
    ten_years = 10 * 365 * 86400
    t = issuer._sign_list(
        trust.trust_list_payload(60, NOW + ten_years, NOW + ten_years + 7 * 86400, [])
    )
    r = issuer._sign_list(trust.revocation_list_payload(60, NOW + 301, NOW + 86400, []))
    with pytest.raises(ListError) as caught:
        trust.parse_trust_list(t, root, now=NOW)
    assert caught.value.code is ReasonCode.LIST_FROM_FUTURE
    with pytest.raises(ListError) as caught:
        trust.parse_revocation_list(r, root, now=NOW)
    assert caught.value.code is ReasonCode.LIST_FROM_FUTURE
    ok = issuer._sign_list(trust.revocation_list_payload(60, NOW + 299, NOW + 86400, []))
    assert trust.parse_revocation_list(ok, root, now=NOW).version == 60


def test_staleness_is_counted_from_iat(issuer: Issuer) -> None:
    """Documented in config/policy.toml: hours since the list's signed iat."""
    tl, rl = _lists(issuer, NOW - 73 * HOUR, NOW + 30 * 86400)
    codes = {r.code: r.severity for r in judge_list_dates(tl, rl, DEFAULT_POLICY, NOW, 300)}
    assert codes == {
        ReasonCode.TRUST_LIST_STALE: Severity.REVIEW,
        ReasonCode.REVOCATION_LIST_STALE: Severity.REVIEW,
    }
    tl, rl = _lists(issuer, NOW - 25 * HOUR, NOW + 30 * 86400)
    codes = {r.code: r.severity for r in judge_list_dates(tl, rl, DEFAULT_POLICY, NOW, 300)}
    assert set(codes.values()) == {Severity.NOTE}
