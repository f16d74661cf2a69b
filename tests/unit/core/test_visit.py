"""The visit: one person's code, readings and overrules, judged from all of them at once."""

from __future__ import annotations

import dataclasses

import pytest

from kiosk.core.errors import ReasonCode
from kiosk.core.model import Verdict
from kiosk.core.pipeline import ScanContext, scan
from kiosk.core.policy import DEFAULT_POLICY, GuardRules, policy_from_mapping
from kiosk.core.reason_words import REASON_WORDS, codes_matching
from kiosk.core.visit import (
    Visit,
    VisitBook,
    VisitError,
    VisitStatus,
    judge,
    leave,
    looks_like_code,
    observe,
    overrule,
)
from server_stub.issuer import Issuer, good_certificates
from tests.conftest import NOW


def opened(issuer: Issuer, ctx: ScanContext, visit_id: str = "v1", **fields: object) -> Visit:
    text = issuer.mint(name="Wang *ming", now=NOW - 60, **{**good_certificates(NOW), **fields})
    return Visit(visit_id, NOW * 1000, scan(text, ctx, NOW))


def codes(visit: Visit, ctx: ScanContext) -> set[str]:
    return set(judge(visit, ctx).decision.reason_codes)


def test_a_fever_stays_when_the_mask_is_confirmed_after_it(
    issuer: Issuer, ctx: ScanContext
) -> None:
    v = opened(issuer, ctx)
    assert judge(v, ctx).verdict is Verdict.ALLOW
    v = observe(v, temperature_c=38.5)
    assert judge(v, ctx).verdict is Verdict.DENY
    v = observe(v, mask=True)
    assert judge(v, ctx).verdict is Verdict.DENY
    assert "TEMPERATURE_HIGH" in codes(v, ctx)
    assert (v.temperature_c, v.mask) == (38.5, True)


def test_no_mask_stays_when_a_normal_temperature_comes_after_it(
    issuer: Issuer, ctx: ScanContext
) -> None:
    v = observe(opened(issuer, ctx), mask=False)
    assert judge(v, ctx).verdict is Verdict.REVIEW
    v = observe(v, temperature_c=36.6)
    assert judge(v, ctx).verdict is Verdict.REVIEW
    assert "MASK_MISSING" in codes(v, ctx)


def test_a_second_reading_of_the_same_kind_replaces_the_first(
    issuer: Issuer, ctx: ScanContext
) -> None:
    v = observe(observe(opened(issuer, ctx), temperature_c=38.5), temperature_c=36.8)
    assert judge(v, ctx).verdict is Verdict.ALLOW


def test_guard_may_deny_any_visit(issuer: Issuer, ctx: ScanContext) -> None:
    v = overrule(opened(issuer, ctx), Verdict.DENY, "face does not match", NOW * 1000, ctx)
    judged = judge(v, ctx)
    assert judged.verdict is Verdict.DENY and judged.status is VisitStatus.OVERRULED
    assert "GUARD_DENIED" in judged.decision.reason_codes


def test_approval_is_refused_for_what_the_policy_never_approves(
    issuer: Issuer, ctx: ScanContext
) -> None:
    red = opened(issuer, ctx, colour="R")
    with pytest.raises(VisitError, match="COLOUR_NOT_ALLOWED"):
        overrule(red, Verdict.ALLOW, "I know her", NOW * 1000, ctx)
    hot = observe(opened(issuer, ctx, colour="Y"), temperature_c=39.0)
    with pytest.raises(VisitError, match="TEMPERATURE_HIGH"):
        overrule(hot, Verdict.ALLOW, "ok", NOW * 1000, ctx)


def test_approval_of_an_unverified_code_follows_the_policy(
    issuer: Issuer, ctx: ScanContext
) -> None:
    forged = Visit("v9", NOW * 1000, scan("HCK1:NOT-A-CODE", ctx, NOW))
    with pytest.raises(VisitError, match="did not verify"):
        overrule(forged, Verdict.ALLOW, "checked by phone", NOW * 1000, ctx)
    lenient = dataclasses.replace(
        ctx, policy=dataclasses.replace(DEFAULT_POLICY, guard=GuardRules(approve_unverified=True))
    )
    approved = overrule(forged, Verdict.ALLOW, "checked by phone", NOW * 1000, lenient)
    assert judge(approved, lenient).verdict is Verdict.ALLOW


def test_an_approval_covers_only_the_reasons_it_saw(issuer: Issuer, ctx: ScanContext) -> None:
    yellow = opened(issuer, ctx, colour="Y")
    assert judge(yellow, ctx).verdict is Verdict.REVIEW
    approved = overrule(yellow, Verdict.ALLOW, "known staff", NOW * 1000, ctx)
    assert judge(approved, ctx).verdict is Verdict.ALLOW
    assert judge(approved, ctx).status is VisitStatus.OVERRULED
    no_mask = observe(approved, mask=False)
    lapsed = judge(no_mask, ctx)
    assert lapsed.verdict is Verdict.REVIEW and lapsed.status is VisitStatus.WAITING
    assert "APPROVAL_LAPSED" in lapsed.decision.reason_codes
    fever = judge(observe(approved, temperature_c=38.9), ctx)
    assert fever.verdict is Verdict.DENY


def test_reasons_that_hold_a_code_are_refused(issuer: Issuer, ctx: ScanContext) -> None:
    yellow = opened(issuer, ctx, colour="Y")
    text = issuer.mint(name="Next *person", now=NOW - 60, **good_certificates(NOW))
    for reason in (text, "ok " + text[:60], "hck1:abc"):
        with pytest.raises(VisitError):
            overrule(yellow, Verdict.ALLOW, reason, NOW * 1000, ctx)
    assert not looks_like_code("known staff member, badge 4471")
    assert not looks_like_code("KNOWN STAFF MEMBER, BADGE 4471 (CAPS LOCK ON)")
    assert looks_like_code(text)  # its prefix, wherever it is
    assert looks_like_code("6BFOXN*TS0BI$ZDYSHJS8CK:R4AHDN6DXVVCF51C8Y")  # 40 code characters


def test_empty_reasons_and_review_overrules_are_refused(issuer: Issuer, ctx: ScanContext) -> None:
    v = opened(issuer, ctx)
    with pytest.raises(VisitError, match="reason"):
        overrule(v, Verdict.DENY, "  ", NOW * 1000, ctx)
    with pytest.raises(VisitError):
        overrule(v, Verdict.REVIEW, "hmm", NOW * 1000, ctx)
    with pytest.raises(VisitError):
        observe(v)


def test_a_visit_left_without_a_decision_takes_no_more_actions(
    issuer: Issuer, ctx: ScanContext
) -> None:
    gone = leave(opened(issuer, ctx, colour="Y"), NOW * 1000 + 600_000)
    judged = judge(gone, ctx)
    assert judged.status is VisitStatus.LEFT and judged.verdict is Verdict.REVIEW
    assert "LEFT_WITHOUT_DECISION" in judged.decision.reason_codes
    with pytest.raises(VisitError, match="left"):
        observe(gone, temperature_c=36.5)
    with pytest.raises(VisitError, match="left"):
        overrule(gone, Verdict.DENY, "gone", NOW * 1000, ctx)


def test_the_book_keeps_waiting_visits_and_times_them_out(issuer: Issuer, ctx: ScanContext) -> None:
    book = VisitBook()
    review = opened(issuer, ctx, "r1", colour="Y")
    book = book.opened(review, ctx, limit=3)
    for i in range(5):
        book = book.opened(opened(issuer, ctx, f"a{i}"), ctx, limit=3)
    assert [v.id for v in book.visits] == ["r1", "a3", "a4"], "a waiting visit is never dropped"
    assert [v.id for v in book.waiting(ctx)] == ["r1"]
    assert book.due(NOW * 1000 + 599_999, 600_000, ctx) == []
    assert [v.id for v in book.due(NOW * 1000 + 600_000, 600_000, ctx)] == ["r1"]
    assert book.due(NOW * 1000 + 10**9, 0, ctx) == [], "0 never times out"
    with pytest.raises(VisitError):
        book.get("a0")


def test_the_guard_policy_is_read_and_checked() -> None:
    policy = policy_from_mapping(
        {"guard": {"never_approve": ["NAT_POSITIVE"], "approve_unverified": True}}
    )
    assert policy.guard == GuardRules(frozenset({ReasonCode.NAT_POSITIVE}), True)
    with pytest.raises(ValueError, match=r"guard\.never_approve"):
        policy_from_mapping({"guard": {"never_approve": ["FEVER"]}})
    with pytest.raises(ValueError, match=r"guard\.approve_unverified"):
        policy_from_mapping({"guard": {"approve_unverified": "yes"}})


def test_every_reason_code_has_words_and_words_find_codes() -> None:
    assert set(REASON_WORDS) == set(ReasonCode)
    assert "TEMPERATURE_HIGH" in codes_matching("fever")
    assert "SHARED_CODE" in codes_matching("Screenshot")
    assert codes_matching("a") == []
