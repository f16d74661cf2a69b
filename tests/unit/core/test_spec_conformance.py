"""Spec section 8 cases that need a key the vectors do not ship (issue 12, problem 8)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from kiosk.core import cbor, codec, cose
from kiosk.core.errors import DecodeError, ReasonCode


def _der(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def test_rsa_below_2048_bits_is_refused_as_a_key() -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 (the weak key under test)
    with pytest.raises(ValueError, match="1024 bits"):
        cose.load_public_key_der(_der(weak))
    data = b"to be signed"
    assert not cose.verify_signature(weak.public_key(), cose.PS256, cose.sign(weak, data), data)


def test_rsa_2048_is_accepted_for_ps256() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = cose.load_public_key_der(_der(key))
    assert cose.verify_signature(public, cose.PS256, cose.sign(key, b"x"), b"x")


def _text(protected: dict[int, object], unprotected: dict[int, object], prefix: str) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    prot = cbor.dumps(protected)
    payload = cbor.dumps({1: "CN-1"})
    sig = cose.sign(key, cose.sig_structure(prot, payload))
    return codec.encode_text(cbor.dumps([prot, unprotected, payload, sig]), prefix=prefix)


def test_ps256_is_refused_for_hck1_and_read_for_hc1() -> None:
    kid = b"k" * 8
    with pytest.raises(DecodeError) as caught:
        codec.decode_envelope(_text({1: -37, 4: kid}, {}, codec.PREFIX))
    assert caught.value.code is ReasonCode.ALG_UNSUPPORTED
    envelope = codec.decode_envelope(
        _text({1: -37, 4: kid}, {}, codec.FOREIGN_PREFIX), foreign_enabled=True
    )
    assert envelope.alg == cose.PS256


@pytest.mark.parametrize("crit", [[], [-70000], [1]])
def test_crit_is_refused_in_either_bucket_for_both_prefixes(crit: list[int]) -> None:
    kid = b"k" * 8
    for prefix in (codec.PREFIX, codec.FOREIGN_PREFIX):
        for prot, unprot in (({1: -37, 2: crit, 4: kid}, {}), ({1: -37, 4: kid}, {2: crit})):
            with pytest.raises(DecodeError) as caught:
                codec.decode_envelope(_text(prot, unprot, prefix), foreign_enabled=True)
            assert caught.value.code is ReasonCode.COSE_CRIT


def test_a_label_in_both_buckets_is_refused_for_hc1_too() -> None:
    text = _text({1: -37, 4: b"k" * 8}, {4: b"j" * 8}, codec.FOREIGN_PREFIX)
    with pytest.raises(DecodeError) as caught:
        codec.decode_envelope(text, foreign_enabled=True)
    assert caught.value.code is ReasonCode.COSE_DUPLICATE_LABEL
