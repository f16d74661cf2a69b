"""Motion deblurring for QR crops: find a linear motion blur and undo it.

A phone moving while the shutter is open smears its screen along a straight line:
the camera's picture is the sharp screen convolved with a short segment (the
blur's ``length`` in pixels, along its ``angle``).  Once the smear passes about
one module, zxing-cpp no longer finds the finder patterns.  This module, for a
crop around a code (never a whole frame):

- estimates the blur (``estimate``): a segment blur makes the picture's derivative
  along the smear the difference of two copies of the sharp picture one blur length
  apart, so the derivative's 2-D autocorrelation dips at that offset, which gives the
  length and the angle together; a crop without such a dip (``MIN_DIP``) is not
  smeared and is left alone;
- undoes it (``deblurred_views``): Wiener deconvolution with the estimated segment
  (softened a little, as the camera's optics are), in a few tries (``TRIES``), each
  view enlarged for the reader (``VIEW_SCALE``);
- finds where a smeared code may be in a still (``blurred_regions``): blocks of a
  half-size frame with dense gradients that do not all lean one way, the size of a
  code.

NumPy and OpenCV only.  Measured in BENCHMARKS.md, "Motion blur".
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

MIN_DIP = -0.2
"""The derivative's autocorrelation must dip at least this low (a share of its value at
lag 0) for a crop to count as motion-blurred: a smeared code dips to -0.3..-0.5."""

MIN_LEAN = 0.2
"""How far a crop's gradients must lean one way (the structure tensor's eigenvalue
difference over their sum) to be worth an estimate: a smear weakens the gradients along
it, a smeared code leans 0.3-0.7, a sharp one 0.02-0.13 (on the footage).  This one
pass of Sobel filters turns most crops away before any FFT."""

MIN_LENGTH = 3.0
"""Shorter blurs are left to the ordinary reads (a one-module smear reads as it is)."""

MAX_LENGTH = 26
"""The longest blur (pixels) looked for."""

SOFTEN = 0.6
"""The camera's own softening (lens, demosaicing; Gaussian sigma, pixels) added to the
segment: left out, the filter sharpens noise into every module's edge."""

TRIES = ((0.0, 0.003), (-0.5, 0.001), (0.0, 0.01))
"""(length step from the estimate, the Wiener filter's noise-to-signal ratio), in the
order tried: on the footage's motion frames the first reads most, the two others read a
few the first does not (BENCHMARKS.md, "Motion blur")."""

VIEW_SCALE = 2.0
"""A deblurred crop is read enlarged: deconvolution leaves ripples at every module edge,
which zxing-cpp's binarizer reads through once modules span more pixels."""


@dataclass(frozen=True)
class Blur:
    """A linear motion blur: ``angle`` in degrees (image axes, y down, 0..180),
    ``length`` in pixels, ``dip``: how deep the autocorrelation dips (more negative:
    surer)."""

    angle: float
    length: float
    dip: float


def _parabola(before: float, at: float, after: float) -> float:
    """Sub-pixel offset of a minimum from three samples."""
    den = before - 2.0 * at + after
    return 0.5 * (before - after) / den if den > 0 else 0.0


def estimate(crop: np.ndarray) -> Blur | None:
    """The linear motion blur of a grey crop around a code, or None if it shows none.

    The derivative across the strongest gradients' normal (about the blur's direction)
    is, for a segment blur, the difference of two copies of the sharp picture one blur
    length apart: its 2-D autocorrelation (one FFT pair, windowed) dips at that offset,
    which gives the length and the angle at once, to a fraction of a pixel."""
    import cv2

    h, w = crop.shape[:2]
    if min(h, w) < 2 * MAX_LENGTH:
        return None
    f = crop.astype(np.float32)
    gx = cv2.Sobel(f, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(f, cv2.CV_32F, 0, 1, ksize=3)
    a, b, c = float((gx * gx).sum()), float((gx * gy).sum()), float((gy * gy).sum())
    if a + c <= 0 or math.hypot(a - c, 2 * b) < MIN_LEAN * (a + c):
        return None
    # gradients are strongest across the smear: the blur runs at right angles to that
    t = 0.5 * math.atan2(2 * b, a - c) + math.pi / 2
    d = gx * math.cos(t) + gy * math.sin(t)
    window = np.outer(np.hanning(h), np.hanning(w)).astype(np.float32)
    d = (d - d.mean()) * window
    power = np.abs(np.fft.rfft2(d, s=(2 * h, 2 * w))) ** 2
    r = MAX_LENGTH
    ac = np.fft.fftshift(np.fft.irfft2(power, s=(2 * h, 2 * w)))[
        h - r : h + r + 1, w - r : w + r + 1
    ]
    if ac[r, r] <= 0:
        return None
    ac = ac / ac[r, r]
    yy, xx = np.mgrid[-r : r + 1, -r : r + 1]
    rr = np.hypot(xx, yy)
    masked = np.where((rr >= MIN_LENGTH - 0.5) & (rr <= r - 1), ac, np.inf)
    iy, ix = np.unravel_index(int(np.argmin(masked)), masked.shape)
    dip = float(ac[iy, ix])
    if dip > MIN_DIP:
        return None
    vx = ix - r + _parabola(ac[iy, ix - 1], ac[iy, ix], ac[iy, ix + 1])
    vy = iy - r + _parabola(ac[iy - 1, ix], ac[iy, ix], ac[iy + 1, ix])
    length = math.hypot(vx, vy)
    if length < MIN_LENGTH:
        return None
    return Blur(angle=math.degrees(math.atan2(vy, vx)) % 180.0, length=length, dip=dip)


def kernel(length: float, angle: float, soften: float = SOFTEN) -> np.ndarray:
    """A segment ``length`` pixels long at ``angle`` degrees, softened by a Gaussian of
    ``soften`` pixels, summing to 1 (bilinear splats of points along the segment, so that
    any real length and angle are drawn)."""
    import cv2

    half = math.ceil(length / 2 + 3 * soften) + 2
    size = 2 * half + 1
    k = np.zeros((size + 1, size + 1), np.float32)
    ca, sa = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    t = np.linspace(-length / 2, length / 2, int(length * 4) + 1)
    x, y = half + t * ca, half + t * sa
    x0, y0 = np.floor(x).astype(int), np.floor(y).astype(int)
    fx, fy = (x - x0).astype(np.float32), (y - y0).astype(np.float32)
    np.add.at(k, (y0, x0), (1 - fx) * (1 - fy))
    np.add.at(k, (y0, x0 + 1), fx * (1 - fy))
    np.add.at(k, (y0 + 1, x0), (1 - fx) * fy)
    np.add.at(k, (y0 + 1, x0 + 1), fx * fy)
    segment: np.ndarray = k[:size, :size]
    if soften > 0:
        segment = cv2.GaussianBlur(segment, (0, 0), soften)
    out: np.ndarray = segment / segment.sum()
    return out


def deblurred_views(crop: np.ndarray, blur: Blur) -> Iterator[np.ndarray]:
    """The crop Wiener-deconvolved as ``TRIES`` ask, each enlarged by ``VIEW_SCALE``, as
    8-bit images (one FFT of the crop, one pair per try)."""
    import cv2

    pad = int(blur.length) + 8
    padded = cv2.copyMakeBorder(crop, pad, pad, pad, pad, cv2.BORDER_REFLECT)
    h, w = padded.shape
    spectrum = np.fft.rfft2(padded.astype(np.float32))
    for step, nsr in TRIES:
        k = kernel(max(MIN_LENGTH - 1, blur.length + step), blur.angle)
        full = np.zeros((h, w), np.float32)
        full[: k.shape[0], : k.shape[1]] = k
        full = np.roll(full, (-(k.shape[0] // 2), -(k.shape[1] // 2)), (0, 1))
        kf = np.fft.rfft2(full)
        sharp = np.fft.irfft2(spectrum * np.conj(kf) / (np.abs(kf) ** 2 + nsr), s=(h, w))
        view = np.clip(sharp[pad:-pad, pad:-pad], 0, 255).astype(np.uint8)
        yield cv2.resize(view, None, fx=VIEW_SCALE, fy=VIEW_SCALE, interpolation=cv2.INTER_CUBIC)


CELL = 4
"""``blurred_regions`` judges a half-size frame in cells of this many pixels a side (8 frame
pixels): a code spans several cells at any distance the kiosk reads from."""

REGION_MIN = 5
"""The smallest code side, in cells, ``blurred_regions`` reports (40 frame pixels)."""

DENSE = 4 * 30.0**2
"""A cell is dense when its mean squared gradient (3x3 Sobel on the half-size frame) is
above this: edges of 30 grey levels or more every pixel or two, as a code's modules make
even smeared; walls, screens and skin stay far below."""

ONE_WAY = 0.85
"""A cell whose gradients lean one way more than this (the structure tensor's eigenvalue
difference over their sum) holds a single straight edge or stripes, not a code."""


def blurred_regions(grey: np.ndarray, limit: int = 2) -> list[tuple[tuple[int, int], ...]]:
    """Up to ``limit`` squares (corners in frame pixels, clockwise from the top left)
    where a smeared code may be, largest first: blocks of dense cells on a half-size copy
    of the frame whose gradients do not all lean one way, about square and the size of a
    code.  A millisecond or two a 720p frame; whether a square really holds a smear is
    left to ``estimate``."""
    import cv2

    small = cv2.resize(grey, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    f = small.astype(np.float32)
    gx = cv2.Sobel(f, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(f, cv2.CV_32F, 0, 1, ksize=3)
    cells = (f.shape[1] // CELL, f.shape[0] // CELL)
    if min(cells) < REGION_MIN:
        return []
    sxx = cv2.resize(gx * gx, cells, interpolation=cv2.INTER_AREA)
    syy = cv2.resize(gy * gy, cells, interpolation=cv2.INTER_AREA)
    sxy = cv2.resize(gx * gy, cells, interpolation=cv2.INTER_AREA)
    energy = sxx + syy
    if not (energy > DENSE).any():
        return []
    lean = np.sqrt((sxx - syy) ** 2 + 4 * sxy * sxy)
    dense = ((energy > DENSE) & (lean < ONE_WAY * energy)).astype(np.uint8)
    mask = cv2.morphologyEx(dense, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    found = []
    for i in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[i])
        if min(w, h) < REGION_MIN or max(w, h) > 2.5 * min(w, h) or area < 0.4 * w * h:
            continue
        found.append((area, x, y, w, h))
    found.sort(reverse=True)
    k = 2 * CELL  # cells to frame pixels
    return [
        ((k * x, k * y), (k * (x + w), k * y), (k * (x + w), k * (y + h)), (k * x, k * (y + h)))
        for _, x, y, w, h in found[:limit]
    ]
