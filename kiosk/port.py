"""The seams of the kiosk's shell: what the UI may ask, and what the service runs.

The UI shows what the service tells it and sends back the guard's actions;
it never touches the camera, the log or the network itself.  This module
holds that contract: the values the service publishes (visits, status, log
rows, counters) and the ``KioskPort`` protocol the service implements.

It also names what the service itself is given, so that ``kiosk/service.py``
depends on shapes rather than on concrete adapters: a ``FrameStream`` (the
camera, a video, a folder, a hand scanner; ``kiosk.adapters.camera``), its
``ScannedLine`` items, and a ``SyncRunner`` (``kiosk.adapters.sync.SyncLoop``)
with its ``SyncState``.  Everything is wired in one place,
``kiosk/commands/run.py:build_service``.  Pure values and Protocols only, so
every side can import it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from kiosk.core.errors import Refusal
from kiosk.core.model import Decision, Verdict
from kiosk.core.policy import Policy
from kiosk.core.trust import RevocationList, TrustList
from kiosk.core.visit import VisitStatus


@dataclass(frozen=True, slots=True)
class CameraStatus:
    source: str = ""
    connected: bool = False
    paused: bool = False
    fps: float = 0.0
    message: str = ""
    scanner_only: bool = False
    """No camera: codes come from a hand scanner only."""


@dataclass(frozen=True, slots=True)
class SyncStatus:
    enabled: bool = False
    online: bool = False
    last_success_ms: int | None = None
    backlog: int = 0
    last_error: str = ""


@dataclass(frozen=True, slots=True)
class LogStatus:
    """Whether the entry log takes writes; ``held`` entries wait, in order, until it does."""

    fault: str = ""
    """Empty when the last write succeeded; else what is wrong ("disk full", ...)."""
    held: int = 0
    """Entries decided but not yet in the log (they are written as soon as it can)."""


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
    """Today's visits at this kiosk (site-local day), each counted once by its final verdict."""

    visits: int = 0
    allowed: int = 0
    denied: int = 0
    waiting: int = 0
    """Visits still waiting for the guard (REVIEW, not left)."""
    overruled: int = 0
    """Guard overrules (approvals and denials) today."""
    left: int = 0
    """Visits that left without a decision (review timeout)."""


@dataclass(frozen=True, slots=True)
class KioskStatus:
    kiosk_id: str = ""
    camera: CameraStatus = field(default_factory=CameraStatus)
    sync: SyncStatus = field(default_factory=SyncStatus)
    lists: ListStatus = field(default_factory=ListStatus)
    clock: ClockStatus = field(default_factory=ClockStatus)
    counters: Counters = field(default_factory=Counters)
    log: LogStatus = field(default_factory=LogStatus)


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
    visit_id: str = ""
    """The visit the entry belongs to (its own id for a scan)."""
    temperature_c: float | None = None
    mask: bool | None = None
    reason_params: tuple[tuple[tuple[str, str], ...], ...] = ()
    """The facts inside each of ``reasons`` (``Reason.params``), in the same order; empty
    where the log kept none (entries written before it kept them)."""


@dataclass(frozen=True, slots=True)
class VisitView:
    """One person at the gate as the guard sees it: the visit's verdict now, and its state.

    ``decision`` is the visit's judgement from everything it holds (the code,
    the readings, the guard's overrule); ``code_verdict`` is what the code got
    on its own.  ``recorded`` is true only once every entry of the visit is in
    the log: a visit held back by a log fault says so.
    """

    visit_id: str
    opened_ms: int
    decision: Decision
    status: VisitStatus
    code_verdict: Verdict
    temperature_c: float | None = None
    mask: bool | None = None
    overrule: Verdict | None = None
    overrule_reason: str = ""
    recorded: bool = True
    source: str = ""
    frame_time_s: float | None = None

    @property
    def verdict(self) -> Verdict:
        return self.decision.verdict

    @property
    def needs_guard(self) -> bool:
        return self.status is VisitStatus.WAITING


@dataclass(frozen=True, slots=True)
class VisitEvent:
    """A visit opened or changed (a scan, a reading, an overrule, a timeout, a write).

    ``waiting`` is every visit still waiting for the guard, oldest first, as of
    this event, so the UI's queue never lags behind the visit it shows.
    """

    visit: VisitView
    waiting: tuple[VisitView, ...] = ()
    opened: bool = False
    """True for the event that opens the visit (a new person): the bell rings for these."""


@dataclass(frozen=True, slots=True)
class StatusEvent:
    status: KioskStatus


KioskEvent = VisitEvent | StatusEvent


class ActionError(Refusal):
    """A guard action was refused (e.g. an override without a reason); the message says
    why (``Refusal``: a template the screen says in the kiosk's language)."""


class KioskPort(Protocol):
    """What the UI may ask of the running kiosk.

    ``subscribe`` callbacks run on the service's worker threads: a Textual
    app must hop onto its own thread (``call_from_thread``) before touching
    widgets.  Actions return quickly and raise ``ActionError`` when refused.
    """

    def subscribe(self, callback: Callable[[KioskEvent], None]) -> None: ...

    def status(self) -> KioskStatus: ...

    def override(self, visit_id: str, verdict: Verdict, reason: str) -> VisitView:
        """The guard approves (ALLOW) or denies (DENY) that visit, with a required reason."""
        ...

    def observe(
        self, visit_id: str, *, temperature_c: float | None = None, mask: bool | None = None
    ) -> VisitView:
        """Record a temperature reading and/or mask check on that visit; returns it re-judged."""
        ...

    def visit(self, visit_id: str) -> VisitView:
        """A visit the kiosk still holds (e.g. picked in the log view)."""
        ...

    def waiting(self) -> list[VisitView]:
        """Visits waiting for the guard, oldest first."""
        ...

    def submit_text(self, text: str) -> None:
        """QR text typed by a keyboard-wedge scanner or the guard."""
        ...

    def set_paused(self, paused: bool) -> None: ...

    def sync_now(self) -> None: ...

    def drain_backlog(self, timeout: float) -> bool:
        """Sync now and wait up to ``timeout`` s until nothing waits; False if entries still do."""
        ...

    def recent(self, limit: int = 50) -> list[LogRow]: ...

    def search(self, text: str, limit: int = 200) -> list[LogRow]: ...


# --- what the service is given -------------------------------------------------------


class FrameStream(Protocol):
    """A source of frames or scanned lines, read on the service's scan thread."""

    @property
    def stills(self) -> bool:
        """Each picture stands alone (a folder of photos), not a frame of one moving scene."""
        ...

    def __iter__(self) -> Iterator[object]: ...

    def close(self) -> None: ...


@runtime_checkable
class ScannedLine(Protocol):
    """A code's text from a hand scanner: no picture, nothing to decode."""

    @property
    def text(self) -> str: ...

    @property
    def t(self) -> float: ...

    @property
    def index(self) -> int: ...


class SyncState(Protocol):
    """What the sync loop reports; reading it never blocks."""

    @property
    def online(self) -> bool: ...

    @property
    def last_success_ms(self) -> int | None: ...

    @property
    def last_error(self) -> str: ...

    @property
    def clock_skew_s(self) -> float | None: ...

    @property
    def clock_warning(self) -> str: ...

    @property
    def notes(self) -> str: ...


OnLists = Callable[[TrustList | None, RevocationList | None, Policy | None], None]
"""Called with new lists or policy (None: unchanged) after a sync took them."""


class SyncRunner(Protocol):
    """The background sync: uploads entries, fetches lists, says how it is doing."""

    def start(self) -> object: ...

    def stop(self, timeout: float = 10.0) -> None: ...

    def trigger(self) -> None: ...

    def status(self) -> SyncState: ...

    def confirmed_skew(self) -> float | None:
        """Kiosk minus server time from the last time the server signed it, or None."""
        ...

    def set_on_lists(self, callback: OnLists) -> None: ...
