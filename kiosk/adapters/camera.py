"""Frame sources: where the kiosk's pictures (or already-read texts) come from.

This module owns every way of getting input into the frame loop, behind one
small interface: a ``FrameSource`` is an iterator of items, each either a
``Frame`` (a picture to decode) or a ``ScannedText`` (a code's text already
read by a hand scanner acting as a keyboard, the "keyboard wedge").  The loop
does not care which source it has.

- a camera by index (``"0"``, ``"cam:0"``) and a stream URL (``rtsp://``,
  ``http://``...) are *live*: a ``LatestFrameGrabber`` thread reads them and
  keeps only the newest frame, so a slow decoder never works on stale
  pictures, and it reopens a lost camera with exponential backoff without
  ever raising into the loop;
- a video file, a folder of images and a single image are *files*: read as
  fast as possible (tests, benchmarks) or paced at their frame rate
  (``realtime=True``, for the demo);
- ``"wedge"`` or ``"-"`` reads one QR text a line from stdin (or a given
  text stream).

A camera by index is opened at the configured size, rate and exposure
(``camera.exposure_ms``): a short manual exposure keeps a phone that is still
moving up from smearing, and a phone screen gives enough light for it.  A
camera or backend that refuses the exposure keeps its auto exposure, and
the source's stats carry a note saying so.

``open_source`` turns a spec string into a source, or raises ``SourceError``
with a message naming the source and what is wrong.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TextIO

import cv2
import numpy as np

from kiosk.adapters.config import CameraConfig
from kiosk.core.backoff import backoff_delay

# OpenCV and FFmpeg print their own warnings for a missing camera or a file
# that is not a video; this module reports those itself, in one line.  FFmpeg
# reads its level when a capture first opens, so setting it here is in time.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)

log = logging.getLogger("kiosk.camera")

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"})
STREAM_SCHEMES = ("rtsp://", "rtsps://", "http://", "https://", "rtmp://", "udp://", "tcp://")
WEDGE_SPECS = ("wedge", "-")
MAX_WEDGE_LINE = 8192
"""Characters kept of one scanned line (the codec rejects more than 4,096 anyway)."""
OPEN_TIMEOUT_MS = 5000
"""How long opening (or reading from) a stream may block before it counts as failed."""


class SourceError(Exception):
    """A frame source cannot be opened or read; the message names it and says why."""


@dataclass(frozen=True, eq=False)
class Frame:
    """One picture: ``t`` is media time for files, ``time.monotonic()`` for live sources."""

    image: np.ndarray
    t: float
    index: int
    source: str


@dataclass(frozen=True)
class ScannedText:
    """A code's text read by a hand scanner (keyboard wedge): no picture, nothing to decode."""

    text: str
    t: float
    index: int
    source: str


Item = Frame | ScannedText


@dataclass(frozen=True)
class SourceStats:
    """How a source is doing, for the status line: safe to read from any thread."""

    connected: bool
    fps: float
    frames: int
    dropped: int
    reconnects: int
    error: str | None = None
    note: str | None = None
    """A lasting remark about the source's settings (an exposure the camera refused)."""


class FrameSource(Protocol):
    """Anything the frame loop can read: an iterable of items with a name and stats."""

    name: str
    live: bool
    stills: bool
    """Each picture stands alone (a folder of photos), not a frame of one moving scene."""

    def __iter__(self) -> Iterator[Item]: ...

    def stats(self) -> SourceStats: ...

    def close(self) -> None: ...


# --- pacing --------------------------------------------------------------------------


class _Pacer:
    """Sleeps so that media time ``t`` is delivered ``t`` seconds after the first item."""

    def __init__(
        self,
        realtime: bool,
        stop: threading.Event,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.realtime = realtime
        self.stop = stop
        self.monotonic = monotonic
        self.start: float | None = None

    def wait(self, t: float) -> None:
        if not self.realtime:
            return
        now = self.monotonic()
        if self.start is None:
            self.start = now - t
        delay = self.start + t - now
        if delay > 0:
            self.stop.wait(delay)


class _FileSource:
    """Shared parts of the file sources: numbering, media time, pacing, looping, closing.

    A subclass gives ``_pass()``: one pass over its pictures as (image, name).
    Frame ``i`` has media time ``i / fps``; with ``loop`` the pictures start
    again at the end and the numbering and time go on (a demo that runs all day).
    """

    live = False
    stills = False

    def __init__(self, name: str, fps: float, *, realtime: bool, loop: bool) -> None:
        self.name = name
        self.fps = fps
        self.loop = loop
        self._stop = threading.Event()
        self._pacer = _Pacer(realtime, self._stop)
        self._frames = 0

    def _pass(self) -> Iterator[tuple[np.ndarray, str]]:
        raise NotImplementedError

    def __iter__(self) -> Iterator[Item]:
        index = 0
        while not self._stop.is_set():
            for image, name in self._pass():
                if self._stop.is_set():
                    return
                t = index / self.fps
                self._pacer.wait(t)
                self._frames += 1
                yield Frame(image, t, index, name)
                index += 1
            if not self.loop:
                return

    def stats(self) -> SourceStats:
        return SourceStats(not self._stop.is_set(), self.fps, self._frames, 0, 0)

    def close(self) -> None:
        self._stop.set()

    def __enter__(self) -> _FileSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class GeneratedSource(_FileSource):
    """Frames made as they are played: ``make_pass()`` yields one pass of pictures.

    For footage that is rendered rather than read (the demo's walk-up queue):
    nothing is written to disk first, so the first frame is there as soon as it
    is drawn, and a looping demo draws the same pass again.
    """

    def __init__(
        self,
        name: str,
        make_pass: Callable[[], Iterator[np.ndarray]],
        *,
        fps: float,
        realtime: bool = False,
        loop: bool = False,
    ) -> None:
        super().__init__(name, fps, realtime=realtime, loop=loop)
        self._make_pass = make_pass

    def _pass(self) -> Iterator[tuple[np.ndarray, str]]:
        for image in self._make_pass():
            yield image, self.name


# --- images --------------------------------------------------------------------------


def read_image(path: Path) -> np.ndarray:
    """A BGR image from a file, or ``SourceError`` naming it."""
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as exc:
        raise SourceError(f"{path}: cannot read: {exc.strerror or exc}") from None
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        raise SourceError(f"{path}: not a readable image")
    return image


def image_files(folder: Path) -> list[Path]:
    """The images in ``folder`` (png, jpg, jpeg, bmp, webp), sorted by name."""
    try:
        entries = list(folder.iterdir())
    except OSError as exc:
        raise SourceError(f"{folder}: cannot list folder: {exc.strerror or exc}") from None
    return sorted(p for p in entries if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


class ImageFilesSource(_FileSource):
    """A list of image files (a folder, or one image); each frame is named by its file."""

    stills = True

    def __init__(
        self,
        name: str,
        files: list[Path],
        *,
        fps: float,
        realtime: bool = False,
        loop: bool = False,
    ) -> None:
        super().__init__(name, fps, realtime=realtime, loop=loop)
        self.files = files

    def _pass(self) -> Iterator[tuple[np.ndarray, str]]:
        for path in self.files:
            yield read_image(path), str(path)


# --- video files ---------------------------------------------------------------------


class VideoFileSource(_FileSource):
    """A video file, frame by frame, at the frame rate the file declares (25 if none)."""

    def __init__(self, path: Path, *, realtime: bool = False, loop: bool = False) -> None:
        capture = cv2.VideoCapture(str(path))
        if not capture.isOpened():
            raise SourceError(f"{path}: not a video or image folder (cannot decode it)")
        fps = capture.get(cv2.CAP_PROP_FPS)
        ok, _ = capture.read()
        capture.release()
        if not ok:
            raise SourceError(f"{path}: not a video or image folder (no frame could be read)")
        fps = fps if fps and math.isfinite(fps) and 0 < fps <= 1000 else 25.0
        super().__init__(str(path), fps, realtime=realtime, loop=loop)
        self.path = path

    def _pass(self) -> Iterator[tuple[np.ndarray, str]]:
        capture = cv2.VideoCapture(str(self.path))
        if not capture.isOpened():
            raise SourceError(f"{self.path}: cannot open video")
        try:
            while True:
                ok, image = capture.read()
                if not ok or image is None:
                    return
                yield image, self.name
        finally:
            capture.release()


# --- keyboard wedge ------------------------------------------------------------------


class WedgeSource:
    """QR texts typed by a hand scanner, one a line, from stdin or a given text stream."""

    live = True
    stills = False

    def __init__(self, stream: TextIO | None = None, name: str = "wedge") -> None:
        self.stream = stream
        self.name = name
        self._lines = 0
        self._closed = False

    def __iter__(self) -> Iterator[Item]:
        stream = self.stream if self.stream is not None else sys.stdin
        index = 0
        while not self._closed:
            try:
                line = stream.readline(MAX_WEDGE_LINE)
            except (OSError, ValueError, UnicodeDecodeError) as exc:
                raise SourceError(f"{self.name}: cannot read scanned text: {exc}") from None
            if not line:
                return
            if len(line) == MAX_WEDGE_LINE and not line.endswith("\n"):
                _skip_rest_of_line(stream)
            text = line.rstrip("\r\n")
            if not text.strip():
                continue
            self._lines += 1
            yield ScannedText(text, time.monotonic(), index, self.name)
            index += 1

    def stats(self) -> SourceStats:
        return SourceStats(not self._closed, 0.0, self._lines, 0, 0)

    def close(self) -> None:
        self._closed = True


def _skip_rest_of_line(stream: TextIO) -> None:
    while True:
        chunk = stream.readline(MAX_WEDGE_LINE)
        if not chunk or chunk.endswith("\n"):
            return


# --- live capture --------------------------------------------------------------------


class Capture(Protocol):
    """What the grabber needs of ``cv2.VideoCapture``."""

    def read(self) -> tuple[bool, Any]: ...

    def release(self) -> None: ...


class LatestFrameGrabber:
    """A capture thread that keeps only the newest frame.

    ``open_capture`` returns an opened capture or None.  The thread reads as
    fast as the source delivers; a frame nobody took before the next arrived
    counts as dropped.  A failed read means the camera is lost: the capture is
    released and reopened after ``backoff_delay`` (exponential, capped), again
    and again, until ``stop()``.  Nothing here raises into the caller; errors
    show in ``stats()``.
    """

    def __init__(
        self,
        open_capture: Callable[[], Capture | None],
        name: str,
        *,
        backoff_base: float = 0.5,
        backoff_max: float = 10.0,
        max_read_failures: int = 3,
    ) -> None:
        self.name = name
        self._open = open_capture
        self._backoff_base = backoff_base
        self._backoff_max = backoff_max
        self._max_read_failures = max_read_failures
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._latest: Frame | None = None
        self._taken = True
        self._index = 0
        self._dropped = 0
        self._reconnects = 0
        self._connected = False
        self._error: str | None = None
        self._times: deque[float] = deque(maxlen=60)
        self._thread = threading.Thread(target=self._run, name=f"grab {name}", daemon=True)

    def start(self) -> LatestFrameGrabber:
        self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def get(self, timeout: float | None = None) -> Frame | None:
        """The newest frame not yet taken, waiting up to ``timeout`` s; None if none came."""
        with self._cond:
            if self._taken:
                self._cond.wait_for(lambda: not self._taken or self._stop.is_set(), timeout)
            if self._taken or self._latest is None:
                return None
            self._taken = True
            return self._latest

    def stats(self) -> SourceStats:
        with self._cond:
            times = list(self._times)
            fps = (
                (len(times) - 1) / (times[-1] - times[0])
                if len(times) > 1 and times[-1] > times[0]
                else 0.0
            )
            return SourceStats(
                self._connected, fps, self._index, self._dropped, self._reconnects, self._error
            )

    def _set(self, **values: Any) -> None:
        with self._cond:
            for key, value in values.items():
                setattr(self, f"_{key}", value)

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            capture = self._try_open()
            if capture is None:
                failures += 1
                self._stop.wait(backoff_delay(failures, self._backoff_base, self._backoff_max))
                continue
            failures = 0
            self._set(connected=True, error=None)
            self._pump(capture)
            _release(capture)
            self._set(connected=False)
            if not self._stop.is_set():
                with self._cond:
                    self._reconnects += 1
                    self._error = f"{self.name}: camera lost, reopening"
                failures = 1
                self._stop.wait(backoff_delay(failures, self._backoff_base, self._backoff_max))

    def _try_open(self) -> Capture | None:
        try:
            capture = self._open()
        except Exception as exc:  # any failure of a driver is "cannot open", reported
            self._set(connected=False, error=f"{self.name}: cannot open: {exc}")
            return None
        if capture is None:
            self._set(connected=False, error=f"{self.name}: cannot open")
        return capture

    def _pump(self, capture: Capture) -> None:
        """Read frames until the capture fails ``max_read_failures`` times in a row."""
        misses = 0
        while not self._stop.is_set():
            try:
                ok, image = capture.read()
            except Exception as exc:  # a driver error is a lost camera, not a crash
                ok, image = False, None
                self._set(error=f"{self.name}: read failed: {exc}")
            if not ok or image is None:
                misses += 1
                if misses >= self._max_read_failures:
                    return
                continue
            misses = 0
            now = time.monotonic()
            with self._cond:
                if not self._taken:
                    self._dropped += 1
                self._latest = Frame(image, now, self._index, self.name)
                self._index += 1
                self._taken = False
                self._times.append(now)
                self._cond.notify_all()


def _release(capture: Capture) -> None:
    with contextlib.suppress(Exception):  # releasing a dead device may fail: nothing to do
        capture.release()


class LiveSource:
    """A camera or stream read through a ``LatestFrameGrabber``; iterates until closed."""

    live = True
    stills = False

    def __init__(
        self,
        name: str,
        open_capture: Callable[[], Capture | None],
        *,
        poll_s: float = 0.25,
        note: Callable[[], str | None] = lambda: None,
        **grabber_options: Any,
    ) -> None:
        self.name = name
        self.poll_s = poll_s
        self._note = note
        self.grabber = LatestFrameGrabber(open_capture, name, **grabber_options).start()

    def __iter__(self) -> Iterator[Item]:
        while not self.grabber.stopped:
            frame = self.grabber.get(self.poll_s)
            if frame is not None:
                yield frame

    def stats(self) -> SourceStats:
        return dataclasses.replace(self.grabber.stats(), note=self._note())

    def close(self) -> None:
        self.grabber.stop()

    def __enter__(self) -> LiveSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


V4L2_EXPOSURE_MANUAL = 1
"""V4L2's ``exposure_auto`` menu value for manual exposure (3 is aperture priority)."""
WINDOWS_EXPOSURE_MANUAL = 0.25
"""What Media Foundation and DirectShow read as "auto exposure off" through OpenCV."""


def exposure_controls(backend: str, exposure_ms: float) -> list[tuple[int, float]] | None:
    """The capture properties that set ``exposure_ms`` on a camera of ``backend``.

    V4L2 counts ``exposure_time_absolute`` in units of 100 µs; Media
    Foundation and DirectShow take log2 of seconds, in whole steps (2 ms is
    -9, i.e. 1/512 s).  None for a backend with no known exposure unit.
    """
    if backend == "V4L2":
        units = max(1, round(exposure_ms * 10))
        return [
            (cv2.CAP_PROP_AUTO_EXPOSURE, V4L2_EXPOSURE_MANUAL),
            (cv2.CAP_PROP_EXPOSURE, units),
        ]
    if backend in ("MSMF", "DSHOW"):
        return [
            (cv2.CAP_PROP_AUTO_EXPOSURE, WINDOWS_EXPOSURE_MANUAL),
            (cv2.CAP_PROP_EXPOSURE, round(math.log2(exposure_ms / 1000))),
        ]
    return None


class SettableCapture(Capture, Protocol):
    """A capture whose properties can be set (``cv2.VideoCapture``)."""

    def set(self, prop: int, value: float) -> bool: ...

    def getBackendName(self) -> str: ...  # OpenCV's name


def apply_exposure(capture: SettableCapture, exposure_ms: float | None) -> str | None:
    """Set a manual exposure on an opened camera; a note if it cannot be set, else None."""
    if exposure_ms is None:
        return None
    try:
        backend = capture.getBackendName()
    except cv2.error:
        backend = "unknown"
    controls = exposure_controls(backend, exposure_ms)
    if controls is None:
        return f"exposure {exposure_ms:g} ms not set: backend {backend} has no exposure control"
    try:
        refused = [prop for prop, value in controls if not capture.set(prop, value)]
    except cv2.error as exc:
        return f"exposure {exposure_ms:g} ms not set: {exc}"
    if refused:
        return f"exposure {exposure_ms:g} ms refused by the camera ({backend}); auto exposure"
    return None


class CameraOpener:
    """Opens camera ``index`` at the configured size, rate and exposure, or returns None.

    ``note`` says what the last opened camera refused (its exposure), for the status line;
    a note is logged once, not at every reopen.
    """

    def __init__(self, index: int, camera: CameraConfig) -> None:
        self.index = index
        self.camera = camera
        self.note: str | None = None

    def __call__(self) -> Capture | None:
        capture = cv2.VideoCapture(self.index)
        if not capture.isOpened():
            capture.release()
            return None
        capture.set(cv2.CAP_PROP_FRAME_WIDTH, self.camera.width)
        capture.set(cv2.CAP_PROP_FRAME_HEIGHT, self.camera.height)
        capture.set(cv2.CAP_PROP_FPS, self.camera.fps)
        capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        note = apply_exposure(capture, self.camera.exposure_ms)
        if note and note != self.note:
            log.warning("camera %d: %s", self.index, note)
        self.note = note
        return capture


def stream_opener(url: str) -> Callable[[], Capture | None]:
    """Opens a stream URL with FFmpeg and bounded open/read timeouts, or returns None."""

    def open_stream() -> Capture | None:
        params = [
            cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
            OPEN_TIMEOUT_MS,
            cv2.CAP_PROP_READ_TIMEOUT_MSEC,
            OPEN_TIMEOUT_MS,
        ]
        capture = cv2.VideoCapture(url, cv2.CAP_FFMPEG, params)
        if not capture.isOpened():
            capture.release()
            return None
        return capture

    return open_stream


# --- opening by spec -----------------------------------------------------------------


def camera_index(spec: str) -> int | None:
    """The camera index in ``"0"`` or ``"cam:0"``, else None."""
    digits = spec[4:] if spec.lower().startswith("cam:") else spec
    return int(digits) if digits.isdigit() and len(digits) <= 3 else None


def _open_live(
    name: str,
    opener: Callable[[], Capture | None],
    what: str,
    note: Callable[[], str | None] = lambda: None,
) -> LiveSource:
    """Open once here so a wrong spec fails at start; later losses are the grabber's job."""
    first = opener()
    if first is None:
        raise SourceError(f"{name}: cannot open {what}")
    handed = [first]

    def reopen() -> Capture | None:
        return handed.pop() if handed else opener()

    return LiveSource(name, reopen, note=note)


def open_source(
    spec: str,
    camera: CameraConfig | None = None,
    *,
    realtime: bool = False,
    loop: bool = False,
    stdin: TextIO | None = None,
) -> FrameSource:
    """The frame source ``spec`` names.

    ``"wedge"``/``"-"``: scanned text lines from ``stdin``; ``"0"``/``"cam:0"``:
    a camera; ``rtsp://``, ``http://``...: a stream; else a path: a folder of
    images, an image file or a video file.  ``realtime`` paces file sources at
    their frame rate (a folder of images at ``camera.fps``); ``loop`` starts
    them again at the end.  Live sources ignore both.
    """
    camera = camera or CameraConfig()
    spec = spec.strip()
    if not spec:
        raise SourceError("no frame source given (a camera index, URL, video, folder or 'wedge')")
    if spec.lower() in WEDGE_SPECS:
        return WedgeSource(stdin)
    index = camera_index(spec)
    if index is not None:
        opener = CameraOpener(index, camera)
        return _open_live(f"camera {index}", opener, f"camera {index}", lambda: opener.note)
    if spec.lower().startswith(STREAM_SCHEMES):
        return _open_live(spec, stream_opener(spec), "stream")
    return _open_path(Path(spec).expanduser(), camera, realtime, loop)


def _open_path(path: Path, camera: CameraConfig, realtime: bool, loop: bool) -> FrameSource:
    if not path.exists():
        raise SourceError(f"{path}: no such file or folder")
    if path.is_dir():
        files = image_files(path)
        if not files:
            raise SourceError(f"{path}: not a video or image folder (no png/jpg/bmp/webp inside)")
        return ImageFilesSource(str(path), files, fps=camera.fps, realtime=realtime, loop=loop)
    if not path.is_file():
        raise SourceError(f"{path}: not a regular file")
    if not os.access(path, os.R_OK):
        raise SourceError(f"{path}: permission denied")
    if path.suffix.lower() in IMAGE_SUFFIXES:
        read_image(path)  # fail now, not in the middle of the loop
        return ImageFilesSource(str(path), [path], fps=camera.fps, realtime=realtime, loop=loop)
    return VideoFileSource(path, realtime=realtime, loop=loop)
