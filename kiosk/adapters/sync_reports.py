"""What a sync round reports: pure helpers for headers and the frozen report dataclasses.

Split out of ``kiosk.adapters.sync`` (which re-exports every name here) so the
client module keeps to talking to the server.  No I/O.
"""

from __future__ import annotations

import email.utils
import math
from dataclasses import dataclass

# --- pure helpers ---------------------------------------------------------------


def parse_retry_after(value: str | None, now: float) -> float | None:
    """A ``Retry-After`` header (seconds or an HTTP date) -> seconds from ``now``, or None."""
    if not value:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        seconds = moment.timestamp() - now
    if math.isnan(seconds):
        return None
    return max(0.0, seconds)


def parse_http_date(value: str | None) -> float | None:
    """An HTTP ``Date`` header -> epoch seconds, or None."""
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


# --- reports ----------------------------------------------------------------------


@dataclass(frozen=True)
class PushReport:
    """What pushing did: entries acknowledged, in how many batches, what is left."""

    pushed: int = 0
    stored: int = 0
    duplicates: int = 0
    batches: int = 0
    backlog: int = 0
    error: str = ""
    retry_after_s: float | None = None
    reached: bool = True
    parked: int = 0
    """Entries set aside this time because the server refused their batch for good."""
    parked_reason: str = ""

    @property
    def ok(self) -> bool:
        return not self.error

    def __add__(self, other: PushReport) -> PushReport:
        return PushReport(
            pushed=self.pushed + other.pushed,
            stored=self.stored + other.stored,
            duplicates=self.duplicates + other.duplicates,
            batches=self.batches + other.batches,
            backlog=other.backlog,
            error=other.error,
            retry_after_s=other.retry_after_s,
            reached=other.reached,
            parked=self.parked + other.parked,
            parked_reason=other.parked_reason or self.parked_reason,
        )


@dataclass(frozen=True)
class ListOutcome:
    """One list or the policy: ``updated``, ``unchanged``, ``refused`` or ``failed``."""

    name: str
    state: str
    version: int | None = None
    message: str = ""

    def __str__(self) -> str:
        text = f"{self.name}: {self.state}"
        if self.version is not None:
            text += f" (version {self.version})"
        if self.message:
            text += f": {self.message}"
        return text


@dataclass(frozen=True)
class ListReport:
    trust: ListOutcome
    revocations: ListOutcome
    policy: ListOutcome

    @property
    def outcomes(self) -> tuple[ListOutcome, ListOutcome, ListOutcome]:
        return (self.trust, self.revocations, self.policy)

    @property
    def changed(self) -> bool:
        return any(o.state == "updated" for o in self.outcomes)

    @property
    def reached(self) -> bool:
        return all(o.state != "failed" for o in self.outcomes)


@dataclass(frozen=True)
class ClockReport:
    """Kiosk clock minus server clock (seconds), and what is wrong with it, if anything."""

    skew_s: float | None
    warning: str
    backwards: bool
    confirmed: bool = False
    """The skew comes from a time the server signed (not an unsigned Date header)."""


@dataclass(frozen=True)
class SyncReport:
    push: PushReport
    lists: ListReport | None
    clock: ClockReport
    online: bool
    next_delay_s: float


@dataclass(frozen=True)
class SyncStatus:
    """A snapshot for the UI: never blocks, never touches the network or the log."""

    online: bool = False
    last_success_ms: int | None = None
    last_error: str = ""
    backlog: int = 0
    clock_skew_s: float | None = None
    clock_warning: str = ""
    trust_version: int | None = None
    revocation_version: int | None = None
    clock_confirmed: bool = False
    notes: str = ""
    """Standing warnings that are not failures: an unencrypted link, parked batches."""
