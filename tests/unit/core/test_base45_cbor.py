"""Base45 and strict CBOR: round trips, RFC examples, and every refusal."""

from __future__ import annotations

import pytest

from kiosk.core import base45, cbor
from kiosk.core.errors import DecodeError, ReasonCode


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (b"AB", "BB8"),
        (b"Hello!!", "%69 VD92EX0"),
        (b"base-45", "UJCLQE7W581"),
        (b"ietf!", "QED8WEX0"),
        (b"", ""),
    ],
)
def test_base45_rfc9285_examples(raw: bytes, text: str) -> None:
    assert base45.encode(raw) == text
    assert base45.decode(text) == raw


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("GGW", "above 65535"),
        ("A", "dangling"),
        ("ABCD", "dangling"),
        ("ab", "not in the Base45"),
        (":::", "above 65535"),
        ("::", "above 255"),
    ],
)
def test_base45_refuses(text: str, fragment: str) -> None:
    with pytest.raises(DecodeError) as err:
        base45.decode(text)
    assert err.value.code is ReasonCode.BASE45_INVALID
    assert fragment in err.value.message


def test_cbor_round_trip_of_every_type() -> None:
    value = {
        1: -1,
        "a": [b"\x00", "text", True, False, None, 1.5, 2**63],
        -261: {"nested": [[], {}]},
    }
    assert cbor.loads(cbor.dumps(value)) == value


def test_cbor_encoding_is_deterministic() -> None:
    assert cbor.dumps({"b": 1, "a": 2, 10: 0, -1: 0}) == cbor.dumps({-1: 0, 10: 0, "a": 2, "b": 1})
    assert cbor.dumps(23) == b"\x17"
    assert cbor.dumps(24) == b"\x18\x18"
    assert cbor.dumps(-1) == b"\x20"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", ReasonCode.CBOR_MALFORMED),
        (b"\x18", ReasonCode.CBOR_MALFORMED),  # argument missing
        (b"\x1c", ReasonCode.CBOR_MALFORMED),  # reserved additional info
        (b"\x5f\x41\x00\xff", ReasonCode.CBOR_MALFORMED),  # indefinite byte string
        (b"\x9f\xff", ReasonCode.CBOR_MALFORMED),  # indefinite array
        (b"\xff", ReasonCode.CBOR_MALFORMED),  # lone break
        (b"\x62\xc3\x28", ReasonCode.CBOR_MALFORMED),  # invalid UTF-8
        (b"\x5a\xff\xff\xff\xff", ReasonCode.CBOR_MALFORMED),  # length beyond input
        (b"\x9b\xff\xff\xff\xff\xff\xff\xff\xff", ReasonCode.CBOR_MALFORMED),  # huge array count
        (b"\xa1\x80\x00", ReasonCode.CBOR_MALFORMED),  # array as map key
        (b"\xa1\xf5\x00", ReasonCode.CBOR_MALFORMED),  # bool as map key (True == 1 in Python)
        (b"\xa2\x01\x00\x01\x01", ReasonCode.CBOR_DUPLICATE_KEY),
        (b"\xa2\x61c\x61G\x61c\x61R", ReasonCode.CBOR_DUPLICATE_KEY),
        (b"\x00\x00", ReasonCode.CBOR_TRAILING_BYTES),
        (b"\x81" * 17 + b"\x00", ReasonCode.CBOR_TOO_DEEP),
        (b"\xf8\x20", ReasonCode.CBOR_MALFORMED),  # unassigned simple value
    ],
)
def test_cbor_refuses(data: bytes, code: ReasonCode) -> None:
    with pytest.raises(DecodeError) as err:
        cbor.loads(data)
    assert err.value.code is code


def test_cbor_depth_limit_is_sixteen() -> None:
    assert cbor.loads(b"\x81" * 16 + b"\x00") is not None
    with pytest.raises(DecodeError) as err:
        cbor.loads(b"\x81" * 17 + b"\x00")
    assert err.value.code is ReasonCode.CBOR_TOO_DEEP


def test_cbor_tags_and_floats() -> None:
    assert cbor.loads(b"\xd2\x80") == cbor.Tag(18, [])
    assert cbor.loads(b"\xf9\x3c\x00") == 1.0
    assert cbor.loads(b"\xfa\x3f\xc0\x00\x00") == 1.5
