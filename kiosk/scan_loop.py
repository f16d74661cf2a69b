"""Frames -> QR texts -> decisions, one per person: the kiosk's scanning stream.

Takes frames (or texts from a keyboard-wedge scanner) one at a time,
decodes, runs the replay rules so that a phone held for two seconds is one
decision, judges new sightings with the pure pipeline, and returns the
decisions with the frame times that produced them.  It does no logging, no
networking and no drawing: the service hands its output to the recorder,
and ``kiosk scan --source`` prints it.  Judging material (lists, policy)
comes from a provider so a sync can swap it in between two frames.

A text that is not a health code (no ``HCK1:`` prefix) read from a stream of
frames is judged only once it has been read on a second frame within the
presentation gap.  Someone holding up the wrong QR code is read on frame after
frame and told "not a health code" a frame later; a decoder's phantom (a few
characters read off part of a phone screen on one frame, as zxing-cpp did when
it read a blurred finder pattern as a Micro QR symbol) never becomes a DENY on
the guard's screen.  Health codes are judged on
their first frame: their signature stands behind every byte.  Stills (a folder
of unrelated photos) and scanned texts are judged at once.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from kiosk.adapters.config import ScanConfig
from kiosk.core.codec import PREFIX
from kiosk.core.model import Decision
from kiosk.core.pipeline import ScanContext, scan
from kiosk.core.policy import verdict_of
from kiosk.core.replay import ReplayGuard, ReplayRules, Sighting


def replay_rules(scan: ScanConfig) -> ReplayRules:
    """The replay rules a kiosk's ``[scan]`` configuration asks for."""
    return ReplayRules(
        presentation_gap_s=scan.presentation_gap_s,
        hold_s=scan.hold_s,
        repeat_review_s=scan.repeat_review_min * 60,
        shared_window_s=scan.shared_window_min * 60,
    )


class FrameLike(Protocol):
    """What the loop needs of a frame from any source."""

    @property
    def index(self) -> int: ...

    @property
    def t(self) -> float: ...


class QrReadLike(Protocol):
    @property
    def text(self) -> str: ...


Decoder = Callable[[Any], Sequence[QrReadLike]]


@dataclass(frozen=True, slots=True)
class StreamDecision:
    """A decision and where in the stream it came from."""

    decision: Decision
    source: str
    frame_index: int
    frame_time_s: float
    decode_ms: float
    judge_ms: float


@dataclass(slots=True)
class LoopStats:
    frames: int = 0
    frames_with_code: int = 0
    decisions: int = 0
    holds: int = 0
    unconfirmed: int = 0
    """Reads of a foreign text not (yet) seen on a second frame."""
    last_decode_ms: float = 0.0


FOREIGN_MEMORY = 64
"""Foreign texts remembered while they wait for a second frame."""


class ScanLoop:
    """Turns a stream of frames into decisions; one instance per frame source."""

    def __init__(
        self,
        decoder: Decoder,
        context: Callable[[], ScanContext],
        guard: ReplayGuard,
        *,
        now: Callable[[float], int] | None = None,
        perf: Callable[[], float] = time.perf_counter,
        confirm_foreign: bool = True,
    ) -> None:
        self._decode = decoder
        self._context = context
        self._guard = guard
        self._now = now or (lambda _t: int(time.time()))
        self._perf = perf
        self._confirm_foreign = confirm_foreign
        self._foreign: dict[str, tuple[int, float]] = {}  # text -> (frame index, time) last read
        self.stats = LoopStats()

    def process_frame(self, frame: Any, source: str = "") -> list[StreamDecision]:
        """Decode one frame (``frame.image``) and judge what is new in it."""
        self.stats.frames += 1
        started = self._perf()
        reads = self._decode(frame.image)
        decode_ms = (self._perf() - started) * 1000
        self.stats.last_decode_ms = decode_ms
        if reads:
            self.stats.frames_with_code += 1
        out: list[StreamDecision] = []
        for read in reads:
            if not self._confirmed(read.text, frame.index, frame.t):
                self.stats.unconfirmed += 1
                continue
            made = self.process_text(read.text, frame.t, frame.index, source, decode_ms)
            if made is not None:
                out.append(made)
        return out

    def _confirmed(self, text: str, index: int, t: float) -> bool:
        """Whether a text read on frame ``index`` may be judged (see the module docstring)."""
        if not self._confirm_foreign or text.startswith(PREFIX):
            return True
        gap = self._guard.rules.presentation_gap_s
        last = self._foreign.pop(text, None)
        self._foreign[text] = (index, t)  # last in the dict: the newest read, evicted last
        if len(self._foreign) > FOREIGN_MEMORY:
            self._foreign = {k: v for k, v in self._foreign.items() if t - v[1] <= gap}
            while len(self._foreign) > FOREIGN_MEMORY:
                del self._foreign[next(iter(self._foreign))]
        return last is not None and last[0] != index and 0 <= t - last[1] <= gap

    def process_text(
        self, text: str, t: float, index: int = 0, source: str = "", decode_ms: float = 0.0
    ) -> StreamDecision | None:
        """Judge one QR text seen at stream time ``t`` unless it continues a presentation."""
        if self._guard.sighting(text, t) is not None:
            return None
        started = self._perf()
        decision = scan(text, self._context(), self._now(t))
        outcome = self._guard.decided(text, decision.holder_key, t)
        if outcome.sighting is Sighting.HOLD:
            self.stats.holds += 1
            return None
        if outcome.reasons:
            reasons = (*decision.reasons, *outcome.reasons)
            decision = dataclasses.replace(decision, reasons=reasons, verdict=verdict_of(reasons))
        judge_ms = (self._perf() - started) * 1000
        self.stats.decisions += 1
        return StreamDecision(decision, source, index, t, decode_ms, judge_ms)
