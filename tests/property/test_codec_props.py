"""Properties of the decoder: it only ever raises its own error, and no mutation is ALLOWed."""

from __future__ import annotations

import contextlib
import zlib

import cbor2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.core import base45, cbor, codec
from kiosk.core.display import clean_text
from kiosk.core.errors import KioskError
from kiosk.core.model import Verdict
from kiosk.core.pipeline import scan
from server_stub.issuer import Issuer, IssuerError, good_certificates
from tests.conftest import NOW, context_for

SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(st.text(max_size=300))
def test_decode_raises_only_its_own_error_on_any_text(text: str) -> None:
    with contextlib.suppress(KioskError):
        codec.decode(text)


@SETTINGS
@given(st.binary(max_size=400))
def test_decode_raises_only_its_own_error_on_any_bytes(data: bytes) -> None:
    for text in ("HCK1:" + base45.encode(data), "HCK1:" + base45.encode(zlib.compress(data))):
        with contextlib.suppress(KioskError):
            codec.decode(text)


@SETTINGS
@given(st.binary(max_size=300))
def test_cbor_loads_only_raises_its_own_error(data: bytes) -> None:
    with contextlib.suppress(KioskError):
        cbor.loads(data)


cbor_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**64), 2**64 - 1)
    | st.binary(max_size=20)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(st.integers(-100, 100) | st.text(max_size=5), inner, max_size=5)
    ),
    max_leaves=20,
)


@SETTINGS
@given(cbor_values)
def test_cbor_agrees_with_an_independent_implementation(value: object) -> None:
    ours = cbor.dumps(value)
    assert cbor.loads(ours) == value
    assert cbor2.loads(ours) == value
    assert cbor.loads(cbor2.dumps(value)) == value


@SETTINGS
@given(st.binary(max_size=200))
def test_base45_round_trip(data: bytes) -> None:
    assert base45.decode(base45.encode(data)) == data


_CODES: dict[int, str] = {}


def _valid_code(issuer: Issuer) -> str:
    """One valid code per issuer, minted once (ECDSA signatures are randomised)."""
    if id(issuer) not in _CODES:
        _CODES[id(issuer)] = issuer.mint(
            name="Wang *ming", now=NOW - 60, alg="ES256", **good_certificates(NOW)
        )
    return _CODES[id(issuer)]


@SETTINGS
@given(data=st.data())
def test_no_mutation_of_a_valid_code_is_allowed(issuer: Issuer, data: st.DataObject) -> None:
    text = _valid_code(issuer)
    ctx = context_for(issuer)
    assert scan(text, ctx, NOW).verdict is Verdict.ALLOW
    kind = data.draw(st.sampled_from(["text", "cose"]))
    if kind == "text":
        i = data.draw(st.integers(5, len(text) - 1))
        ch = data.draw(st.sampled_from(base45.ALPHABET).filter(lambda c: c != text[i]))
        mutated = text[:i] + ch + text[i + 1 :]
    else:
        raw = bytearray(zlib.decompress(base45.decode(text[5:])))
        i = data.draw(st.integers(0, len(raw) - 1))
        raw[i] ^= data.draw(st.integers(1, 255))
        mutated = codec.encode_text(bytes(raw))
    decision = scan(mutated, ctx, NOW)
    if decision.verdict is Verdict.ALLOW:
        # Only the same signed code may pass: a change in the deflate stream's padding bits
        # (after its last block) inflates to the very same bytes, so nothing signed changed.
        assert _inflated(mutated) == _inflated(text), (kind, "a changed code was allowed")


def _inflated(text: str) -> bytes | None:
    try:
        return zlib.decompress(base45.decode(text[5:]))
    except (ValueError, zlib.error):
        return None


@SETTINGS
@given(st.text(min_size=1, max_size=64).filter(lambda n: clean_text(n) != ""))
def test_any_signed_name_round_trips_exactly(issuer: Issuer, name: str) -> None:
    cred = issuer.credential(name=name, now=NOW, **good_certificates(NOW))
    _, decoded = codec.decode(issuer.sign(cred))
    assert decoded.code.name == name


@SETTINGS
@given(
    st.text(st.sampled_from(" \t\u200b\u200d\u202e\u2066\u3164\x00\x85"), min_size=1, max_size=64)
)
def test_a_name_empty_once_cleaned_is_never_minted(issuer: Issuer, name: str) -> None:
    cred = issuer.credential(name=name, now=NOW, **good_certificates(NOW))
    with pytest.raises(IssuerError, match="spec forbids"):
        issuer.sign(cred)
