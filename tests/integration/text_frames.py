"""Scanned lines at chosen times, as a frame stream the service reads (``port.FrameStream``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class TextFrame:
    """One line a hand scanner typed, at media time ``t`` (``port.ScannedLine``)."""

    text: str
    t: float
    index: int


class TextStream:
    """A finite list of scanned lines: what a scanner typed, replayed at the given times."""

    stills = False

    def __init__(self, frames: list[TextFrame]) -> None:
        self._frames = list(frames)
        self.closed = False

    def __iter__(self) -> Iterator[object]:
        for frame in self._frames:
            if self.closed:
                return
            yield frame

    def close(self) -> None:
        self.closed = True
