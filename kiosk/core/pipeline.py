"""QR text -> Decision: the whole judgement in one call that never raises.

``scan`` runs decode, signature, validity in time, revocation and the site
policy, and folds the state of the signed lists into the verdict.  Any
failure becomes a reasoned DENY; an unexpected exception (a bug) becomes
``INTERNAL_ERROR`` and DENY, so the kiosk fails closed and never ALLOWs
what it did not fully check.

A code that does not verify is shown without its name: a forged code must
not put a stranger's name on the guard's screen.  A code whose signature
verified but which is expired, withdrawn or not yet valid keeps its name and
certificates for display (``Decision.signed``), still DENY and without a
credential.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from kiosk.core import codec, limits, verify
from kiosk.core.errors import KioskError, Reason, ReasonCode, Severity
from kiosk.core.holder import holder_key
from kiosk.core.model import Decision, Observations, Verdict
from kiosk.core.policy import Policy, evaluate, judge_list_dates, verdict_of
from kiosk.core.trust import RevocationList, TrustList

NO_OBSERVATIONS = Observations()


@dataclass(frozen=True, slots=True)
class ScanContext:
    """Everything a judgement needs besides the text and the time."""

    policy: Policy
    trust: TrustList | None
    revocations: RevocationList | None
    holder_salt: bytes = b""
    skew_s: int = limits.DEFAULT_SKEW_SECONDS
    foreign_enabled: bool = False


def list_reasons(ctx: ScanContext, now: int) -> tuple[Reason, ...]:
    """Reasons that come from the expiry, age or absence of the signed lists."""
    return judge_list_dates(ctx.trust, ctx.revocations, ctx.policy, now, ctx.skew_s)


def _rejected(reason: Reason, now: int, extra: tuple[Reason, ...] = ()) -> Decision:
    reasons = (reason, *extra)
    return Decision(verdict=verdict_of(reasons), reasons=reasons, decided_at=now)


def _judge(text: str, ctx: ScanContext, now: int, observations: Observations) -> Decision:
    lists = list_reasons(ctx, now)
    try:
        envelope, credential = codec.decode(text, foreign_enabled=ctx.foreign_enabled)
    except KioskError as exc:
        return _rejected(exc.reason(Severity.DENY), now)
    if ctx.trust is None:
        return _rejected(
            Reason(
                ReasonCode.NO_TRUST_LIST, Severity.DENY, "no trust list: codes cannot be verified"
            ),
            now,
            tuple(r for r in lists if r.code is not ReasonCode.NO_TRUST_LIST),
        )
    try:
        verified = verify.check_signature(envelope, credential, ctx.trust)
    except KioskError as exc:
        return _rejected(exc.reason(Severity.DENY), now)
    judged = evaluate(credential, ctx.policy, now, observations)
    try:
        verify.check_time(credential, now, ctx.skew_s)
        if ctx.revocations is not None:
            verify.check_revocation(credential, ctx.revocations)
    except KioskError as exc:
        # Genuine but refused (expired, withdrawn, not yet valid): the guard sees whose
        # code it is and its certificates, told apart from a forgery; DENY all the same,
        # and no credential, so no observation or approval can rejudge it into an ALLOW.
        refused = _rejected(exc.reason(Severity.DENY), now)
        return dataclasses.replace(
            refused,
            name=judged.name,
            colour=judged.colour,
            issuer=judged.issuer,
            certificates=judged.certificates,
            signed=True,
        )
    reasons = (*judged.reasons, *lists)
    return dataclasses.replace(
        judged,
        verdict=verdict_of(reasons),
        reasons=reasons,
        holder_key=holder_key(ctx.holder_salt, credential.issuer, credential.code.holder_id),
        credential=verified,
        signed=True,
    )


def scan(
    text: str, ctx: ScanContext, now: int, observations: Observations = NO_OBSERVATIONS
) -> Decision:
    """Judge one QR text at ``now``; never raises, fails closed."""
    try:
        return _judge(text, ctx, now, observations)
    except Exception as exc:  # a bug must become a DENY, not a crash or an ALLOW
        return _rejected(
            Reason(
                ReasonCode.INTERNAL_ERROR,
                Severity.DENY,
                f"internal error while judging this code ({type(exc).__name__}); entry refused",
            ),
            now,
        )


def rejudge(decision: Decision, ctx: ScanContext, observations: Observations) -> Decision:
    """Judge a verified decision again with new observations (temperature, mask).

    The code is judged as of its original decision time, so entering a
    temperature a minute later cannot turn an expired code into an ALLOW or
    a fresh one into an EXPIRED.  A decision without a verified credential
    cannot be rescued by observations and is returned unchanged.
    """
    if decision.credential is None:
        return decision
    now = decision.decided_at
    try:
        judged = evaluate(decision.credential.credential, ctx.policy, now, observations)
        keep = tuple(
            r
            for r in decision.reasons
            if r.code
            in (
                ReasonCode.TRUST_LIST_STALE,
                ReasonCode.REVOCATION_LIST_STALE,
                ReasonCode.NO_REVOCATION_LIST,
                ReasonCode.LIST_EXPIRED,
                ReasonCode.DUPLICATE_SCAN,
                ReasonCode.PASSBACK,
                ReasonCode.SHARED_CODE,
                ReasonCode.CLOCK_SKEW,
                ReasonCode.CLOCK_BACKWARDS,
            )
        )
        reasons = (*judged.reasons, *keep)
        return dataclasses.replace(
            decision,
            verdict=verdict_of(reasons),
            reasons=reasons,
            certificates=judged.certificates,
        )
    except Exception:  # fail closed
        return dataclasses.replace(decision, verdict=Verdict.DENY)
