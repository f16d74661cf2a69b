"""The boundary between the kiosk's shell and its user interface.

The UI shows what the service tells it and sends back the guard's actions;
it never touches the camera, the log or the network itself.  This module
holds that contract: the values the service publishes (decisions, status,
log rows, counters) and the ``KioskPort`` protocol the service implements.
Pure values and a Protocol only, so both sides can import it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from kiosk.core.model import Decision, Verdict


@dataclass(frozen=True, slots=True)
class CameraStatus:
    source: str = ""
    connected: bool = False
    paused: bool = False
    fps: float = 0.0
    message: str = ""


@dataclass(frozen=True, slots=True)
class SyncStatus:
    enabled: bool = False
    online: bool = False
    last_success_ms: int | None = None
    backlog: int = 0
    last_error: str = ""


@dataclass(frozen=True, slots=True)
class ListStatus:
    """Age of the signed lists, with the policy's thresholds for colouring them."""

    trust_version: int | None = None
    trust_age_s: int | None = None
    revocation_version: int | None = None
    revocation_age_s: int | None = None
    warn_after_s: int = 24 * 3600
    refuse_after_s: int = 72 * 3600


@dataclass(frozen=True, slots=True)
class ClockStatus:
    now_ms: int = 0
    warning: str = ""
    skew_s: float | None = None


@dataclass(frozen=True, slots=True)
class Counters:
    """Today's entries at this kiosk (site-local day)."""

    entries: int = 0
    allowed: int = 0
    denied: int = 0
    reviewed: int = 0


@dataclass(frozen=True, slots=True)
class KioskStatus:
    kiosk_id: str = ""
    camera: CameraStatus = field(default_factory=CameraStatus)
    sync: SyncStatus = field(default_factory=SyncStatus)
    lists: ListStatus = field(default_factory=ListStatus)
    clock: ClockStatus = field(default_factory=ClockStatus)
    counters: Counters = field(default_factory=Counters)


@dataclass(frozen=True, slots=True)
class LogRow:
    """One line of the entry log as the guard sees it."""

    entry_id: str
    at_ms: int
    kind: str
    verdict: str
    name: str
    reasons: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True, slots=True)
class DecisionEvent:
    """A decision the service made and logged (``entry_id`` is its log entry)."""

    entry_id: str
    decision: Decision
    recorded: bool = True
    source: str = ""
    frame_time_s: float | None = None


@dataclass(frozen=True, slots=True)
class StatusEvent:
    status: KioskStatus


KioskEvent = DecisionEvent | StatusEvent


class ActionError(Exception):
    """A guard action was refused (e.g. an override without a reason); the message says why."""


class KioskPort(Protocol):
    """What the UI may ask of the running kiosk.

    ``subscribe`` callbacks run on the service's worker threads: a Textual
    app must hop onto its own thread (``call_from_thread``) before touching
    widgets.  Actions return quickly and raise ``ActionError`` when refused.
    """

    def subscribe(self, callback: Callable[[KioskEvent], None]) -> None: ...

    def status(self) -> KioskStatus: ...

    def override(self, entry_id: str, verdict: Verdict, reason: str) -> Decision: ...

    def observe(
        self, entry_id: str, *, temperature_c: float | None = None, mask: bool | None = None
    ) -> Decision:
        """Record a temperature reading and/or mask check; returns the re-judged decision."""
        ...

    def submit_text(self, text: str) -> None:
        """QR text typed by a keyboard-wedge scanner or the guard."""
        ...

    def set_paused(self, paused: bool) -> None: ...

    def sync_now(self) -> None: ...

    def recent(self, limit: int = 50) -> list[LogRow]: ...

    def search(self, text: str, limit: int = 200) -> list[LogRow]: ...
