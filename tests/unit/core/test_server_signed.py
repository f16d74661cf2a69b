"""Acks, signed time and the clock's authority, as pure functions."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.core.clock import ServerTime, clock_reasons, confirmed_skew, purge_allowed
from kiosk.core.errors import ListError, ReasonCode, Severity
from kiosk.core.server_signed import (
    AckError,
    Head,
    PolicyScope,
    ack_bytes,
    ack_fields,
    check_ack,
    check_policy_scope,
    check_time,
    compare_heads,
    pinned_ack_key,
    time_fields,
)

KEY = Ed25519PrivateKey.generate()
ACK_KEY = pinned_ack_key(KEY.public_key())
BODY = b'{"batch":"x"}'
DIGEST = hashlib.sha256(BODY).hexdigest()


def signed(fields: dict[str, object], key: Ed25519PrivateKey = KEY) -> tuple[bytes, str]:
    data = ack_bytes(fields)
    return data, base64.b64encode(key.sign(data)).decode()


def ack(**changes: object) -> dict[str, object]:
    fields = ack_fields(
        kiosk_id="gate-01", batch_id="b-1", body_sha256=DIGEST, accepted=["a", "b"],
        stored=2, duplicates=0, server_time_ms=1000, head=Head(2, "h"),
    )  # fmt: skip
    fields.update(changes)
    return fields


def check(data: bytes, sig: str | None) -> object:
    return check_ack(
        data, sig, ACK_KEY, kiosk_id="gate-01", batch_id="b-1", body_sha256=DIGEST,
        sent_ids=["b", "a"],
    )  # fmt: skip


def test_a_matching_signed_ack_verifies_in_any_id_order() -> None:
    verified = check(*signed(ack()))
    assert verified.accepted == ("a", "b") and verified.server_time_ms == 1000  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "changes",
    [{"accepted": ["a"]}, {"accepted": ["a", "b", "c"]}, {"accepted": ["a", "a"]},
     {"batch_id": "b-2"}, {"body_sha256": "0" * 64}, {"kiosk_id": "gate-02"}, {"v": 2}],
)  # fmt: skip
def test_an_ack_for_anything_else_is_refused(changes: dict[str, object]) -> None:
    with pytest.raises(AckError):
        check(*signed(ack(**changes)))


def test_unsigned_or_wrongly_signed_acks_are_refused() -> None:
    data, _ = signed(ack())
    with pytest.raises(AckError, match="not signed"):
        check(data, None)
    _, other = signed(ack(), Ed25519PrivateKey.generate())
    with pytest.raises(AckError, match="does not verify"):
        check(data, other)
    with pytest.raises(AckError, match="no server ack key"):
        check_ack(data, "x", None, kiosk_id="k", batch_id="b", body_sha256="d", sent_ids=[])


def test_signed_time_must_name_the_nonce() -> None:
    data, sig = signed(time_fields("n" * 32, 5000))
    assert check_time(data, sig, ACK_KEY, nonce="n" * 32) == 5000
    with pytest.raises(AckError):
        check_time(data, sig, ACK_KEY, nonce="m" * 32)


def test_confirmed_skew_carries_a_jump_of_the_wall_clock() -> None:
    confirmed = ServerTime(skew_s=0.5, wall_s=1000.0, mono_s=50.0)
    assert confirmed_skew(confirmed, 1010.0, 60.0) == pytest.approx(0.5)
    assert confirmed_skew(confirmed, 1010.0 + 3600, 60.0) == pytest.approx(3600.5)
    assert confirmed_skew(None, 1.0, 1.0) is None


def test_clock_reasons_trust_signed_time_over_date() -> None:
    behind = 10_000_000
    # unconfirmed: backwards is REVIEW, an unsigned Date 3 h off is a NOTE
    reasons = clock_reasons(behind, behind + 3_600_000, 10800.0, 120.0)
    assert {(r.code, r.severity) for r in reasons} == {
        (ReasonCode.CLOCK_BACKWARDS, Severity.REVIEW),
        (ReasonCode.CLOCK_SKEW, Severity.NOTE),
    }
    # confirmed right: nothing, even with the high-water mark in the future
    assert clock_reasons(behind, behind + 3_600_000, 10800.0, 120.0, confirmed_skew_s=1.0) == ()
    # confirmed wrong: REVIEW
    (skew, *_) = clock_reasons(behind, None, None, 120.0, confirmed_skew_s=-500.0)
    assert (skew.code, skew.severity) == (ReasonCode.CLOCK_SKEW, Severity.REVIEW)


def test_purge_needs_a_confirmed_clock_within_tolerance() -> None:
    assert not purge_allowed(None, 120)
    assert not purge_allowed(29 * 86400, 120)
    assert purge_allowed(-3.0, 120)


def scope(version: int = 2, sites: tuple[str, ...] = ("*",), exp: int | None = 2000,
          digest: str = "d") -> PolicyScope:  # fmt: skip
    return PolicyScope(version, sites, exp, digest)


def test_policy_scope_rules() -> None:
    check_policy_scope(scope(), site="A", now=1000, skew_s=300, held=None)
    check_policy_scope(scope(sites=("A",)), site="A", now=1000, skew_s=300, held=scope())
    for bad, held in [
        (scope(sites=("B",)), None),
        (scope(sites=()), None),
        (scope(exp=None), None),
        (scope(exp=500), None),
        (scope(digest="other"), scope()),
    ]:
        with pytest.raises(ListError):
            check_policy_scope(bad, site="A", now=1000, skew_s=300, held=held)


def test_compare_heads_names_a_rewritten_seq_and_skips_purged_ones() -> None:
    heads = [Head(50, "a"), Head(100, "b"), Head(150, "c")]
    assert compare_heads(heads, {100: "b", 150: "c"}) == (2, [])
    compared, problems = compare_heads(heads, {100: "x", 150: "c"})
    assert compared == 2 and "seq 100" in problems[0]
