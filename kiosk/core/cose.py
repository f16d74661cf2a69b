"""COSE_Sign1 (RFC 9052): building, parsing and checking single-signer messages.

Health codes, trust lists and revocation lists are all COSE_Sign1 objects
with the same ``Sig_structure``.  This module owns the byte-level layout
and the signature primitives; it knows nothing of what a payload means.

Algorithms: ES256 (-7, P-256 with SHA-256, signature ``r || s``), EdDSA
(-8, Ed25519) and PS256 (-37, RSA-PSS, foreign certificates only).  The
algorithm used to check a signature is always the trusted key's, never the
one the message claims (``verify_signature`` takes the key's algorithm).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from kiosk.core import cbor, limits
from kiosk.core.errors import DecodeError, ReasonCode

ES256 = -7
EDDSA = -8
PS256 = -37
ALG_NAMES = {ES256: "ES256", EDDSA: "EdDSA", PS256: "PS256"}
ALG_BY_NAME = {v.upper(): k for k, v in ALG_NAMES.items()}

HDR_ALG = 1
HDR_CRIT = 2
HDR_KID = 4
COSE_SIGN1_TAG = 18

P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
"""n, the order of the P-256 group: an ES256 ``s`` and ``n - s`` both verify."""

MIN_RSA_BITS = 2048
"""Smallest RSA modulus accepted for PS256 keys (docs/wire-format.md#project-decisions)."""

PublicKey = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | rsa.RSAPublicKey
PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey

_SIG1_PREFIX = b"\x84\x6aSignature1"


@dataclass(frozen=True, slots=True)
class Sign1:
    """The four parts of a COSE_Sign1 plus its decoded headers."""

    protected: bytes
    protected_map: dict[int, Any]
    unprotected: dict[Any, Any]
    payload: bytes
    signature: bytes


def _bstr_head(n: int) -> bytes:
    return cbor.head(2, n)


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    """CBOR of ``["Signature1", protected, h'', payload]`` (RFC 9052 section 4.4)."""
    return b"".join(
        (
            _SIG1_PREFIX,
            _bstr_head(len(protected)),
            protected,
            b"\x40",
            _bstr_head(len(payload)),
            payload,
        )
    )


def kid_of(public_key: PublicKey) -> bytes:
    """First 8 bytes of SHA-256 over the key's DER SubjectPublicKeyInfo."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).digest()[: limits.KID_LEN]


def alg_of_key(key: PublicKey | PrivateKey) -> int:
    """The one algorithm a key may be used with, or ValueError."""
    if isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey):
        if isinstance(key.curve, ec.SECP256R1):
            return ES256
        raise ValueError(f"EC curve {key.curve.name} is not supported (P-256 only)")
    if isinstance(key, ed25519.Ed25519PublicKey | ed25519.Ed25519PrivateKey):
        return EDDSA
    if isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey):
        return PS256
    raise ValueError(f"unsupported key type {type(key).__name__}")


def sign(private_key: PrivateKey, data: bytes) -> bytes:
    """Sign ``data`` with the key's algorithm, in COSE signature format."""
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(private_key.sign(data, ec.ECDSA(hashes.SHA256())))
        # low-S: one encoding per signature (docs/wire-format.md#project-decisions)
        if s > P256_ORDER // 2:
            s = P256_ORDER - s
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    if isinstance(private_key, ed25519.Ed25519PrivateKey):
        return private_key.sign(data)
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
    return private_key.sign(data, pss, hashes.SHA256())


def is_high_s(signature: bytes) -> bool:
    """Whether a 64-byte ES256 signature ``r || s`` has ``s > n/2`` (not low-S)."""
    return len(signature) == 64 and int.from_bytes(signature[32:], "big") > P256_ORDER // 2


def verify_signature(public_key: PublicKey, alg: int, signature: bytes, data: bytes) -> bool:
    """Check a COSE signature with the trusted key and the trusted key's algorithm."""
    try:
        if alg == ES256 and isinstance(public_key, ec.EllipticCurvePublicKey):
            if len(signature) != 64:
                return False
            r = int.from_bytes(signature[:32], "big")
            s = int.from_bytes(signature[32:], "big")
            if r == 0 or s == 0:
                return False
            public_key.verify(encode_dss_signature(r, s), data, ec.ECDSA(hashes.SHA256()))
            return True
        if alg == EDDSA and isinstance(public_key, ed25519.Ed25519PublicKey):
            if len(signature) != 64:
                return False
            public_key.verify(signature, data)
            return True
        if alg == PS256 and isinstance(public_key, rsa.RSAPublicKey):
            if public_key.key_size < MIN_RSA_BITS:
                return False
            pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
            public_key.verify(signature, data, pss, hashes.SHA256())
            return True
    except (InvalidSignature, ValueError):
        return False
    return False


def encode_sign1(
    private_key: PrivateKey, payload: bytes, *, kid: bytes, tagged: bool = False
) -> bytes:
    """Build and sign a COSE_Sign1 with alg and kid in the protected header."""
    protected = cbor.dumps({HDR_ALG: alg_of_key(private_key), HDR_KID: kid})
    signature = sign(private_key, sig_structure(protected, payload))
    body: Any = [protected, {}, payload, signature]
    return cbor.dumps(cbor.Tag(COSE_SIGN1_TAG, body) if tagged else body)


def _structure(message: str) -> DecodeError:
    return DecodeError(ReasonCode.COSE_STRUCTURE, message)


def parse_sign1(data: bytes, *, max_items: int = limits.MAX_CBOR_ITEMS) -> Sign1:
    """Decode a COSE_Sign1 strictly; the signature is not checked here."""
    obj = cbor.loads(data, max_items=max_items)
    if isinstance(obj, cbor.Tag):
        if obj.tag != COSE_SIGN1_TAG:
            raise _structure(f"CBOR tag {obj.tag} where COSE_Sign1 (tag 18) was expected")
        obj = obj.value
    if not isinstance(obj, list) or len(obj) != 4:
        raise _structure("COSE_Sign1 must be an array of 4 items")
    protected, unprotected, payload, signature = obj
    if type(protected) is not bytes:
        raise _structure("protected header must be a byte string")
    if not isinstance(unprotected, dict):
        raise _structure("unprotected header must be a map")
    if type(payload) is not bytes:
        raise _structure("payload must be a byte string")
    if type(signature) is not bytes:
        raise _structure("signature must be a byte string")
    if protected:
        protected_map = cbor.loads(protected)
        if not isinstance(protected_map, dict):
            raise _structure("protected header must hold a CBOR map")
    else:
        protected_map = {}
    return Sign1(protected, protected_map, unprotected, payload, signature)


def header_alg(headers: dict[Any, Any]) -> int:
    """The ``alg`` header as a supported algorithm id."""
    alg = headers.get(HDR_ALG)
    if type(alg) is not int:
        raise _structure("protected header has no integer alg (key 1)")
    if alg not in ALG_NAMES:
        raise DecodeError(ReasonCode.ALG_UNSUPPORTED, f"algorithm {alg} is not supported")
    return alg


def header_kid(headers: dict[Any, Any]) -> bytes | None:
    """The ``kid`` header if present, checked to be 8 bytes."""
    if HDR_KID not in headers:
        return None
    kid = headers[HDR_KID]
    if type(kid) is not bytes or len(kid) != limits.KID_LEN:
        raise _structure(f"kid must be a byte string of exactly {limits.KID_LEN} bytes")
    return kid


def _supported(key: object) -> PublicKey:
    if not isinstance(key, ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | rsa.RSAPublicKey):
        raise ValueError(f"unsupported public key type {type(key).__name__}")
    alg_of_key(key)
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < MIN_RSA_BITS:
        raise ValueError(f"RSA key of {key.key_size} bits, fewer than {MIN_RSA_BITS}")
    return key


def load_public_key_pem(pem: bytes) -> PublicKey:
    """Load a PEM public key of a supported kind; ValueError names what is wrong."""
    return _supported(serialization.load_pem_public_key(pem))


def load_public_key_der(der: bytes) -> PublicKey:
    """Load a DER SubjectPublicKeyInfo of a supported kind; ValueError otherwise."""
    return _supported(serialization.load_der_public_key(der))
