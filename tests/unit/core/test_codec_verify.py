"""Codec, trust lists and verification against a real issuer."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from kiosk.core import codec, cose, trust
from kiosk.core.errors import DecodeError, ListError, ReasonCode
from kiosk.core.model import Colour, Verdict
from kiosk.core.pipeline import scan
from server_stub.issuer import Issuer, good_certificates, holder_id_for
from tests.conftest import NOW, context_for


def mint(issuer: Issuer, name: str = "Wang *ming", **fields: object) -> str:
    base: dict[str, object] = {"name": name, "now": NOW - 60, **good_certificates(NOW)}
    base.update(fields)
    return issuer.mint(**base)


def test_round_trip_keeps_every_field(issuer: Issuer) -> None:
    cred = issuer.credential(name="[bold]X[/] *ming", now=NOW, **good_certificates(NOW))
    text = issuer.sign(cred, alg="EdDSA")
    envelope, decoded = codec.decode(text)
    assert decoded == cred
    assert envelope.alg == cose.EDDSA
    assert text.startswith("HCK1:")
    assert len(text) < 600


def test_green_code_with_good_certificates_is_allowed(issuer: Issuer, ctx) -> None:
    for alg in ("ES256", "EdDSA"):
        decision = scan(mint(issuer, alg=alg), ctx, NOW)
        assert decision.verdict is Verdict.ALLOW, decision.reasons
        assert decision.name == "Wang *ming"
        assert decision.colour is Colour.GREEN
        assert decision.credential is not None
        assert len(decision.holder_key) == 32
        assert [c.kind.value for c in decision.certificates] == [
            "vaccination",
            "nucleic_acid",
            "travel",
        ]


def test_unverified_code_shows_no_name(issuer: Issuer, ctx) -> None:
    text = mint(issuer, name="Forged *name", alg="ES256")
    env, _ = codec.decode(text)
    stranger = ec.generate_private_key(ec.SECP256R1())
    forged = codec.encode_text(cose.encode_sign1(stranger, env.payload, kid=env.kid))
    decision = scan(forged, ctx, NOW)
    assert decision.verdict is Verdict.DENY
    assert decision.reason_codes == ("BAD_SIGNATURE",)
    assert decision.name == ""
    assert decision.credential is None


def test_every_key_under_a_repeated_kid_is_tried(issuer: Issuer, tmp_path: Path) -> None:
    """A trust list with two keys under one kid: the second one verifies."""
    other = Issuer.create(tmp_path / "other", now=NOW - 86400)
    kid, _ = issuer.key_for("ES256")
    real = issuer._trusted_keys()
    impostor = next(k for k in other._trusted_keys() if k.alg == cose.ES256)
    keys = [dataclasses.replace(impostor, kid=kid), *real]
    payload = trust.trust_list_payload(99, NOW - 60, NOW + 86400, keys)
    signed = issuer._sign_list(payload)
    root = trust.load_root_key(issuer.root_public_pem)
    tl = trust.parse_trust_list(signed, root, now=NOW)
    assert len(tl.keys_for(kid)) == 2
    decision = scan(mint(issuer, alg="ES256"), context_for(issuer, trust=tl), NOW)
    assert decision.verdict is Verdict.ALLOW, decision.reasons


def test_trust_list_from_another_root_is_refused(issuer: Issuer, tmp_path: Path) -> None:
    other = Issuer.create(tmp_path / "other", now=NOW)
    root = trust.load_root_key(issuer.root_public_pem)
    with pytest.raises(ListError) as err:
        trust.parse_trust_list(other.trust_list(), root, now=NOW)
    assert err.value.code is ReasonCode.LIST_SIGNATURE
    with pytest.raises(ListError) as err:
        trust.parse_revocation_list(other.revocation_list(), root, now=NOW)
    assert err.value.code is ReasonCode.LIST_SIGNATURE


def test_rollback_is_refused(issuer: Issuer) -> None:
    root = trust.load_root_key(issuer.root_public_pem)
    held = issuer.trust_list_version
    trust.parse_trust_list(issuer.trust_list(), root, now=NOW, held_version=held)
    with pytest.raises(ListError) as err:
        trust.parse_trust_list(issuer.trust_list(), root, now=NOW, held_version=held + 1)
    assert err.value.code is ReasonCode.LIST_ROLLBACK


def test_tampered_list_is_refused(issuer: Issuer) -> None:
    root = trust.load_root_key(issuer.root_public_pem)
    data = bytearray(issuer.trust_list())
    data[len(data) // 2] ^= 0x01
    with pytest.raises(ListError) as err:
        trust.parse_trust_list(bytes(data), root, now=NOW)
    assert err.value.code in (ReasonCode.LIST_SIGNATURE, ReasonCode.LIST_STRUCTURE)


def test_revoked_holder_is_denied(tmp_path: Path) -> None:
    issuer = Issuer.create(tmp_path / "iss", now=NOW - 86400)
    text = mint(issuer, name="Han *mei")
    assert scan(text, context_for(issuer), NOW).verdict is Verdict.ALLOW
    issuer.revoke(holder_id_for("Han *mei", issuer.region), now=NOW - 10)
    decision = scan(text, context_for(issuer), NOW)
    assert decision.verdict is Verdict.DENY
    assert decision.reason_codes == ("REVOKED",)


def test_time_window_uses_skew(issuer: Issuer, ctx) -> None:
    text = mint(issuer, now=NOW - 600, validity_s=300)  # expired 300 s ago: at the skew edge
    assert (
        scan(text, ctx, NOW).verdict is not Verdict.DENY
        or "EXPIRED" not in scan(text, ctx, NOW).reason_codes
    )
    assert "EXPIRED" in scan(text, ctx, NOW + 1).reason_codes
    future = mint(issuer, now=NOW + 300)
    assert "NOT_YET_VALID" not in scan(future, ctx, NOW).reason_codes
    assert "NOT_YET_VALID" in scan(future, ctx, NOW - 1).reason_codes


def test_no_trust_list_denies_everything(issuer: Issuer) -> None:
    decision = scan(mint(issuer), context_for(issuer, trust=None), NOW)
    assert decision.verdict is Verdict.DENY
    assert "NO_TRUST_LIST" in decision.reason_codes


def test_stale_lists_take_the_policy_action(issuer: Issuer) -> None:
    later = NOW + 100 * 3600
    text = mint(issuer, now=later - 60, nucleic_acid=good_certificates(later)["nucleic_acid"])
    decision = scan(text, context_for(issuer, now=later), later)
    assert "TRUST_LIST_STALE" in decision.reason_codes
    assert decision.verdict is not Verdict.ALLOW


def test_decode_errors_carry_their_own_codes() -> None:
    for text, code in [
        ("", ReasonCode.EMPTY),
        ("x" * 5000, ReasonCode.TEXT_TOO_LONG),
        ("HTTP://EVIL", ReasonCode.BAD_PREFIX),
        ("HC1:ABC", ReasonCode.FOREIGN_DISABLED),
    ]:
        with pytest.raises(DecodeError) as err:
            codec.decode(text)
        assert err.value.code is code


def test_internal_error_fails_closed(issuer: Issuer, ctx) -> None:
    broken = dataclasses.replace(ctx, policy=None)  # a bug: no policy object
    decision = scan(mint(issuer), broken, NOW)
    assert decision.verdict is Verdict.DENY
    assert decision.reason_codes == ("INTERNAL_ERROR",)
