"""QR text <-> signed envelope <-> credential (docs/wire-format.md#code-text to #claims).

Decoding runs the chain ``prefix -> Base45 -> bounded inflate -> strict CBOR
-> COSE_Sign1 -> CWT claims`` and rejects every malformed case with its own
reason code (``DecodeError``).  It never checks a signature: that needs the
trust list (``verify.py``).  Encoding is the issuer's direction and is used
by ``server_stub`` to mint codes and by the tests to build vectors.

Everything read from a code is untrusted.  Types are checked exactly
(``type(x) is int`` so that CBOR ``true`` is not the integer 1), lengths are
capped by ``limits``, and unknown keys in the ``hck`` map are ignored as the
spec says.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zlib
from typing import Any

from kiosk.core import base45, cbor, cose, display, limits
from kiosk.core.errors import DecodeError, ReasonCode
from kiosk.core.model import (
    AreaVisit,
    Colour,
    Credential,
    Envelope,
    HealthCode,
    NucleicAcidTest,
    RiskLevel,
    TravelRecord,
    Vaccination,
)

PREFIX = "HCK1:"
FOREIGN_PREFIX = "HC1:"

CLAIM_ISS = 1
CLAIM_EXP = 4
CLAIM_IAT = 6
CLAIM_HCK = -261
CLAIM_HCERT = -260

SCHEMA_VERSION = 1


# --- text -> envelope -----------------------------------------------------


def split_prefix(text: str, *, foreign_enabled: bool = False) -> tuple[str, str]:
    """Check length and prefix; return (prefix, Base45 body)."""
    if not text:
        raise DecodeError(ReasonCode.EMPTY, "the QR code holds no text")
    if len(text) > limits.MAX_QR_TEXT:
        raise DecodeError(
            ReasonCode.TEXT_TOO_LONG,
            f"QR text is {len(text)} characters, more than {limits.MAX_QR_TEXT}",
        )
    if text.startswith(PREFIX):
        return PREFIX, text[len(PREFIX) :]
    if text.startswith(FOREIGN_PREFIX):
        if not foreign_enabled:
            raise DecodeError(
                ReasonCode.FOREIGN_DISABLED,
                "an EU digital COVID certificate (HC1:); foreign certificates are not enabled here",
            )
        return FOREIGN_PREFIX, text[len(FOREIGN_PREFIX) :]
    raise DecodeError(
        ReasonCode.BAD_PREFIX, "not a health code: the text does not start with HCK1:"
    )


def inflate(data: bytes, *, required: bool) -> bytes:
    """Bounded zlib inflate (RFC 1950); never more than ``limits.MAX_INFLATED`` bytes out."""
    if not data:
        raise DecodeError(ReasonCode.ZLIB_MISSING, "the code holds no data after the prefix")
    # A zlib stream starts with CMF=0x?8 (deflate) and a header checksum.
    looks_zlib = (data[0] & 0x0F) == 8 and len(data) >= 2 and ((data[0] << 8) | data[1]) % 31 == 0
    if not looks_zlib:
        if required:
            raise DecodeError(ReasonCode.ZLIB_MISSING, "the zlib layer is missing")
        return data
    d = zlib.decompressobj()
    try:
        out = d.decompress(data, limits.MAX_INFLATED + 1)
    except zlib.error as exc:
        raise DecodeError(ReasonCode.ZLIB_CORRUPT, f"zlib data is corrupt ({exc})") from None
    if len(out) > limits.MAX_INFLATED or d.unconsumed_tail:
        raise DecodeError(
            ReasonCode.ZLIB_TOO_LARGE,
            f"zlib data inflates to more than {limits.MAX_INFLATED} bytes",
        )
    if not d.eof:
        raise DecodeError(ReasonCode.ZLIB_CORRUPT, "zlib data is truncated")
    if d.unused_data:
        raise DecodeError(ReasonCode.ZLIB_CORRUPT, "bytes follow the end of the zlib stream")
    return out


def decode_envelope(text: str, *, foreign_enabled: bool = False) -> Envelope:
    """QR text -> envelope; raises DecodeError with a reason code on any fault."""
    prefix, body = split_prefix(text, foreign_enabled=foreign_enabled)
    raw = base45.decode(body)
    cose_bytes = inflate(raw, required=prefix == PREFIX)
    sign1 = cose.parse_sign1(cose_bytes)
    _check_headers(sign1)
    alg = cose.header_alg(sign1.protected_map)
    if prefix == PREFIX and alg == cose.PS256:
        raise DecodeError(
            ReasonCode.ALG_UNSUPPORTED, "PS256 is accepted only for foreign (HC1:) certificates"
        )
    if prefix == PREFIX and alg == cose.ES256 and cose.is_high_s(sign1.signature):
        raise DecodeError(
            ReasonCode.SIGNATURE_NOT_LOW_S,
            "ES256 signature with s > n/2: a re-encoded signature (HCK1: codes are low-S)",
        )
    kid = cose.header_kid(sign1.protected_map)
    if kid is None and prefix == FOREIGN_PREFIX:
        kid = cose.header_kid(sign1.unprotected)
    if kid is None:
        raise DecodeError(ReasonCode.COSE_STRUCTURE, "protected header has no kid (key 4)")
    if not sign1.payload:
        raise DecodeError(ReasonCode.COSE_STRUCTURE, "payload is empty")
    return Envelope(prefix, sign1.protected, alg, kid, sign1.payload, sign1.signature)


def _check_headers(sign1: cose.Sign1) -> None:
    """No critical header (none exists in v1) and no label in both buckets.

    See ``docs/wire-format.md#project-decisions``.
    """
    if cose.HDR_CRIT in sign1.protected_map or cose.HDR_CRIT in sign1.unprotected:
        raise DecodeError(
            ReasonCode.COSE_CRIT,
            "the code marks headers as critical (crit, label 2); none is understood here",
        )
    both = set(sign1.protected_map).intersection(sign1.unprotected)
    if both:
        raise DecodeError(
            ReasonCode.COSE_DUPLICATE_LABEL,
            f"header label {sorted(both, key=repr)[0]!r} is in both the protected and "
            "the unprotected header",
        )


def code_identity(protected: bytes, payload: bytes) -> bytes:
    """SHA-256 over the protected header bytes and the payload bytes.

    ``docs/wire-format.md#project-decisions``.

    What the signature covers, and nothing of the envelope: the same code
    with or without tag 18, at another zlib level, with other unprotected
    headers or another encoding of its signature has the same identity.
    The protected header is a self-delimiting CBOR map, so the
    concatenation is unambiguous.
    """
    return hashlib.sha256(protected + payload).digest()


def identity_of_text(text: str) -> bytes | None:
    """The identity of the code in a QR text, or None when no COSE_Sign1 can be read.

    Lenient on purpose: it reads through the layers without judging headers
    or the signature, so a re-encoded code that ``decode_envelope`` refuses
    (a high-S signature, say) still has the identity of its original.
    """
    try:
        prefix, body = split_prefix(text, foreign_enabled=True)
        sign1 = cose.parse_sign1(inflate(base45.decode(body), required=prefix == PREFIX))
    except DecodeError:
        return None
    return code_identity(sign1.protected, sign1.payload)


# --- claims ---------------------------------------------------------------


def _claims_error(message: str) -> DecodeError:
    return DecodeError(ReasonCode.CLAIMS_STRUCTURE, message)


def _time(value: Any, what: str) -> int:
    if type(value) is not int:
        raise _claims_error(f"{what} must be an integer time")
    if not limits.MIN_TIME <= value <= limits.MAX_TIME:
        raise DecodeError(
            ReasonCode.TIME_OUT_OF_RANGE,
            f"{what} {value} is outside 0 .. {limits.MAX_TIME}",
        )
    return value


def _text(value: Any, what: str, max_len: int, *, min_len: int = 1) -> str:
    if type(value) is not str:
        raise _claims_error(f"{what} must be text")
    if len(value) > max_len:
        raise DecodeError(
            ReasonCode.STRING_TOO_LONG, f"{what} is {len(value)} characters, more than {max_len}"
        )
    if len(value) < min_len:
        raise _claims_error(f"{what} is empty")
    return value


def _date(value: Any, what: str) -> dt.date:
    text = _text(value, what, limits.MAX_TEXT_LEN)
    if len(text) != 10 or text[4] != "-" or text[7] != "-" or not text.replace("-", "").isascii():
        raise _claims_error(f"{what} must be a date YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise _claims_error(f"{what} {text!r} is not a real date") from None


def _map(value: Any, what: str) -> dict[Any, Any]:
    if not isinstance(value, dict):
        raise _claims_error(f"{what} must be a map")
    return value


def _require(m: dict[Any, Any], key: Any, what: str) -> Any:
    if key not in m:
        raise _claims_error(f"{what} is missing")
    return m[key]


def _vaccination(value: Any) -> Vaccination:
    m = _map(value, "vac")
    n = _require(m, "n", "vac.n (doses)")
    if type(n) is not int or not 0 <= n <= 99:
        raise _claims_error("vac.n (doses) must be an integer from 0 to 99")
    return Vaccination(doses=n, last_dose=_date(_require(m, "d", "vac.d (last dose)"), "vac.d"))


def _nucleic_acid(value: Any) -> NucleicAcidTest:
    m = _map(value, "nat")
    result = _require(m, "r", "nat.r (result)")
    if result not in ("N", "P") or type(result) is not str:
        raise _claims_error("nat.r (result) must be 'N' or 'P'")
    return NucleicAcidTest(
        positive=result == "P", sampled_at=_time(_require(m, "t", "nat.t"), "nat.t")
    )


def _travel(value: Any) -> TravelRecord:
    m = _map(value, "trv")
    made_at = _time(_require(m, "t", "trv.t"), "trv.t")
    areas = _require(m, "a", "trv.a (areas)")
    if not isinstance(areas, list):
        raise _claims_error("trv.a (areas) must be an array")
    if len(areas) > limits.MAX_VISITS:
        raise _claims_error(f"trv.a has {len(areas)} areas, more than {limits.MAX_VISITS}")
    visits = []
    for i, row in enumerate(areas):
        if not isinstance(row, list) or len(row) != 3:
            raise _claims_error(f"trv.a[{i}] must be [area, level, date]")
        area = _text(row[0], f"trv.a[{i}] area", limits.MAX_TEXT_LEN)
        level = row[1]
        if type(level) is not str or level not in ("L", "M", "H"):
            raise _claims_error(f"trv.a[{i}] risk level must be 'L', 'M' or 'H'")
        visits.append(AreaVisit(area, RiskLevel(level), _date(row[2], f"trv.a[{i}] date")))
    return TravelRecord(made_at=made_at, visits=tuple(visits))


def _health_code(value: Any) -> HealthCode:
    m = _map(value, "hck")
    for key in m:
        if type(key) is not str:
            raise _claims_error("hck map keys must be text")
    version = _require(m, "v", "hck.v (version)")
    if type(version) is not int:
        raise _claims_error("hck.v (version) must be an integer")
    if version != SCHEMA_VERSION:
        raise DecodeError(
            ReasonCode.UNSUPPORTED_VERSION, f"health code schema version {version} is not supported"
        )
    holder_id = _require(m, "id", "hck.id (holder id)")
    if type(holder_id) is not bytes or len(holder_id) != limits.HOLDER_ID_LEN:
        raise _claims_error(f"hck.id must be {limits.HOLDER_ID_LEN} bytes")
    name = _text(_require(m, "nm", "hck.nm (name)"), "hck.nm (name)", limits.MAX_NAME_LEN)
    if not display.clean_text(name).strip():
        raise _claims_error("hck.nm (name) holds nothing printable (only controls or spaces)")
    colour = _require(m, "c", "hck.c (colour)")
    if type(colour) is not str or colour not in ("G", "Y", "R"):
        raise _claims_error("hck.c (colour) must be 'G', 'Y' or 'R'")
    return HealthCode(
        version=version,
        holder_id=holder_id,
        name=name,
        colour=Colour(colour),
        vaccination=_vaccination(m["vac"]) if "vac" in m else None,
        nucleic_acid=_nucleic_acid(m["nat"]) if "nat" in m else None,
        travel=_travel(m["trv"]) if "trv" in m else None,
    )


def decode_claims(payload: bytes) -> Credential:
    """CWT claims bytes -> Credential; raises DecodeError on any structural fault."""
    claims = cbor.loads(payload)
    if not isinstance(claims, dict):
        raise _claims_error("the payload must be a CBOR map of claims")
    iss = _text(_require(claims, CLAIM_ISS, "claim iss (1)"), "claim iss", limits.MAX_ISSUER_LEN)
    iat = _time(_require(claims, CLAIM_IAT, "claim iat (6)"), "claim iat")
    exp = _time(_require(claims, CLAIM_EXP, "claim exp (4)"), "claim exp")
    if exp <= iat:
        raise _claims_error("claim exp must be later than iat")
    if CLAIM_HCK not in claims:
        if CLAIM_HCERT in claims:
            raise _claims_error("an EU DCC payload (-260) where a health code (-261) was expected")
        raise _claims_error("claim hck (-261) is missing")
    return Credential(
        issuer=iss, issued_at=iat, expires_at=exp, code=_health_code(claims[CLAIM_HCK])
    )


def decode(text: str, *, foreign_enabled: bool = False) -> tuple[Envelope, Credential]:
    """QR text -> (envelope, unverified credential)."""
    envelope = decode_envelope(text, foreign_enabled=foreign_enabled)
    return envelope, decode_claims(envelope.payload)


# --- encoding (issuer side) -----------------------------------------------


def claims_map(credential: Credential) -> dict[Any, Any]:
    """The CWT claims map of a credential, ready for CBOR."""
    code = credential.code
    hck: dict[str, Any] = {
        "v": code.version,
        "id": code.holder_id,
        "nm": code.name,
        "c": code.colour.value,
    }
    if code.vaccination is not None:
        hck["vac"] = {"n": code.vaccination.doses, "d": code.vaccination.last_dose.isoformat()}
    if code.nucleic_acid is not None:
        hck["nat"] = {
            "r": "P" if code.nucleic_acid.positive else "N",
            "t": code.nucleic_acid.sampled_at,
        }
    if code.travel is not None:
        hck["trv"] = {
            "t": code.travel.made_at,
            "a": [[v.area, v.level.value, v.last_visit.isoformat()] for v in code.travel.visits],
        }
    return {
        CLAIM_ISS: credential.issuer,
        CLAIM_IAT: credential.issued_at,
        CLAIM_EXP: credential.expires_at,
        CLAIM_HCK: hck,
    }


def encode_text(cose_bytes: bytes, *, prefix: str = PREFIX, compress: bool = True) -> str:
    """COSE bytes -> QR text (zlib level 9, Base45, prefix)."""
    body = zlib.compress(cose_bytes, 9) if compress else cose_bytes
    return prefix + base45.encode(body)


def encode(
    credential: Credential, private_key: cose.PrivateKey, *, kid: bytes | None = None
) -> str:
    """Sign a credential with an issuer key and return its QR text."""
    payload = cbor.dumps(claims_map(credential))
    key_id = kid if kid is not None else cose.kid_of(private_key.public_key())
    return encode_text(cose.encode_sign1(private_key, payload, kid=key_id))
