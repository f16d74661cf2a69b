"""Test vectors of the wire format: valid codes and one code per kind of rejection.

``write_vectors(out_dir)`` makes a fresh issuer, mints codes at a fixed
moment, and writes ``vectors.json`` (name, QR text, the moment to judge at,
the expected verdict and reason code) next to the public trust material
(``root.pub.pem``, ``trust-list.cose``, ``revocations.cose``).  Any
implementation of the spec can be checked against these files; this
project checks itself against them in its test suite.

The crafting functions build deliberately broken codes, some of them
correctly signed (a duplicate map key, an out-of-range time) so that only
the structural checks can catch them.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.core import base45, cbor, codec, cose
from kiosk.core.model import (
    AreaVisit,
    Colour,
    NucleicAcidTest,
    RiskLevel,
    TravelRecord,
    Vaccination,
)
from server_stub.issuer import Issuer, good_certificates, high_risk_travel, holder_id_for

VECTOR_TIME = 1795420800
"""2026-11-23T08:00:00Z: the moment every vector is judged at."""


@dataclass(frozen=True)
class Vector:
    name: str
    text: str
    verdict: str
    reason: str | None
    note: str = ""


def raw_text(cose_bytes: bytes, *, prefix: str = codec.PREFIX, compress: bool = True) -> str:
    """COSE bytes -> QR text without any checks (for crafting)."""
    return codec.encode_text(cose_bytes, prefix=prefix, compress=compress)


def sign_payload_bytes(issuer: Issuer, payload: bytes, *, alg: str = "ES256") -> bytes:
    """Sign arbitrary payload bytes with an issuer key (for crafted structures)."""
    kid, key = issuer.key_for(alg)
    return cose.encode_sign1(key, payload, kid=kid)


def sign_with_headers(key: cose.PrivateKey, payload: bytes, protected: dict[int, Any]) -> bytes:
    """Sign with a hand-made protected header (alg confusion, bad kid...)."""
    prot = cbor.dumps(protected)
    signature = cose.sign(key, cose.sig_structure(prot, payload))
    return cbor.dumps([prot, {}, payload, signature])


def claims_with(issuer: Issuer, now: int, **hck_changes: Any) -> dict[Any, Any]:
    cred = issuer.credential(name="Li *hua", now=now - 60, **good_certificates(now))
    claims = codec.claims_map(cred)
    for key, value in hck_changes.items():
        if value is None:
            claims[codec.CLAIM_HCK].pop(key, None)
        else:
            claims[codec.CLAIM_HCK][key] = value
    return claims


def duplicate_colour_payload(claims: dict[Any, Any]) -> bytes:
    """Claims whose hck map holds the key "c" twice ("G" then "R")."""
    hck = dict(claims[codec.CLAIM_HCK])
    hck.pop("c")
    body = cbor.dumps(hck)
    # Rebuild the map head with two more entries, then append c:"G" and c:"R".
    count = len(hck) + 2
    items = body[len(cbor.head(5, len(hck))) :]
    dup_hck = (
        cbor.head(5, count)
        + items
        + cbor.dumps("c")
        + cbor.dumps("G")
        + cbor.dumps("c")
        + cbor.dumps("R")
    )
    rest = {k: v for k, v in claims.items() if k != codec.CLAIM_HCK}
    rest_body = cbor.dumps(rest)
    return (
        cbor.head(5, len(rest) + 1)
        + rest_body[len(cbor.head(5, len(rest))) :]
        + cbor.dumps(codec.CLAIM_HCK)
        + dup_hck
    )


def build_vectors(issuer: Issuer, now: int = VECTOR_TIME) -> list[Vector]:
    """Every vector, minted by ``issuer`` and meant to be judged at ``now``."""
    good = good_certificates(now)
    today = dt.datetime.fromtimestamp(now, dt.UTC).date()
    v: list[Vector] = []

    def mint(name: str, *, alg: str = "ES256", iat: int | None = None, **fields: Any) -> str:
        base: dict[str, Any] = {"name": name, "now": now - 60 if iat is None else iat, **good}
        base.update(fields)
        return issuer.mint(alg=alg, **base)

    ok = mint("Wang *ming")
    v.append(Vector("valid_es256_green", ok, "ALLOW", None))
    v.append(Vector("valid_eddsa_green", mint("Zhao *li", alg="EdDSA"), "ALLOW", None))
    v.append(
        Vector("valid_markup_name", mint("[bold]X[/] *ming"), "ALLOW", None, "name shown literally")
    )
    v.append(
        Vector("red_code", mint("Chen *gang", colour=Colour.RED), "DENY", "COLOUR_NOT_ALLOWED")
    )
    v.append(
        Vector("yellow_code", mint("Sun *yan", colour=Colour.YELLOW), "REVIEW", "COLOUR_REVIEW")
    )
    v.append(
        Vector(
            "positive_test",
            mint("Zhou *jie", nucleic_acid=NucleicAcidTest(True, now - 5 * 3600)),
            "DENY",
            "NAT_POSITIVE",
        )
    )
    v.append(
        Vector(
            "test_too_old",
            mint("Wu *fang", nucleic_acid=NucleicAcidTest(False, now - 72 * 3600 - 1)),
            "DENY",
            "NAT_TOO_OLD",
        )
    )
    v.append(
        Vector(
            "high_risk_travel",
            mint(
                "Zheng *wei",
                travel=high_risk_travel(now),
            ),
            "DENY",
            "TRAVEL_RISK_AREA",
        )
    )
    v.append(
        Vector(
            "one_dose",
            mint("Feng *yu", vaccination=Vaccination(1, today - dt.timedelta(days=60))),
            "REVIEW",
            "VAC_TOO_FEW_DOSES",
        )
    )
    v.append(Vector("expired", mint("Qian *bo", iat=now - 3600, validity_s=300), "DENY", "EXPIRED"))
    v.append(Vector("not_yet_valid", mint("Jiang *tao", iat=now + 3600), "DENY", "NOT_YET_VALID"))
    revoked_name = "Han *mei"
    revoked = mint(revoked_name)
    issuer.revoke(holder_id_for(revoked_name, issuer.region), now=now - 120)
    v.append(Vector("revoked", revoked, "DENY", "REVOKED"))

    # --- text and transport layers (docs/wire-format.md#code-text) ---
    v.append(Vector("empty", "", "DENY", "EMPTY"))
    v.append(Vector("text_too_long", "HCK1:" + "0" * 5000, "DENY", "TEXT_TOO_LONG"))
    v.append(Vector("bad_prefix", "HCX1:" + ok[5:], "DENY", "BAD_PREFIX"))
    v.append(Vector("foreign_disabled", "HC1:" + ok[5:], "DENY", "FOREIGN_DISABLED"))
    v.append(Vector("base45_bad_character", ok[:40] + "a" + ok[41:], "DENY", "BASE45_INVALID"))
    dangling = ok + "A" * ((1 - len(ok[5:])) % 3 or 3)
    v.append(Vector("base45_dangling_character", dangling, "DENY", "BASE45_INVALID"))
    v.append(Vector("base45_group_overflow", "HCK1:GGW", "DENY", "BASE45_INVALID"))
    cose_ok = zlib.decompress(base45.decode(ok[5:]))
    v.append(Vector("zlib_missing", raw_text(cose_ok, compress=False), "DENY", "ZLIB_MISSING"))
    z = bytearray(zlib.compress(cose_ok, 9))
    z[len(z) // 2] ^= 0xFF
    v.append(Vector("zlib_corrupt", "HCK1:" + base45.encode(bytes(z)), "DENY", "ZLIB_CORRUPT"))
    v.append(
        Vector(
            "zlib_truncated",
            "HCK1:" + base45.encode(zlib.compress(cose_ok, 9)[:-10]),
            "DENY",
            "ZLIB_CORRUPT",
        )
    )
    v.append(
        Vector(
            "zlib_bomb",
            "HCK1:" + base45.encode(zlib.compress(b"\x00" * 1_000_000, 9)),
            "DENY",
            "ZLIB_TOO_LARGE",
        )
    )
    v.append(Vector("cbor_malformed", raw_text(b"\xff\x00"), "DENY", "CBOR_MALFORMED"))
    v.append(Vector("cbor_truncated", raw_text(cose_ok[:-5]), "DENY", "CBOR_MALFORMED"))
    v.append(Vector("cbor_too_deep", raw_text(b"\x81" * 20 + b"\x00"), "DENY", "CBOR_TOO_DEEP"))
    v.append(
        Vector("cbor_trailing_bytes", raw_text(cose_ok + b"\x00"), "DENY", "CBOR_TRAILING_BYTES")
    )
    v.append(Vector("cbor_indefinite_length", raw_text(b"\x9f\x00\xff"), "DENY", "CBOR_MALFORMED"))
    v.append(Vector("cose_not_an_array", raw_text(cbor.dumps({1: 2})), "DENY", "COSE_STRUCTURE"))
    v.append(
        Vector("cose_three_items", raw_text(cbor.dumps([b"", {}, b""])), "DENY", "COSE_STRUCTURE")
    )
    v.append(
        Vector(
            "cose_wrong_tag",
            raw_text(cbor.dumps(cbor.Tag(98, [b"", {}, b"", b""]))),
            "DENY",
            "COSE_STRUCTURE",
        )
    )

    # --- correctly signed, structurally wrong (docs/wire-format.md#code-text, #claims) ---
    claims = claims_with(issuer, now)
    dup = sign_payload_bytes(issuer, duplicate_colour_payload(claims))
    v.append(Vector("duplicate_map_key", raw_text(dup), "DENY", "CBOR_DUPLICATE_KEY"))

    def signed_claims(c: dict[Any, Any]) -> str:
        return raw_text(sign_payload_bytes(issuer, cbor.dumps(c)))

    v.append(
        Vector(
            "missing_hck",
            signed_claims({k: x for k, x in claims.items() if k != codec.CLAIM_HCK}),
            "DENY",
            "CLAIMS_STRUCTURE",
        )
    )
    v.append(
        Vector(
            "colour_wrong_type",
            signed_claims(claims_with(issuer, now, c=1)),
            "DENY",
            "CLAIMS_STRUCTURE",
        )
    )
    v.append(
        Vector(
            "colour_unknown",
            signed_claims(claims_with(issuer, now, c="B")),
            "DENY",
            "CLAIMS_STRUCTURE",
        )
    )
    v.append(
        Vector(
            "name_missing",
            signed_claims(claims_with(issuer, now, nm=None)),
            "DENY",
            "CLAIMS_STRUCTURE",
        )
    )
    v.append(
        Vector(
            "name_too_long",
            signed_claims(claims_with(issuer, now, nm="N" * 65)),
            "DENY",
            "STRING_TOO_LONG",
        )
    )
    v.append(
        Vector(
            "holder_id_short",
            signed_claims(claims_with(issuer, now, id=b"x" * 15)),
            "DENY",
            "CLAIMS_STRUCTURE",
        )
    )
    v.append(
        Vector(
            "schema_version_2",
            signed_claims(claims_with(issuer, now, v=2)),
            "DENY",
            "UNSUPPORTED_VERSION",
        )
    )
    v.append(
        Vector(
            "bool_as_version",
            signed_claims(claims_with(issuer, now, v=True)),
            "DENY",
            "CLAIMS_STRUCTURE",
        )
    )
    far = dict(claims)
    far[codec.CLAIM_EXP] = 253402300800
    v.append(Vector("time_out_of_range", signed_claims(far), "DENY", "TIME_OUT_OF_RANGE"))
    neg = dict(claims)
    neg[codec.CLAIM_IAT] = -1
    v.append(Vector("negative_time", signed_claims(neg), "DENY", "TIME_OUT_OF_RANGE"))
    backwards = dict(claims)
    backwards[codec.CLAIM_EXP] = backwards[codec.CLAIM_IAT]
    v.append(Vector("exp_not_after_iat", signed_claims(backwards), "DENY", "CLAIMS_STRUCTURE"))
    bad_date = claims_with(issuer, now, vac={"n": 3, "d": "2026-02-30"})
    v.append(Vector("vaccination_bad_date", signed_claims(bad_date), "DENY", "CLAIMS_STRUCTURE"))

    # --- signature and trust (docs/wire-format.md#cose_sign1) ---
    payload = cbor.dumps(claims)
    kid_es, key_es = issuer.key_for("ES256")
    _kid_ed, key_ed = issuer.key_for("EdDSA")
    v.append(
        Vector(
            "kid_missing",
            raw_text(sign_with_headers(key_es, payload, {1: -7})),
            "DENY",
            "COSE_STRUCTURE",
        )
    )
    v.append(
        Vector(
            "kid_wrong_length",
            raw_text(sign_with_headers(key_es, payload, {1: -7, 4: b"1234567"})),
            "DENY",
            "COSE_STRUCTURE",
        )
    )
    v.append(
        Vector(
            "alg_unsupported",
            raw_text(sign_with_headers(key_es, payload, {1: -35, 4: kid_es})),
            "DENY",
            "ALG_UNSUPPORTED",
        )
    )
    v.append(
        Vector(
            "unknown_kid",
            raw_text(sign_with_headers(key_es, payload, {1: -7, 4: b"\x00" * 8})),
            "DENY",
            "UNKNOWN_KID",
        )
    )
    v.append(
        Vector(
            "alg_confusion",
            raw_text(sign_with_headers(key_ed, payload, {1: -8, 4: kid_es})),
            "DENY",
            "ALG_MISMATCH",
            "EdDSA signature under the kid of an ES256 key",
        )
    )
    sign1 = cbor.loads(cose_ok)
    sign1[3] = bytes([sign1[3][0] ^ 1]) + sign1[3][1:]
    v.append(Vector("tampered_signature", raw_text(cbor.dumps(sign1)), "DENY", "BAD_SIGNATURE"))
    sign1 = cbor.loads(cose_ok)
    tampered_claims = cbor.loads(sign1[2])
    tampered_claims[codec.CLAIM_HCK]["nm"] = "Li *si"
    sign1[2] = cbor.dumps(tampered_claims)
    v.append(Vector("tampered_payload", raw_text(cbor.dumps(sign1)), "DENY", "BAD_SIGNATURE"))
    foreign_iss = issuer.credential(name="Ma *lin", now=now - 60, issuer="CN-110000", **good)
    v.append(
        Vector("issuer_mismatch", issuer.sign(foreign_iss, alg="ES256"), "DENY", "ISSUER_MISMATCH")
    )
    before_key = issuer.credential(
        name="Gao *yi", now=now - 400 * 86400, validity_s=500 * 86400, **good
    )
    v.append(
        Vector(
            "key_not_valid_at_iat", issuer.sign(before_key, alg="ES256"), "DENY", "KEY_NOT_VALID"
        )
    )
    tagged = cose.encode_sign1(key_es, payload, kid=kid_es, tagged=True)
    v.append(
        Vector("valid_tagged_cose", raw_text(tagged), "ALLOW", None, "COSE_Sign1 wrapped in tag 18")
    )

    # --- one encoding per signature, headers, algorithms (docs/wire-format.md#project-decisions)
    sign1 = cbor.loads(cose_ok)
    s_value = int.from_bytes(sign1[3][32:], "big")
    sign1[3] = sign1[3][:32] + (cose.P256_ORDER - s_value).to_bytes(32, "big")
    v.append(
        Vector(
            "high_s_signature",
            raw_text(cbor.dumps(sign1)),
            "DENY",
            "SIGNATURE_NOT_LOW_S",
            "the valid code with s replaced by n - s: it verifies, but HCK1: codes are low-S",
        )
    )
    v.append(
        Vector(
            "crit_unknown",
            raw_text(sign_with_headers(key_es, payload, {1: -7, 2: [-70000], 4: kid_es})),
            "DENY",
            "COSE_CRIT",
        )
    )
    v.append(
        Vector(
            "crit_empty",
            raw_text(sign_with_headers(key_es, payload, {1: -7, 2: [], 4: kid_es})),
            "DENY",
            "COSE_CRIT",
        )
    )
    sign1 = cbor.loads(cose_ok)
    sign1[1] = {4: kid_es}
    v.append(
        Vector(
            "kid_in_both_headers",
            raw_text(cbor.dumps(sign1)),
            "DENY",
            "COSE_DUPLICATE_LABEL",
            "RFC 9052: a label appears in one header bucket only",
        )
    )
    v.append(
        Vector(
            "ps256_for_hck1",
            raw_text(sign_with_headers(key_es, payload, {1: -37, 4: kid_es})),
            "DENY",
            "ALG_UNSUPPORTED",
            "PS256 is for foreign HC1: certificates only",
        )
    )
    v.append(
        Vector(
            "name_only_invisible",
            signed_claims(claims_with(issuer, now, nm="\u202e\u200b\u2066 \u200d")),
            "DENY",
            "CLAIMS_STRUCTURE",
            "a name made only of bidi and zero-width characters is empty once cleaned",
        )
    )
    tomorrow = today + dt.timedelta(days=2)
    future_trip = TravelRecord(now - 600, (AreaVisit("CN-330106", RiskLevel.LOW, tomorrow),))
    v.append(
        Vector(
            "travel_visit_in_future",
            mint("Lu *xin", travel=future_trip),
            "DENY",
            "TRAVEL_IN_FUTURE",
            "a visit dated in the future is flagged like a future test",
        )
    )
    return v


def write_vectors(out_dir: Path, *, now: int = VECTOR_TIME) -> list[Vector]:
    """Make an issuer in a temporary folder, mint the vectors, write them to ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        issuer = Issuer.create(Path(tmp) / "issuer", now=now - 30 * 86400)
        issuer.republish(now=now - 3600)
        vectors = build_vectors(issuer, now)
        for name in ("root.pub.pem", "trust-list.cose", "revocations.cose"):
            (out_dir / name).write_bytes((issuer.directory / name).read_bytes())
    doc = {
        "spec": "health-code.md version 1",
        "judge_at": now,
        "judge_at_iso": dt.datetime.fromtimestamp(now, dt.UTC).isoformat(),
        "policy": "config/policy.toml (the default policy)",
        "vectors": [
            {
                "name": x.name,
                "text": x.text,
                "verdict": x.verdict,
                "reason": x.reason,
                "note": x.note,
            }
            for x in vectors
        ],
    }
    (out_dir / "vectors.json").write_text(
        json.dumps(doc, indent=1, ensure_ascii=False) + "\n", "utf-8"
    )
    return vectors
