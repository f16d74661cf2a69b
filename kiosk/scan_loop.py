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
decision; none waits for another.  A other text read in a frame that holds a
health code is not judged, stills included: the phone is what is presented.  A
other symbol that moves (``FIXED_PX``), a wrong code held up in a hand, is judged
on its second frame as before.  One that stays where it is may be a poster on the
wall: it is judged only once it has gone from view (the presentation gap) after
less than ``FIXTURE_S`` in view, and one in view longer is part of the scene and
never judged, then or when it comes back to the same place.
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


def _distance(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) ** 0.5)


def _near(a: tuple[float, float] | None, b: tuple[float, float] | None) -> bool:
    return a is None or b is None or _distance(a, b) < FIXED_PX


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
    """Reads of a other text not (yet) seen on a second frame."""
    last_decode_ms: float = 0.0


OTHER_TEXT_MEMORY = 64
"""Other texts remembered while they wait for a second frame."""

FIXED_PX = 4.0
"""A other symbol whose centre has moved less than this many pixels since its first read
(in an unbroken run of reads) is fixed in the scene: a poster on the wall, never judged.
A decoder places a still symbol's corners to within a pixel or two; a code held in a hand
moves more than this between entering the view and its second frame."""

FIXTURE_S = 10.0
"""A other symbol in view, unmoved, for this long is part of the scene (a venue's QR
poster on the wall): never judged.  One that goes from view sooner (a photo held to the
camera on a stand, a phone laid still) is judged when it goes."""


@dataclass(slots=True)
class _OtherTextRun:
    """An unbroken run of reads of one other text (no gap longer than the presentation
    gap): where and when it began, its last read, and what became of it."""

    first_t: float
    first_centre: tuple[float, float] | None
    last_index: int
    last_t: float
    moved: bool = False
    alone: bool = False
    """Read at least once in a frame without a health code."""
    judged: bool = False


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
        confirm_other: bool = True,
    ) -> None:
        self._decode = decoder
        self._context = context
        self._guard = guard
        self._now = now or (lambda _t: int(time.time()))
        self._perf = perf
        self._confirm_other = confirm_other
        self._other: dict[str, _OtherTextRun] = {}  # oldest read first
        self._fixtures: dict[str, tuple[float, float] | None] = {}  # text -> where it hangs
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
            other = not read.text.startswith(PREFIX)
            confirmed = self._confirmed(
                read.text, frame.index, frame.t, _centre(read), alone=not beside_code
            )
            if beside_code and other:
                continue  # a poster or sign beside a phone: the phone is the one presented
            if not confirmed:
                self.stats.unconfirmed += 1
                continue
            made = self.process_text(read.text, frame.t, frame.index, source, decode_ms)
            if made is not None:
                out.append(made)
                if other and read.text in self._other:
                    self._other[read.text].judged = True
        for text in self._gone(frame.t):  # still other codes that left before FIXTURE_S
            made = self.process_text(text, frame.t, frame.index, source, decode_ms)
            if made is not None:
                out.append(made)
        return out

    def _confirmed(
        self,
        text: str,
        index: int,
        t: float,
        centre: tuple[float, float] | None = None,
        *,
        alone: bool = True,
    ) -> bool:
        """Whether a text read on frame ``index`` may be judged now (module docstring)."""
        if not self._confirm_other or text.startswith(PREFIX):
            return True
        gap = self._guard.rules.presentation_gap_s
        run = self._other.pop(text, None)
        if run is None or not 0 <= t - run.last_t <= gap:
            self._other[text] = _OtherTextRun(t, centre, index, t, alone=alone)
            self._trim(t)
            return False  # its first frame
        self._other[text] = run  # last in the dict: the newest read, evicted last
        again = run.last_index != index
        run.last_index, run.last_t = index, t
        run.alone = run.alone or alone
        if run.first_centre is None or centre is None:
            run.moved = True  # the decoder does not say where: judged on its second frame
        elif _distance(centre, run.first_centre) >= FIXED_PX:
            run.moved = True
        if not run.moved and t - run.first_t >= FIXTURE_S:
            self._fixtures.pop(text, None)
            self._fixtures[text] = run.first_centre
            while len(self._fixtures) > OTHER_TEXT_MEMORY:
                del self._fixtures[next(iter(self._fixtures))]
        return again and run.moved

    def _trim(self, t: float) -> None:
        """Keep at most ``OTHER_TEXT_MEMORY`` other texts waiting (runs over first)."""
        if len(self._other) <= OTHER_TEXT_MEMORY:
            return
        gap = self._guard.rules.presentation_gap_s
        self._other = {k: v for k, v in self._other.items() if t - v.last_t <= gap}
        while len(self._other) > OTHER_TEXT_MEMORY:
            del self._other[next(iter(self._other))]

    def _gone(self, t: float) -> list[str]:
        """Other texts whose run has just ended and that are to be judged now: read alone,
        on two frames or more, never moved, in view less than ``FIXTURE_S``, not at a
        fixture's place, and not judged in the run."""
        if not self._other:
            return []
        gap = self._guard.rules.presentation_gap_s
        due = []
        for text, run in list(self._other.items()):
            if t - run.last_t <= gap:
                continue
            del self._other[text]
            if run.judged or run.moved or not run.alone or run.last_t == run.first_t:
                continue
            if run.last_t - run.first_t >= FIXTURE_S:
                continue
            if text in self._fixtures and _near(self._fixtures[text], run.first_centre):
                continue  # the poster, seen again for a while where it hangs
            due.append(text)
        return due

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
