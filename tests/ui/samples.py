"""Decisions, status and log rows for the UI tests, at one fixed moment.

The decisions are what the core hands out (verdict, reasons, one summary per
certificate); the UI only shows them, so they are written out here rather than
judged, which keeps the screenshots stable when the policy's wording changes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from kiosk.core.errors import Reason, ReasonCode, Severity
from kiosk.core.model import (
    CertificateKind,
    CertificateState,
    CertificateStatus,
    Colour,
    Credential,
    Decision,
    HealthCode,
    Verdict,
    VerifiedCredential,
)
from kiosk.core.visit import VisitStatus
from kiosk.port import (
    CameraStatus,
    ClockStatus,
    Counters,
    KioskStatus,
    ListStatus,
    LogRow,
    SyncStatus,
    VisitEvent,
    VisitView,
)

NOW = 1795420800
"""2026-11-23T08:00:00Z, 16:00 at the site."""

SITE = dt.timezone(dt.timedelta(hours=8))
HOUR = 3600

MARKUP_NAMES = (
    "[/",
    "[bold green]ALLOWED[/]",
    "[@click=app.quit]x[/]",
    "\x1b[31mred",
    "[red]x",
)
"""Names that look like Textual/Rich markup or terminal escapes: shown literally, never parsed."""


def clock() -> float:
    return float(NOW)


def verified(name: str, colour: Colour = Colour.GREEN) -> VerifiedCredential:
    code = HealthCode(version=1, holder_id=bytes(16), name=name, colour=colour)
    credential = Credential("CN-HC", NOW - 600, NOW + 86400, code)
    return VerifiedCredential(credential, kid=bytes(8), alg=-7)


def certificates(
    nat: CertificateStatus = CertificateStatus.OK,
    nat_summary: str = "negative, sampled 31 h ago",
) -> tuple[CertificateState, ...]:
    """The three certificates with their facts (``params``), as ``policy.evaluate`` gives them."""
    result, _, ago = nat_summary.partition(", sampled ")
    hours = int(ago.split()[0]) if ago else 31
    return (
        CertificateState(
            CertificateKind.VACCINATION,
            CertificateStatus.OK,
            "3 doses, last 53 days ago (1 Oct)",
            (("doses", "3"), ("days", "53"), ("date", "2026-10-01")),
        ),
        CertificateState(
            CertificateKind.NUCLEIC_ACID,
            nat,
            nat_summary,
            (("result", result), ("age_s", str(hours * HOUR))),
        ),
        CertificateState(
            CertificateKind.TRAVEL,
            CertificateStatus.OK,
            "no risk areas in 14 days",
            (("lookback_days", "14"),),
        ),
    )


def allow(name: str = "Wang *ming") -> Decision:
    return Decision(
        verdict=Verdict.ALLOW,
        reasons=(),
        decided_at=NOW - 5,
        name=name,
        colour=Colour.GREEN,
        issuer="CN-HC",
        holder_key="ab" * 16,
        certificates=certificates(),
        credential=verified(name),
    )


def deny(name: str = "Li *hua") -> Decision:
    return Decision(
        verdict=Verdict.DENY,
        reasons=(
            Reason(
                ReasonCode.TRAVEL_RECORD_STALE,
                Severity.REVIEW,
                "travel record made 30 h ago, older than 24 h",
                (("age_s", str(30 * HOUR)), ("max_h", "24")),
            ),
            Reason(
                ReasonCode.NAT_POSITIVE,
                Severity.DENY,
                "nucleic acid test positive, sampled 20 h ago",
                (("age_s", str(20 * HOUR)),),
            ),
            Reason(
                ReasonCode.COLOUR_NOT_ALLOWED,
                Severity.DENY,
                "red code is not admitted",
                (("colour", "R"),),
            ),
        ),
        decided_at=NOW - 5,
        name=name,
        colour=Colour.RED,
        issuer="CN-HC",
        certificates=certificates(CertificateStatus.FAILED, "positive, sampled 20 h ago"),
        credential=verified(name, Colour.RED),
    )


def review(name: str = "Zhao *yu") -> Decision:
    return Decision(
        verdict=Verdict.REVIEW,
        reasons=(
            Reason(ReasonCode.TEMPERATURE_NEEDED, Severity.REVIEW, "take the temperature"),
            Reason(ReasonCode.MASK_NEEDED, Severity.REVIEW, "confirm the mask"),
        ),
        decided_at=NOW - 5,
        name=name,
        colour=Colour.GREEN,
        issuer="CN-HC",
        certificates=certificates(),
        credential=verified(name),
    )


def unreadable() -> Decision:
    return Decision(
        verdict=Verdict.DENY,
        reasons=(
            Reason(
                ReasonCode.BAD_PREFIX,
                Severity.DENY,
                "not a health code: the text does not start with HCK1:",
            ),
        ),
        decided_at=NOW - 5,
    )


def after_temperature(before: Decision, verdict: Verdict, *reasons: Reason) -> Decision:
    """``before`` as the core judges it again once the temperature is known."""
    kept = tuple(r for r in before.reasons if r.code is not ReasonCode.TEMPERATURE_NEEDED)
    return dataclasses.replace(before, verdict=verdict, reasons=kept + reasons)


FEVER = Reason(
    ReasonCode.TEMPERATURE_HIGH,
    Severity.DENY,
    "temperature 38.2 °C, fever from 37.3 °C",
    (("reading", "38.2"), ("threshold", "37.3")),
)


def view(decision: Decision, entry_id: str = "entry-1", **changes: object) -> VisitView:
    """A visit as the service shows it, opened by ``decision``."""
    status = VisitStatus.WAITING if decision.verdict is Verdict.REVIEW else VisitStatus.DECIDED
    made = VisitView(
        visit_id=entry_id,
        opened_ms=decision.decided_at * 1000,
        decision=decision,
        status=status,
        code_verdict=decision.verdict,
        source="camera:0",
    )
    return dataclasses.replace(made, **changes)  # type: ignore[arg-type]


def event(
    decision: Decision,
    entry_id: str = "entry-1",
    *,
    waiting: tuple[VisitView, ...] | None = None,
    opened: bool = True,
) -> VisitEvent:
    """The event that opens a visit; a REVIEW waits for the guard unless told otherwise."""
    shown = view(decision, entry_id)
    if waiting is None:
        waiting = (shown,) if shown.needs_guard else ()
    return VisitEvent(shown, waiting, opened=opened)


def status(*, online: bool = True, trust_age_s: int = 2 * HOUR) -> KioskStatus:
    return KioskStatus(
        kiosk_id="K-EAST-01",
        camera=CameraStatus(source="camera:0", connected=True, fps=14.8),
        sync=SyncStatus(
            enabled=True,
            online=online,
            last_success_ms=(NOW - 120) * 1000 if online else (NOW - 3 * HOUR) * 1000,
            backlog=0 if online else 17,
            last_error="" if online else "connection refused",
        ),
        lists=ListStatus(
            trust_version=12,
            trust_age_s=trust_age_s,
            revocation_version=40,
            revocation_age_s=HOUR,
        ),
        clock=ClockStatus(now_ms=NOW * 1000),
        counters=Counters(visits=42, allowed=37, denied=3, waiting=2, overruled=1, left=0),
    )


def rows() -> list[LogRow]:
    return [
        LogRow("e-1", (NOW - 900) * 1000, "scan", "ALLOW", "Chen *fang"),
        LogRow("e-2", (NOW - 600) * 1000, "scan", "DENY", "Li *hua", ("NAT_POSITIVE",)),
        LogRow("e-3", (NOW - 300) * 1000, "scan", "REVIEW", "Zhao *yu", ("TEMPERATURE_NEEDED",)),
        LogRow(
            "e-4",
            (NOW - 240) * 1000,
            "override",
            "ALLOW",
            "Zhao *yu",
            ("GUARD_APPROVED",),
            note="known staff member",
        ),
        LogRow("e-5", (NOW - 60) * 1000, "scan", "ALLOW", "Wang *ming"),
    ]
