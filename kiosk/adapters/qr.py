"""QR decoding: one function in front of three decoder libraries.

This module owns the choice of QR decoder and nothing else.  It turns a camera
frame (a grey or BGR ``numpy`` array) into the texts of the QR codes in it,
with where they are and how long the read took.  Colour frames are read as a
blue-weighted grey (``GREY_WEIGHTS``), because health-code apps draw their
codes green, yellow or red, and a yellow code keeps little contrast in plain
luminance.  It does not judge the texts:
whatever a decoder returns is handed on (the codec rejects what is not a health
code), but a decoder's odd output never raises out of here.

Backends, measured in ``BENCHMARKS.md``:

- ``zxing`` (zxing-cpp, a wheel with its native library inside).
  QR only, and only the QR code itself (Model 2): zxing-cpp 3's QR family also
  reads Micro QR and rMQR, symbols too small to hold a health code, and a QR
  code's finder pattern, blurred, once read as a Micro QR symbol gave a phantom
  text.  Reading every format is much slower.  The library's own
  defaults are kept: ``try_invert`` reads dark-mode screens, ``try_downscale``
  reads close-ups.
- ``zxing-rescue`` (the default, ``ReadSettings``): zxing-cpp, and every symbol
  the library located but could not read is read again from an upscaled,
  sharpened crop, whether or not other symbols in the frame were read (a
  poster on the wall never hides a blurred phone).  Frames without a symbol
  cost the same as plain ``zxing``.  A noisy frame (a short exposure with the
  camera's gain up, a dark lobby) is smoothed first: noise makes zxing-cpp's
  finder search several times slower.  Stills (a folder of photos) are also
  read in two more whole-frame views, and a code smeared by motion is found and
  deblurred (``kiosk.adapters.deblur``).  Every symbol is returned, in reading
  order (``reading_order``).
- ``zbar`` (pyzbar, optional extra ``zbar``, needs the system's libzbar0): it
  does not read inverted codes, so a frame it finds nothing in is inverted and
  read again.
- ``opencv``: ``cv2.QRCodeDetectorAruco`` where this OpenCV build has it, else
  ``cv2.QRCodeDetector``.

``Cascade`` is the kiosk's decoder: the primary backend on every frame and,
once the primary has missed for a while, a fallback backend on a low-rate
schedule, so that a slow decoder never costs more than a fraction of frames.
On a stream it estimates the frame noise on one frame in ``NOISE_EVERY``.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from kiosk.adapters import deblur

BACKENDS = ("zxing", "zxing-rescue", "zbar", "opencv")
"""Every decoder backend this module knows, available or not."""

DEFAULT_PRIMARY = "zxing-rescue"
"""The cascade's primary stage: zxing-cpp, plus a second look at symbols it found but
could not read: it reads blurred and small codes plain zxing-cpp misses, on the footage
and on real photos, and costs nothing on empty frames (BENCHMARKS.md, "QR decoders",
"Real photos")."""

DEFAULT_FALLBACK: str | None = None
"""The cascade's fallback backend.  None: on the frames zxing-cpp missed, OpenCV and zbar
read almost none, at many times the cost, and on walk-up videos neither read anyone
sooner or more often (BENCHMARKS.md, "QR decoders")."""

FALLBACK_EVERY = 5
"""Once the fallback is on, it runs on one frame in this many."""


@dataclass(frozen=True)
class QrRead:
    """One QR code found in one frame.

    ``corners`` are the code's corners in frame pixels, clockwise from the
    top-left module as the decoder reports them; ``ms`` is the time the
    backend took for the whole frame.
    """

    text: str
    corners: tuple[tuple[int, int], ...]
    backend: str
    ms: float


class BackendUnavailable(Exception):
    """A decoder backend cannot run here (library or system library missing)."""


Reader = Callable[[np.ndarray, float | None], list[tuple[str, tuple[tuple[int, int], ...]]]]
"""A backend: (grey frame, its noise if known) -> [(text, corners)].  The noise is an
estimate from ``noise_sigma`` the caller may already have (a stream's cameras change
their noise slowly); None lets a backend that needs it estimate it on this frame."""


GREY_WEIGHTS = {"blue": 0.299, "green": 0.587, "red": 0.114}
"""How a colour frame becomes the grey the decoders read: luminance's weights with blue's
and red's exchanged.  Health-code apps draw the code in its colour, and a yellow code has
almost no blue: by luminance it is 188 grey on a 246 screen, a quarter of a black code's
contrast, and dimmed yellow codes go unread.  Red codes gain contrast too, green ones lose
a little.  Grey pixels, and so the noise, stay as they are, and the conversion costs the
same (one ``cv2.cvtColor``, reading the BGR frame as RGB).  On real photos (black codes)
it reads as many as luminance or more in every folder.  Measured in BENCHMARKS.md,
"Coloured codes" and "Real photos"."""


def to_grey(frame: np.ndarray) -> np.ndarray:
    """The contiguous 8-bit grey image the decoders read, from a grey, BGR or BGRA frame
    (colour by ``GREY_WEIGHTS``).  ``TypeError``/``ValueError`` name what is wrong."""
    if not isinstance(frame, np.ndarray):
        raise TypeError(f"a frame is a numpy array, got {type(frame).__name__}")
    if frame.dtype != np.uint8:
        raise ValueError(f"a frame holds 8-bit pixels, got {frame.dtype}")
    if frame.ndim == 3 and frame.shape[2] == 1:
        frame = frame[:, :, 0]
    if frame.ndim == 3 and frame.shape[2] in (3, 4):
        import cv2

        # RGB2GRAY on BGR data: blue weighs 0.299 and red 0.114 (GREY_WEIGHTS)
        code = cv2.COLOR_RGB2GRAY if frame.shape[2] == 3 else cv2.COLOR_RGBA2GRAY
        return cv2.cvtColor(frame, code)
    if frame.ndim != 2:
        raise ValueError(f"a frame is grey (H, W) or BGR (H, W, 3), got shape {frame.shape}")
    return np.ascontiguousarray(frame)


def _as_text(value: object) -> str:
    """Any decoder output as a str; undecodable bytes become U+FFFD, never an exception."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", errors="replace")
    return ""


def _points(points: Any) -> tuple[tuple[int, int], ...]:
    try:
        return tuple((round(float(x)), round(float(y))) for x, y in points)
    except (TypeError, ValueError):
        return ()


# --- zxing-cpp -------------------------------------------------------------------------


NOISY_SIGMA = 3.5
"""Estimated noise (grey levels) from which a frame is smoothed (3x3 box) before the
default stage reads it.  On noisy frames zxing-cpp's finder search takes several times
longer, and it reads the smoothed frame as often in a fraction of the time; clean frames
are read as they are, since smoothing costs the smallest codes their reads
(BENCHMARKS.md, "QR decoders, third run"; on real photos it changes no read but one
close-up's: "Real photos")."""

DOWNSCALE_TRIES = True
"""The default stage lets zxing-cpp also try downscaled copies of every frame, as its
defaults do.  Real photos need them: close-ups and codes on monitors have modules too big
for its binarizer at full size, which the generated footage never showed (an earlier
default kept them only above 1080 rows).  They cost a fraction of a millisecond a 720p
frame (BENCHMARKS.md, "Real photos", "Frame cost with several codes")."""

DOWNSCALE_EVERY = 3
"""A stream's ``Cascade`` lets the default stage make its downscaled tries on one frame in
this many.  They cost about a quarter of an empty frame's read, and only close-ups need
them; a close-up is held for many frames, so it is read at most two frames (67 ms at
30 fps) later, and two frames in three save the cost.  Stills make them on every photo
(BENCHMARKS.md, "Frame cost with several codes")."""

ROTATE_TRIES = False
"""The default stage turns zxing-cpp's ``try_rotate`` off.  It concerns linear barcodes
(the library retries them in rotated copies); QR finder patterns are found at any angle,
and the real photos' ``rotations`` folder reads the same without it (BENCHMARKS.md,
"Real photos")."""

NOISE_ROW_STEP = 16
"""``noise_sigma`` looks at every this-many-th row."""

NOISE_EVERY = 10
"""A ``Cascade`` on a stream of frames estimates the noise on one frame in this many and
keeps the figure for the others: a camera's noise follows its gain and the room's light,
which change over seconds, not frames: a third of a second at 30 fps, for an estimate
that costs a noticeable share of an empty frame's time (BENCHMARKS.md, "People walking
up, fifth run")."""

USES_NOISE = frozenset({"zxing-rescue"})
"""The backends that look at a frame's noise (and so are worth estimating it for)."""


def noise_sigma(grey: np.ndarray) -> float:
    """The noise of a grey frame, as a standard deviation in grey levels.

    The median absolute second difference along every ``NOISE_ROW_STEP``-th
    row, scaled for Gaussian noise (the second difference of white noise has
    6 times its variance; the median absolute value of a normal variable is
    0.6745 sigma).  The median ignores the edges of codes and objects; it looks
    at one row in ``NOISE_ROW_STEP``, so it is cheap next to a read.
    """
    rows = grey[::NOISE_ROW_STEP].astype(np.int16)
    if rows.shape[1] < 3:
        return 0.0
    second = np.abs(rows[:, :-2] - 2 * rows[:, 1:-1] + rows[:, 2:]).ravel()
    counts = np.bincount(second, minlength=1021).cumsum()
    median = int(np.searchsorted(counts, counts[-1] / 2))
    return median / (0.6745 * 6**0.5)


RESCUE_MARGIN = 0.6
"""Margin around a detected-but-unread symbol, as a share of its size, for the rescue crop."""

DEBLUR_MARGIN = 0.3
"""Margin around a blurred symbol's square, as a share of its size, for the deblur crop:
the deconvolution needs the code's quiet zone and some screen around it."""

DEBLUR_SIDE = 480
"""A deblur crop larger than this (pixels, its longer side) is shrunk to it first: the FFTs
cost its area, and a code that large has modules to spare."""

DEBLUR_CAP = 2
"""At most this many symbols a frame are deblurred (each costs a few FFTs of its crop and
up to three reads of it enlarged)."""

STILLS_UPSCALE = 1.5
"""The stills view's scale: real photos' smallest codes (a sheet of many codes) have modules
of 2-3 pixels, which zxing-cpp reads once enlarged."""


@dataclass(frozen=True)
class ReadSettings:
    """What the default stage does to a grey frame; each setting is measured on real photos
    and on the generated footage side by side (``bench/real_photos.py``,
    ``bench/decoders.py``).

    ``model2_only``: only QR Model 2 reads are kept (zxing-cpp 3's QR family also reads
    Micro QR and rMQR, symbols too small for a health code, and read a blurred finder
    pattern as a phantom); ``locate_family``: symbols are still located with the whole
    family, and a Micro QR or rMQR symbol located but not read goes to the rescue, read as
    Model 2 only: on real photos these are mostly QR codes (a sheet of small codes, a
    bright spot) the rescue then reads;
    ``downscale``/``rotate``: zxing-cpp's tries (``DOWNSCALE_TRIES``, ``ROTATE_TRIES``);
    ``smooth``: a noisy frame is smoothed first (``NOISY_SIGMA``); ``rescue``: a symbol
    located but not read is read again from a sharpened, upscaled crop; ``deblur``: a
    symbol located but not read even so, if its crop shows a linear motion blur, is read
    from the crop deconvolved (``kiosk.adapters.deblur``; at most ``DEBLUR_CAP`` a frame);
    ``hunt``: squares of dense gradients (``deblur.blurred_regions``) that no read
    covers are deblurred too, if smeared: a smear past a module hides the finder
    patterns from the locator, so this is the only way to such a code, and it costs
    every frame with texture in view; both on stills only; ``stills``: a photo is also
    read in two more whole-frame views (``stills_views``), which a frame of a stream
    cannot afford.
    """

    model2_only: bool = True
    locate_family: bool = True
    downscale: bool = DOWNSCALE_TRIES
    rotate: bool = ROTATE_TRIES
    smooth: bool = True
    rescue: bool = True
    deblur: bool = False
    hunt: bool = False
    stills: bool = False


DEFAULT_SETTINGS = ReadSettings()
"""The default stage on a stream of frames.  No deblurring: on the footage's motion frames
a smear that defeats the rescue also hides the finder patterns, so the located symbols it
would deblur are almost never the smeared phone (it read none more, on the footage or on
real photos), and the hunt costs tens of milliseconds a textured frame.  A stream has the
camera's short exposure instead, and the next frame (BENCHMARKS.md, "Motion blur")."""

STILLS_SETTINGS = ReadSettings(stills=True, deblur=True, hunt=True)
"""The default stage on stills (a folder of photos, ``kiosk decode``)."""

PLAIN_SETTINGS = ReadSettings(rotate=True, smooth=False, rescue=False)
"""The ``zxing`` backend: zxing-cpp's defaults, QR Model 2 only."""

LIBRARY_DEFAULTS = ReadSettings(
    model2_only=False, downscale=True, rotate=True, smooth=False, rescue=False
)
"""zxing-cpp's own defaults (QR family), for the benchmarks' side-by-side column."""


def _crop(
    grey: np.ndarray, corners: tuple[tuple[int, int], ...], share: float = RESCUE_MARGIN
) -> tuple[np.ndarray, int, int]:
    """The part of the frame around a symbol's corners, with a margin of ``share`` of its
    size; and its offset."""
    xs = [x for x, _ in corners]
    ys = [y for _, y in corners]
    side = max(max(xs) - min(xs), max(ys) - min(ys))
    margin = int(side * share) + 8
    h, w = grey.shape[:2]
    x0, y0 = max(0, min(xs) - margin), max(0, min(ys) - margin)
    x1, y1 = min(w, max(xs) + margin), min(h, max(ys) + margin)
    return grey[y0:y1, x0:x1], x0, y0


def _rescue_views(crop: np.ndarray) -> list[tuple[np.ndarray, float]]:
    """Enhanced copies of a crop to read again, each with its scale back to the crop."""
    import cv2

    sharp = cv2.addWeighted(crop, 2.0, cv2.GaussianBlur(crop, (0, 0), 2.0), -1.0, 0)
    return [
        (cv2.resize(crop, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC), 2.0),
        (sharp, 1.0),
        (cv2.resize(sharp, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC), 2.0),
    ]


def _stills_views(grey: np.ndarray) -> list[tuple[np.ndarray, float, bool]]:
    """The whole-frame views a still is read in again: (view, scale, global binarizer).

    The photo under zxing-cpp's global-histogram binarizer (a code in a bright spot or a
    shadow that the local binarizer splits), and a contrast-equalised (CLAHE) copy at
    ``STILLS_UPSCALE`` (small codes, glare, low contrast)."""
    import cv2

    clahe = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(grey)
    big = cv2.resize(
        clahe, None, fx=STILLS_UPSCALE, fy=STILLS_UPSCALE, interpolation=cv2.INTER_CUBIC
    )
    return [(grey, 1.0, True), (big, STILLS_UPSCALE, False)]


def _centre(corners: tuple[tuple[int, int], ...]) -> tuple[float, float]:
    return (sum(x for x, _ in corners) / len(corners), sum(y for _, y in corners) / len(corners))


def _inside(point: tuple[float, float], corners: tuple[tuple[int, int], ...]) -> bool:
    """Whether ``point`` lies inside the convex quadrilateral ``corners`` (either winding)."""
    if len(corners) < 3:
        return False
    signs = set()
    for (x0, y0), (x1, y1) in zip(corners, (*corners[1:], corners[0]), strict=True):
        cross = (x1 - x0) * (point[1] - y0) - (y1 - y0) * (point[0] - x0)
        if cross:
            signs.add(cross > 0)
    return len(signs) <= 1


def same_symbol(a: tuple[tuple[int, int], ...], b: tuple[tuple[int, int], ...]) -> bool:
    """Whether two quadrilaterals are the same symbol: either's centre inside the other."""
    return bool(a and b) and (_inside(_centre(a), b) or _inside(_centre(b), a))


def _zxing_reader(settings: ReadSettings = DEFAULT_SETTINGS) -> Reader:
    """zxing-cpp, QR only, as ``settings`` ask.  With ``rescue``, every symbol the library
    located but could not read (blur, a small code, glare) is cropped and read again
    upscaled and sharpened, whether or not other symbols in the frame were read; a frame
    with nothing in it costs nothing more."""
    try:
        import zxingcpp
    except ImportError as exc:
        raise BackendUnavailable(f"zxing: zxing-cpp is not installed ({exc})") from None
    # zxing-cpp 3: QRCode is the family (Model 1, Model 2, Micro QR, rMQR); 2.x: Model 2 only
    family = zxingcpp.BarcodeFormat.QRCode
    model2 = getattr(zxingcpp.BarcodeFormat, "QRCodeModel2", family)
    formats: Any = model2 if settings.model2_only else family
    locate: Any = family if settings.locate_family else formats
    # a valid read of the family names its own format: QRCode for a Model 2 symbol
    others = {
        getattr(zxingcpp.BarcodeFormat, name, None)
        for name in ("MicroQRCode", "RMQRCode", "QRCodeModel1")
    } - {None}
    global_binarizer = zxingcpp.Binarizer.GlobalHistogram

    def corners_of(barcode: Any, scale: float = 1.0, dx: int = 0, dy: int = 0) -> Any:
        p = barcode.position
        return _points(
            (pt.x / scale + dx, pt.y / scale + dy)
            for pt in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)
        )

    def read(
        grey: np.ndarray, noise: float | None = None
    ) -> list[tuple[str, tuple[tuple[int, int], ...]]]:
        found: list[tuple[str, tuple[tuple[int, int], ...]]] = []
        unread = []

        def add(text: str, corners: tuple[tuple[int, int], ...]) -> bool:
            if any(same_symbol(corners, c) for _, c in found):
                return False
            found.append((text, corners))
            return True

        def deblurred(grey: np.ndarray, corners: tuple[tuple[int, int], ...], share: float) -> None:
            """Read the symbol at ``corners`` from its crop deconvolved, if it is smeared."""
            import cv2

            inner = _crop(grey, corners, share / 2)[0]
            crop, x0, y0 = _crop(grey, corners, share)
            shrink = min(1.0, DEBLUR_SIDE / max(crop.shape))
            if shrink < 1.0:
                crop = cv2.resize(crop, None, fx=shrink, fy=shrink, interpolation=cv2.INTER_AREA)
                inner = cv2.resize(inner, None, fx=shrink, fy=shrink, interpolation=cv2.INTER_AREA)
            blur = deblur.estimate(inner)
            if blur is None:
                return
            scale = deblur.VIEW_SCALE * shrink
            for view in deblur.deblurred_views(crop, blur):
                reads = zxingcpp.read_barcodes(view, formats=formats, try_rotate=settings.rotate)
                if [add(_as_text(b.text), corners_of(b, scale, x0, y0)) for b in reads if b.valid]:
                    return

        if settings.smooth and (noise_sigma(grey) if noise is None else noise) >= NOISY_SIGMA:
            import cv2

            grey = cv2.blur(grey, (3, 3))
        for barcode in zxingcpp.read_barcodes(
            grey,
            formats=locate if settings.rescue else formats,
            return_errors=settings.rescue,
            try_downscale=settings.downscale,
            try_rotate=settings.rotate,
        ):
            if barcode.valid and not (settings.model2_only and barcode.format in others):
                add(_as_text(barcode.text), corners_of(barcode))
            else:
                unread.append(corners_of(barcode))
        blurred = []
        for corners in unread:
            if any(same_symbol(corners, c) for _, c in found):
                continue  # read after all, in another of the library's tries
            crop, x0, y0 = _crop(grey, corners)
            for view, scale in _rescue_views(crop):
                reads = zxingcpp.read_barcodes(view, formats=formats, try_rotate=settings.rotate)
                added = [
                    add(_as_text(b.text), corners_of(b, scale, x0, y0)) for b in reads if b.valid
                ]
                if added:
                    break
            else:
                blurred.append((corners, RESCUE_MARGIN))
        if settings.hunt:
            blurred += [(c, DEBLUR_MARGIN) for c in deblur.blurred_regions(grey)]
        if settings.deblur or settings.hunt:
            tried = 0
            for corners, share in blurred:
                if tried >= DEBLUR_CAP:
                    break
                if any(same_symbol(corners, c) for _, c in found):
                    continue
                tried += 1
                deblurred(grey, corners, share)
        if settings.stills:
            for view, scale, is_global in _stills_views(grey):
                for b in zxingcpp.read_barcodes(
                    view,
                    formats=formats,
                    try_rotate=settings.rotate,
                    try_downscale=settings.downscale and scale == 1.0,
                    binarizer=global_binarizer if is_global else zxingcpp.Binarizer.LocalAverage,
                ):
                    if b.valid:
                        add(_as_text(b.text), corners_of(b, scale))
        return found

    return read


# --- zbar ----------------------------------------------------------------------------


def _zbar_reader() -> Reader:
    try:
        from pyzbar import pyzbar
    except ImportError as exc:
        raise BackendUnavailable(
            f"zbar: pyzbar is not installed (pip install 'checkpoint-kiosk[zbar]'): {exc}"
        ) from None
    except OSError as exc:  # pyzbar is there but the system library libzbar0 is not
        raise BackendUnavailable(
            f"zbar: the system library libzbar0 is missing (apt-get install libzbar0): {exc}"
        ) from None
    qr_only = [pyzbar.ZBarSymbol.QRCODE]

    def decode(grey: np.ndarray) -> list[tuple[str, tuple[tuple[int, int], ...]]]:
        return [
            (_as_text(s.data), _points((pt.x, pt.y) for pt in s.polygon))
            for s in pyzbar.decode(grey, symbols=qr_only)
        ]

    def read(
        grey: np.ndarray, noise: float | None = None
    ) -> list[tuple[str, tuple[tuple[int, int], ...]]]:
        # zbar reads dark modules on light ground only: try the inverted frame too.
        return decode(grey) or decode(np.ascontiguousarray(255 - grey))

    return read


# --- OpenCV --------------------------------------------------------------------------


def _opencv_reader() -> Reader:
    import cv2

    factory = getattr(cv2, "QRCodeDetectorAruco", None) or cv2.QRCodeDetector
    local = threading.local()  # OpenCV detectors keep state: one per thread

    def read(
        grey: np.ndarray, noise: float | None = None
    ) -> list[tuple[str, tuple[tuple[int, int], ...]]]:
        detector = getattr(local, "detector", None)
        if detector is None:
            detector = local.detector = factory()
        try:
            ok, texts, points, _ = detector.detectAndDecodeMulti(grey)
        except cv2.error:
            return []
        if not ok or points is None:
            return []
        return [
            (_as_text(text), _points(quad))
            for text, quad in zip(texts, points, strict=False)
            if text
        ]

    return read


_FACTORIES: dict[str, Callable[[], Reader]] = {
    "zxing": lambda: _zxing_reader(PLAIN_SETTINGS),
    "zxing-rescue": lambda: _zxing_reader(DEFAULT_SETTINGS),
    "zbar": _zbar_reader,
    "opencv": _opencv_reader,
}
_STILLS: dict[str, ReadSettings] = {"zxing-rescue": STILLS_SETTINGS}
"""Backends that read stills (a folder of photos) with more views than a stream's frames."""
_readers: dict[str, Reader] = {}
_readers_lock = threading.Lock()
_settings_readers: dict[ReadSettings, Reader] = {}


def settings_reader(settings: ReadSettings) -> Reader:
    """zxing-cpp read as ``settings`` ask (for the benchmarks' stage-by-stage columns)."""
    with _readers_lock:
        if settings not in _settings_readers:
            _settings_readers[settings] = _zxing_reader(settings)
        return _settings_readers[settings]


def _reader(backend: str) -> Reader:
    if backend not in _FACTORIES:
        raise ValueError(f"unknown QR backend {backend!r}: expected one of {', '.join(BACKENDS)}")
    with _readers_lock:
        if backend not in _readers:
            _readers[backend] = _FACTORIES[backend]()
        return _readers[backend]


def available_backends() -> tuple[str, ...]:
    """The backends that can run on this machine, in order of preference."""
    found = []
    for name in BACKENDS:
        try:
            _reader(name)
        except BackendUnavailable:
            continue
        found.append(name)
    return tuple(found)


def reading_order(reads: Sequence[QrRead]) -> list[QrRead]:
    """``reads`` top to bottom, and left to right within a row: two symbols are in one row
    when their centres are less than half the smaller one's height apart vertically.  A
    frame's reads come out in the same order whichever pass read them first."""
    placed = sorted(
        ((_centre(r.corners) if r.corners else (0.0, 0.0), _height(r.corners), r) for r in reads),
        key=lambda item: (item[0][1], item[0][0]),
    )
    rows: list[list[tuple[tuple[float, float], float, QrRead]]] = []
    for item in placed:
        last = rows[-1][-1] if rows else None
        if last is not None and item[0][1] - last[0][1] < 0.5 * min(item[1], last[1]):
            rows[-1].append(item)
        else:
            rows.append([item])
    return [r for row in rows for _, _, r in sorted(row, key=lambda item: item[0][0])]


def _height(corners: tuple[tuple[int, int], ...]) -> float:
    ys = [y for _, y in corners]
    return float(max(ys) - min(ys)) if ys else 0.0


def decode_frame(
    frame: np.ndarray,
    backend: str = "zxing",
    *,
    noise: float | None = None,
    stills: bool = False,
    downscale: bool = True,
) -> list[QrRead]:
    """Every QR symbol ``backend`` finds in ``frame`` (grey or BGR, 8-bit), in reading order.

    ``noise`` is the frame's noise (``noise_sigma``) if the caller knows it;
    None: estimated here when the backend needs it.  ``stills``: the frame is
    a photo, not one of a stream's frames; the default stage then reads it in
    more views (``ReadSettings.stills``).  Raises ``BackendUnavailable`` if the
    backend cannot run here, ``ValueError`` for an unknown backend or a frame
    that is not an 8-bit image.  Every symbol is returned, two showing the same
    text included (a sheet of codes, a family's phones); one symbol read twice
    is returned once.  ``downscale`` False skips the default stage's downscaled
    tries on this frame (a stream's ``Cascade`` makes them on one frame in
    ``DOWNSCALE_EVERY``).
    """
    read = _reader(backend)
    if stills and backend in _STILLS:
        read = settings_reader(_STILLS[backend])
    elif not downscale and backend == "zxing-rescue":
        read = settings_reader(dataclasses.replace(DEFAULT_SETTINGS, downscale=False))
    grey = to_grey(frame)
    start = time.perf_counter()
    found = read(grey, noise)
    ms = (time.perf_counter() - start) * 1000.0
    reads: list[QrRead] = []
    for text, corners in found:
        if any(r.text == text and same_symbol(r.corners, corners) for r in reads):
            continue
        reads.append(QrRead(text=text, corners=corners, backend=backend, ms=ms))
    return reading_order(reads)


class Cascade:
    """The kiosk's decoder: ``primary`` on every frame, ``fallback`` when it keeps missing.

    After ``fallback_after`` consecutive frames in which the primary read
    nothing, the fallback runs on one frame in ``fallback_every`` until the
    primary reads again.  An unavailable fallback is dropped at construction,
    so a kiosk without libzbar0 still runs on the primary alone.  The frame's
    noise, for a primary that looks at it, is estimated on one frame in
    ``noise_every`` (1 for stills: unrelated photos each have their own) and
    again whenever the frame size changes.  ``stills``: the frames are unrelated
    photos, read in the default stage's extra views (``ReadSettings.stills``).
    Not thread-safe: one cascade per frame loop.
    """

    def __init__(
        self,
        primary: str = DEFAULT_PRIMARY,
        fallback: str | None = DEFAULT_FALLBACK,
        *,
        fallback_after: int = 15,
        fallback_every: int = FALLBACK_EVERY,
        noise_every: int = NOISE_EVERY,
        stills: bool = False,
    ) -> None:
        if fallback_after < 1 or fallback_every < 1 or noise_every < 1:
            raise ValueError("fallback_after, fallback_every and noise_every are at least 1")
        _reader(primary)
        if fallback is not None:
            try:
                _reader(fallback)
            except BackendUnavailable:
                fallback = None
        self.primary = primary
        self.fallback = fallback
        self.fallback_after = fallback_after
        self.fallback_every = fallback_every
        self.noise_every = noise_every
        self.stills = stills
        self.frames = 0
        self.misses = 0
        self.fallback_runs = 0
        self.noise: float | None = None
        """The last noise estimate (None: none yet, or the primary does not use it)."""
        self.noise_estimates = 0
        self._noise_age = 0
        self._noise_shape: tuple[int, ...] = ()

    @classmethod
    def from_config(
        cls, camera: Any, fallback: str | None = DEFAULT_FALLBACK, *, stills: bool = False
    ) -> Cascade:
        """A cascade with ``camera.fallback_after`` (a ``CameraConfig``); ``stills`` for a
        source of unrelated images (a folder), whose noise is estimated on every one."""
        return cls(
            fallback=fallback,
            fallback_after=int(camera.fallback_after),
            noise_every=1 if stills else NOISE_EVERY,
            stills=stills,
        )

    def _fallback_due(self) -> bool:
        past = self.misses - self.fallback_after
        return self.fallback is not None and past >= 0 and past % self.fallback_every == 0

    def _noise_of(self, grey: np.ndarray) -> float | None:
        """The noise to read ``grey`` with: a fresh estimate when one is due, else the last."""
        if self.primary not in USES_NOISE:
            return None
        due = self._noise_age >= self.noise_every or grey.shape != self._noise_shape
        if self.noise is None or due:
            self.noise = noise_sigma(grey)
            self.noise_estimates += 1
            self._noise_age = 0
            self._noise_shape = grey.shape
        self._noise_age += 1
        return self.noise

    def __call__(self, frame: np.ndarray) -> list[QrRead]:
        return self.decode(frame)

    def decode(self, frame: np.ndarray) -> list[QrRead]:
        grey = to_grey(frame)
        self.frames += 1
        downscale = self.stills or self.frames % DOWNSCALE_EVERY == 0
        reads = decode_frame(
            grey,
            self.primary,
            noise=self._noise_of(grey),
            stills=self.stills,
            downscale=downscale,
        )
        if reads:
            self.misses = 0
            return reads
        self.misses += 1
        if self._fallback_due():
            assert self.fallback is not None
            self.fallback_runs += 1
            reads = decode_frame(grey, self.fallback)
        return reads

    def reset(self) -> None:
        """Forget the run of misses and the noise (e.g. when the frame source changes)."""
        self.misses = 0
        self.noise = None


def make_decoder(backend: str, *, fallback_after: int = 15) -> Callable[[np.ndarray], list[QrRead]]:
    """A frame -> reads callable for a backend name, or ``"cascade"`` for the default.

    The cascade reads every frame as a still (its own noise estimate, the extra views):
    this is the operator's tool for one frame's read, and a folder's images are unrelated."""
    if backend == "cascade":
        return Cascade(fallback_after=fallback_after, noise_every=1, stills=True)
    _reader(backend)
    return lambda frame: decode_frame(frame, backend)


def decoder_names() -> Sequence[str]:
    """The names ``make_decoder`` accepts."""
    return ("cascade", *BACKENDS)
