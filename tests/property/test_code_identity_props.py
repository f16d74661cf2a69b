"""Every re-encoding of a code has the same replay identity (issue 12, problem 1).

The QR text of a code can change without touching what its signature
covers: COSE tag 18 or none, another zlib level, junk in the unprotected
header, or the ECDSA ``s`` replaced by ``n - s``.  The replay rules must see
one code, so a re-encoded screenshot gets the same SHARED_CODE and PASSBACK
as an exact copy.
"""

from __future__ import annotations

import zlib
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.core import base45, cbor, codec, cose
from kiosk.core.errors import ReasonCode
from kiosk.core.replay import ReplayGuard, ReplayRules, Sighting, replay_key
from kiosk.scan_loop import ScanLoop
from server_stub.issuer import Issuer, good_certificates
from tests.conftest import NOW, context_for


def _sign1(text: str) -> list[Any]:
    obj = cbor.loads(zlib.decompress(base45.decode(text[len(codec.PREFIX) :])))
    if isinstance(obj, cbor.Tag):
        obj = obj.value
    return list(obj)


def reencode(text: str, *, tagged: bool, level: int, junk: dict[Any, Any], flip_s: bool) -> str:
    """The same signed content in another envelope."""
    protected, _unprotected, payload, signature = _sign1(text)
    if flip_s:
        s = int.from_bytes(signature[32:], "big")
        signature = signature[:32] + (cose.P256_ORDER - s).to_bytes(32, "big")
    body: Any = [protected, junk, payload, signature]
    raw = cbor.dumps(cbor.Tag(cose.COSE_SIGN1_TAG, body) if tagged else body)
    return codec.PREFIX + base45.encode(zlib.compress(raw, level))


junk_maps = st.dictionaries(
    st.integers(min_value=-1000, max_value=1000).filter(lambda k: k not in (1, 2, 4)),
    st.one_of(st.integers(-(2**63), 2**63 - 1), st.binary(max_size=16), st.text(max_size=8)),
    max_size=3,
)


@settings(max_examples=60, deadline=None)
@given(
    tagged=st.booleans(),
    level=st.integers(min_value=0, max_value=9),
    junk=junk_maps,
    flip_s=st.booleans(),
)
def test_every_reencoding_has_the_same_replay_identity(
    issuer: Issuer, tagged: bool, level: int, junk: dict[Any, Any], flip_s: bool
) -> None:
    text = issuer.mint(alg="ES256", name="Wang *ming", now=NOW - 60, **good_certificates(NOW))
    variant = reencode(text, tagged=tagged, level=level, junk=junk, flip_s=flip_s)
    assert replay_key(variant) == replay_key(text)


def test_another_code_has_another_identity(issuer: Issuer) -> None:
    a = issuer.mint(alg="ES256", name="Wang *ming", now=NOW - 60, **good_certificates(NOW))
    b = issuer.mint(alg="ES256", name="Wang *ming", now=NOW - 61, **good_certificates(NOW))
    assert replay_key(a) != replay_key(b)


def test_issued_signatures_are_low_s(issuer: Issuer) -> None:
    for i in range(20):
        text = issuer.mint(alg="ES256", name="Li *hua", now=NOW - 60 - i, **good_certificates(NOW))
        assert not cose.is_high_s(_sign1(text)[3])


def test_a_high_s_code_is_refused(issuer: Issuer) -> None:
    from kiosk.core.pipeline import scan

    text = issuer.mint(alg="ES256", name="Wang *ming", now=NOW - 60, **good_certificates(NOW))
    flipped = reencode(text, tagged=False, level=9, junk={}, flip_s=True)
    decision = scan(flipped, context_for(issuer), NOW)
    assert decision.verdict.value == "DENY"
    assert decision.reason_codes == ("SIGNATURE_NOT_LOW_S",) or "SIGNATURE_NOT_LOW_S" in (
        decision.reason_codes
    )


def _loop(issuer: Issuer) -> ScanLoop:
    ctx = context_for(issuer)
    rules = ReplayRules(presentation_gap_s=1.5, hold_s=5, repeat_review_s=600)
    return ScanLoop(lambda _img: [], lambda: ctx, ReplayGuard(rules), now=lambda t: NOW + int(t))


def test_a_reencoded_screenshot_is_flagged_like_an_exact_copy(issuer: Issuer) -> None:
    """Shown 3 s later, the variant is SHARED_CODE, not a silent hold."""
    text = issuer.mint(alg="ES256", name="Zhao *li", now=NOW - 60, **good_certificates(NOW))
    variant = reencode(text, tagged=True, level=1, junk={99: b"x"}, flip_s=False)
    for again in (text, variant):
        loop = _loop(issuer)
        first = loop.process_text(text, 0.0)
        assert first is not None and first.decision.verdict.value == "ALLOW"
        second = loop.process_text(again, 3.0)
        assert second is not None, "a re-encoded code was silently held"
        assert ReasonCode.SHARED_CODE in second.decision.reason_codes


def test_a_reencoded_code_after_eleven_minutes_is_not_a_plain_allow(issuer: Issuer) -> None:
    text = issuer.mint(alg="ES256", name="Sun *yan", now=NOW - 60, **good_certificates(NOW))
    variant = reencode(text, tagged=False, level=0, junk={-70000: 1}, flip_s=False)
    loop = _loop(issuer)
    assert loop.process_text(text, 0.0) is not None
    later = loop.process_text(variant, 660.0)
    assert later is not None
    assert later.decision.verdict.value != "ALLOW"
    assert ReasonCode.SHARED_CODE in later.decision.reason_codes


def test_the_guard_treats_a_variant_as_the_same_presentation(issuer: Issuer) -> None:
    text = issuer.mint(alg="ES256", name="Qian *bo", now=NOW - 60, **good_certificates(NOW))
    variant = reencode(text, tagged=True, level=6, junk={}, flip_s=True)
    guard = ReplayGuard()
    assert guard.sighting(text, 0.0) is None
    guard.decided(text, "holder", 0.0)
    outcome = guard.sighting(variant, 0.5)
    assert outcome is not None and outcome.sighting is Sighting.SAME_PRESENTATION
