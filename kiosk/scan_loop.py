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

A frame may hold several codes: a venue's QR poster on the wall beside the
phone, a family's codes on one screen.  Every health code in it is judged, in
the decoder's reading order (top to bottom, left to right), each its own
decision; none waits for another.  A foreign symbol that stays where it is from
frame to frame (``FIXED_PX``) is part of the scene, a poster on the wall, and is
never judged; a wrong code held up in a hand moves, and is.  Nor is a foreign
text read in a frame that holds a health code, stills included: the phone is
what is being presented.
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


def _centre(read: QrReadLike) -> tuple[float, float] | None:
    """The centre of a read's symbol, if the decoder says where it is."""
    corners = getattr(read, "corners", None) or ()
    if not corners:
        return None
    return (
        sum(x for x, _ in corners) / len(corners),
        sum(y for _, y in corners) / len(corners),
    )


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

FIXED_PX = 4.0
"""A foreign symbol whose centre has moved less than this many pixels since its first read
(in an unbroken run of reads) is fixed in the scene: a poster on the wall, never judged.
A decoder places a still symbol's corners to within a pixel or two; a code held in a hand
moves more than this between entering the view and its second frame."""


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
        # text -> (frame index, time) of its last read, and where it was first read in this run
        self._foreign: dict[str, tuple[int, float, tuple[float, float] | None]] = {}
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
        beside_code = any(read.text.startswith(PREFIX) for read in reads)
        for read in reads:
            confirmed = self._confirmed(read.text, frame.index, frame.t, _centre(read))
            if beside_code and not read.text.startswith(PREFIX):
                continue  # a poster or sign beside a phone: the phone is the one presented
            if not confirmed:
                self.stats.unconfirmed += 1
                continue
            made = self.process_text(read.text, frame.t, frame.index, source, decode_ms)
            if made is not None:
                out.append(made)
        return out

    def _confirmed(
        self, text: str, index: int, t: float, centre: tuple[float, float] | None = None
    ) -> bool:
        """Whether a text read on frame ``index`` may be judged (see the module docstring)."""
        if not self._confirm_foreign or text.startswith(PREFIX):
            return True
        gap = self._guard.rules.presentation_gap_s
        last = self._foreign.pop(text, None)
        run = last is not None and 0 <= t - last[1] <= gap
        first = last[2] if last is not None and run else centre
        self._foreign[text] = (index, t, first)  # last in the dict: the newest read, evicted last
        if len(self._foreign) > FOREIGN_MEMORY:
            self._foreign = {k: v for k, v in self._foreign.items() if t - v[1] <= gap}
            while len(self._foreign) > FOREIGN_MEMORY:
                del self._foreign[next(iter(self._foreign))]
        if last is None or last[0] == index or not run:
            return False
        if first is None or centre is None:
            return True  # the decoder does not say where: judged on its second frame
        moved = ((centre[0] - first[0]) ** 2 + (centre[1] - first[1]) ** 2) ** 0.5
        return moved >= FIXED_PX

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
