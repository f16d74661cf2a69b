"""One person at the gate: the code's decision, every reading, and the guard's actions.

A checkpoint checks three things for each person ("three 100 %": the code, the
temperature, the mask), and the guard may overrule the kiosk.  A ``Visit``
holds all of it for one person: the decision the code got when it was
scanned, the latest temperature and the latest mask check (both kept, never
one replacing the other), the guard's overrule, and whether the person left
before the guard decided.  Its verdict is never patched by the last event:
``judge`` computes it from everything the visit holds, by the site policy,
every time.  So a mask confirmed after a fever cannot erase the fever, and an
approval given before the fever was entered does not cover it.

``VisitBook`` is the set of visits the kiosk still holds, newest last: the
queue of people waiting for the guard and the timeouts are computed here, and
every action names the visit it acts on by id, so no action can land on
another person.  Pure: no clock reads (times are passed in), no I/O.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum

from kiosk.core.codec import FOREIGN_PREFIX, PREFIX
from kiosk.core.errors import Reason, ReasonCode, Refusal, Severity
from kiosk.core.model import Decision, Observations, Verdict
from kiosk.core.pipeline import ScanContext, rejudge
from kiosk.core.policy import verdict_of

MAX_HELD = 500
"""Visits kept in memory for guard actions; a visit waiting for the guard is never dropped."""


class VisitError(Refusal, ValueError):
    """A guard action was refused; the message says why, in words for the guard
    (``Refusal``: a template the screen says in the kiosk's language)."""


CODE_LIKE_RUN = 40
"""A run of this many code characters without a space is a scan, not a reason."""

_CODE_CHARACTERS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ$%*+-./:")


def looks_like_code(text: str) -> bool:
    """True when ``text`` holds a health code (its prefix, or a long run of code characters).

    A scanner that typed into the reason box must not become the reason: the
    log never holds raw QR text.
    """
    upper = text.upper()
    if PREFIX in upper or FOREIGN_PREFIX in upper:
        return True
    run = 0
    for ch in text:
        run = run + 1 if ch in _CODE_CHARACTERS else 0
        if run >= CODE_LIKE_RUN:
            return True
    return False


class VisitStatus(StrEnum):
    """Where a visit stands for the guard."""

    DECIDED = "decided"
    """The kiosk decided (ALLOW or DENY); nothing waits for the guard."""
    WAITING = "waiting"
    """REVIEW: the guard must check and approve or deny (or a reading is missing)."""
    OVERRULED = "overruled"
    """The guard approved or denied it, and the approval still covers every reason."""
    LEFT = "left"
    """Nobody decided before the review timeout: left without a decision."""


@dataclass(frozen=True, slots=True)
class Overrule:
    """The guard's own verdict on a visit, with the reason the guard typed."""

    verdict: Verdict
    reason: str
    at_ms: int
    covers: frozenset[ReasonCode] = frozenset()
    """For an approval: the DENY and REVIEW reasons the visit had when it was approved."""


@dataclass(frozen=True, slots=True)
class Visit:
    """One person at the gate (see the module docstring).  ``id`` is its scan entry's id."""

    id: str
    opened_ms: int
    decision: Decision
    temperature_c: float | None = None
    mask: bool | None = None
    overrule: Overrule | None = None
    left_ms: int | None = None

    @property
    def observations(self) -> Observations:
        return Observations(self.temperature_c, self.mask)


@dataclass(frozen=True, slots=True)
class Judgement:
    """A visit's verdict now: the decision to show (verdict, reasons, certificates) and status."""

    decision: Decision
    status: VisitStatus

    @property
    def verdict(self) -> Verdict:
        return self.decision.verdict

    @property
    def needs_guard(self) -> bool:
        return self.status is VisitStatus.WAITING


def _blocking(reasons: tuple[Reason, ...]) -> frozenset[ReasonCode]:
    return frozenset(r.code for r in reasons if r.severity is not Severity.NOTE)


def _base(visit: Visit, ctx: ScanContext) -> Decision:
    """The code's decision judged again with every reading the visit holds."""
    return rejudge(visit.decision, ctx, visit.observations)


def judge(visit: Visit, ctx: ScanContext) -> Judgement:
    """The visit's verdict from everything it holds, by the policy in ``ctx``."""
    base = _base(visit, ctx)
    reasons = base.reasons
    overruled = approved = False
    o = visit.overrule
    if o is not None and o.verdict is Verdict.DENY:
        reasons = (*reasons, Reason(ReasonCode.GUARD_DENIED, Severity.DENY, o.reason))
        overruled = True
    elif o is not None:
        uncovered = _blocking(reasons) - o.covers
        if uncovered:
            words = ", ".join(sorted(c.value for c in uncovered))
            message = f"the guard's approval came before {words}: check again"
            reasons = (*reasons, Reason(ReasonCode.APPROVAL_LAPSED, Severity.REVIEW, message))
        else:
            reasons = (*reasons, Reason(ReasonCode.GUARD_APPROVED, Severity.NOTE, o.reason))
            overruled = approved = True
    if visit.left_ms is not None:
        reasons = (
            *reasons,
            Reason(ReasonCode.LEFT_WITHOUT_DECISION, Severity.NOTE, "left without a decision"),
        )
    final = dataclasses.replace(
        base, reasons=reasons, verdict=Verdict.ALLOW if approved else verdict_of(reasons)
    )
    if visit.left_ms is not None:
        status = VisitStatus.LEFT
    elif overruled:
        status = VisitStatus.OVERRULED
    elif final.verdict is Verdict.REVIEW:
        status = VisitStatus.WAITING
    else:
        status = VisitStatus.DECIDED
    return Judgement(final, status)


def _open(visit: Visit, what: str) -> None:
    if visit.left_ms is not None:
        raise VisitError("cannot {what}: this person left without a decision", what=what)


def observe(visit: Visit, *, temperature_c: float | None = None, mask: bool | None = None) -> Visit:
    """The visit with a new reading; the other reading is kept as it was."""
    _open(visit, "record a reading")
    if temperature_c is None and mask is None:
        raise VisitError("nothing was measured")
    return dataclasses.replace(
        visit,
        temperature_c=visit.temperature_c if temperature_c is None else float(temperature_c),
        mask=visit.mask if mask is None else mask,
    )


def overrule(visit: Visit, verdict: Verdict, reason: str, at_ms: int, ctx: ScanContext) -> Visit:
    """The visit with the guard's verdict, or ``VisitError`` if the policy forbids it."""
    _open(visit, "approve or deny")
    note = reason.strip()
    if not note:
        raise VisitError("a reason is required")
    if looks_like_code(note):
        raise VisitError("the reason holds a scanned code: type the reason in words")
    if verdict is Verdict.REVIEW:
        raise VisitError("the guard approves (ALLOW) or denies (DENY)")
    covers: frozenset[ReasonCode] = frozenset()
    if verdict is Verdict.ALLOW:
        rules = ctx.policy.guard
        if visit.decision.credential is None and not rules.approve_unverified:
            raise VisitError(
                "this code did not verify: it names nobody, so it cannot be approved "
                "(policy guard.approve_unverified)"
            )
        covers = _blocking(_base(visit, ctx).reasons)
        barred = sorted(c.value for c in covers & rules.never_approve)
        if barred:
            raise VisitError(
                "{codes} cannot be approved by a guard (policy guard.never_approve)",
                codes=tuple(barred),
            )
    return dataclasses.replace(visit, overrule=Overrule(verdict, note, at_ms, covers))


def leave(visit: Visit, at_ms: int) -> Visit:
    """The visit closed without a decision (the review timeout passed)."""
    return dataclasses.replace(visit, left_ms=at_ms)


@dataclass(frozen=True, slots=True)
class VisitBook:
    """The visits the kiosk holds, oldest first (see the module docstring)."""

    visits: tuple[Visit, ...] = ()

    def get(self, visit_id: str) -> Visit:
        for visit in reversed(self.visits):
            if visit.id == visit_id:
                return visit
        raise VisitError("that person is no longer held on screen; find them in the log view")

    def opened(self, visit: Visit, ctx: ScanContext, limit: int = MAX_HELD) -> VisitBook:
        """The book with a new visit; the oldest visits beyond ``limit`` that wait for
        nobody are let go (the log keeps them)."""
        visits = [*self.visits, visit]
        excess = len(visits) - limit
        if excess > 0:
            kept: list[Visit] = []
            for v in visits:
                if excess > 0 and v is not visit and not judge(v, ctx).needs_guard:
                    excess -= 1
                    continue
                kept.append(v)
            visits = kept
        return VisitBook(tuple(visits))

    def replaced(self, visit: Visit) -> VisitBook:
        """The book with ``visit`` in place of the one with its id; no other visit changes."""
        self.get(visit.id)
        return VisitBook(tuple(visit if v.id == visit.id else v for v in self.visits))

    def newest(self) -> Visit | None:
        return self.visits[-1] if self.visits else None

    def waiting(self, ctx: ScanContext) -> list[Visit]:
        """Visits that wait for the guard, oldest first."""
        return [v for v in self.visits if judge(v, ctx).needs_guard]

    def due(self, now_ms: int, timeout_ms: int, ctx: ScanContext) -> list[Visit]:
        """Waiting visits opened ``timeout_ms`` or more before ``now_ms``."""
        if timeout_ms <= 0:
            return []
        return [v for v in self.waiting(ctx) if now_ms - v.opened_ms >= timeout_ms]
