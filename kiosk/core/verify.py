"""Envelope + trust + now -> verified credential.

The wire format: ``docs/wire-format.md#cose_sign1`` and ``#validity-in-time``.

The algorithm is pinned per key: a signature is checked only with the
algorithm the trust list gives the key, never the one the code claims.
Every key under a kid is tried; a key is used only within its own validity
window at the code's ``iat``, and only for codes naming its own issuer.
When no key verifies, the reason is the most telling one found.
"""

from __future__ import annotations

from kiosk.core import cose, limits
from kiosk.core.errors import ReasonCode, VerifyError
from kiosk.core.model import Credential, Envelope, VerifiedCredential
from kiosk.core.trust import RevocationList, TrustList

# Most telling first: a key that fits in every way but the signature says
# "forged"; otherwise what ruled the keys out.
_PRIORITY = (
    ReasonCode.BAD_SIGNATURE,
    ReasonCode.ISSUER_MISMATCH,
    ReasonCode.KEY_NOT_VALID,
    ReasonCode.ALG_MISMATCH,
)


def check_signature(
    envelope: Envelope, credential: Credential, trust: TrustList
) -> VerifiedCredential:
    """Find a trusted key that verifies the envelope, or raise VerifyError."""
    keys = trust.keys_for(envelope.kid)
    if not keys:
        raise VerifyError(
            ReasonCode.UNKNOWN_KID, f"signed by an unknown key (kid {envelope.kid.hex()})"
        )
    problems: dict[ReasonCode, str] = {}
    to_check = cose.sig_structure(envelope.protected, envelope.payload)
    for key in keys:
        if key.alg != envelope.alg:
            problems.setdefault(
                ReasonCode.ALG_MISMATCH,
                f"the code says {cose.ALG_NAMES.get(envelope.alg, envelope.alg)} but key "
                f"{key.kid.hex()} is {cose.ALG_NAMES[key.alg]}",
            )
            continue
        if not key.not_before <= credential.issued_at <= key.expires_at:
            problems.setdefault(
                ReasonCode.KEY_NOT_VALID,
                f"key {key.kid.hex()} was not valid when the code was issued",
            )
            continue
        if key.issuer != credential.issuer:
            problems.setdefault(
                ReasonCode.ISSUER_MISMATCH,
                f"key {key.kid.hex()} belongs to issuer {key.issuer}, not the code's issuer",
            )
            continue
        if cose.verify_signature(key.public_key, key.alg, envelope.signature, to_check):
            return VerifiedCredential(credential, key.kid, key.alg)
        problems.setdefault(
            ReasonCode.BAD_SIGNATURE, "the signature does not match: forged or altered"
        )
    for code in _PRIORITY:
        if code in problems:
            raise VerifyError(code, problems[code])
    raise VerifyError(
        ReasonCode.BAD_SIGNATURE, "no trusted key verifies this code"
    )  # pragma: no cover


def check_time(credential: Credential, now: int, skew: int = limits.DEFAULT_SKEW_SECONDS) -> None:
    """Raise VerifyError when the code is not yet valid or expired.

    ``docs/wire-format.md#validity-in-time``.
    """
    if credential.issued_at > now + skew:
        raise VerifyError(
            ReasonCode.NOT_YET_VALID,
            f"issued {credential.issued_at - now} s in the future: check the kiosk clock",
            (("ahead_s", str(credential.issued_at - now)),),
        )
    if now > credential.expires_at + skew:
        raise VerifyError(
            ReasonCode.EXPIRED,
            f"expired {now - credential.expires_at} s ago",
            (("age_s", str(now - credential.expires_at)),),
        )


def check_revocation(credential: Credential, revocations: RevocationList) -> None:
    """Raise VerifyError when the holder is on the revocation list."""
    if revocations.is_revoked(credential.issuer, credential.code.holder_id):
        raise VerifyError(ReasonCode.REVOKED, "this holder's code has been revoked by the issuer")


def verify(
    envelope: Envelope,
    credential: Credential,
    trust: TrustList,
    revocations: RevocationList | None,
    now: int,
    skew: int = limits.DEFAULT_SKEW_SECONDS,
) -> VerifiedCredential:
    """Signature, validity in time, revocation: all must pass."""
    verified = check_signature(envelope, credential, trust)
    check_time(credential, now, skew)
    if revocations is not None:
        check_revocation(credential, revocations)
    return verified
