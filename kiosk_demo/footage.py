"""Synthetic checkpoint footage: phones showing QR codes, held up to a kiosk camera.

This module owns the test and demo footage.  The kiosk has no camera to rehearse
with, so the decoder benchmark, the tests and the demo all run on frames made
here.  Everything is seeded: the same arguments give the same pixels, so a
failing frame can be made again from its seed and index.

Two products:

- a folder of labelled still frames (``write_frames``), one category of
  difficulty each (small, close, rotated, tilted, blur, motion, glare,
  low_contrast, noise, jpeg, dark, moire, coloured, empty, plain), with ``manifest.jsonl``
  rows ``{"file", "text", "category", "size"}`` (``text`` null for a frame with
  no code);
- a video (``write_video``) of people walking up one after another: empty
  frames, a phone entering, held for a while in a moving hand (jitter and the
  odd motion-blurred jerk), leaving; ``manifest.jsonl`` has one row per person
  with the expected text and the first and last frame the phone is in view;
  a person may show a family's codes on one phone (``Person.family``), and a
  venue's QR poster (``poster``, a text that is not a health code) may hang on
  the wall in view for the whole video.

``render_poster_still`` and ``render_family_still`` make single frames of a
poster beside a phone and of a phone showing three codes.

The video's camera has an exposure (``exposure_ms``; None: auto exposure,
which indoors runs to 60 % of the frame interval).  A moving phone smears over
the distance it travels while the shutter is open; a shorter exposure smears
less but lets in less light: the room darkens, and once the exposure is more
than ``SCREEN_HEADROOM`` times shorter than auto, the camera's gain goes up and
with it the noise.  The lit phone screen stays well exposed throughout.

Each code is drawn with ``qrcode`` (error correction M, alphanumeric mode when
every character allows it, as the spec asks) onto a phone screen with a
rounded bezel, app chrome and a hand, warped into a cluttered scene with numpy
and OpenCV array operations only.

    python -m kiosk_demo.footage --out DIR --kind frames|video --count N --seed S \
        --size 1280x720 [--texts-file F] [--exposure-ms 2] [--poster [TEXT]]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
import qrcode
import qrcode.constants

from kiosk.core import base45

Size = tuple[int, int]
"""(width, height) in pixels."""

SIZES: tuple[Size, ...] = ((1280, 720), (640, 480))

CATEGORIES = (
    "plain",
    "small",
    "close",
    "rotated",
    "tilted",
    "blur",
    "motion",
    "glare",
    "low_contrast",
    "noise",
    "jpeg",
    "dark",
    "moire",
    "coloured",
    "empty",
)
"""Kinds of still frame, one difficulty each; ``empty`` frames hold no code."""

CODE_INKS: dict[str, tuple[int, int, int]] = {
    "G": (72, 160, 22),
    "Y": (20, 190, 250),
    "R": (50, 50, 220),
}
"""BGR colours health-code apps draw a code's modules in, by the code's colour (green,
yellow, red) on the light screen.  Grey is what matters to a decoder: the yellow's
luminance (about 188 on a 246 screen) leaves a quarter of a grey code's contrast."""

VIDEO_FOURCC = {".avi": "MJPG", ".mp4": "mp4v"}
"""Codecs this OpenCV build both writes and reads back (checked by the tests)."""

PHONE_ASPECT = 2.05
"""Phone height / width."""

QR_OF_SCREEN = 0.8
"""QR code width (with quiet zone) / screen width."""

AUTO_SHUTTER = 0.6
"""Auto exposure indoors: the shutter is open for this share of each frame interval."""

SCREEN_HEADROOM = 4.0
"""A lit phone screen is about this many times brighter than the room around it, so an
exposure up to this much shorter than auto needs no extra gain to show the screen."""

FRAME_NOISE = 2.5
"""Sensor noise (standard deviation, grey levels) of the video frames at unit gain."""


@dataclass(frozen=True)
class Person:
    """Someone who walks up and holds their phone's code to the camera."""

    text: str
    hold_s: float = 2.0
    code_ink: tuple[int, int, int] | None = None
    """BGR colour of the code's modules on a light screen (``CODE_INKS``); None: near black."""
    family: tuple[str, ...] = ()
    """More codes on the same screen (a parent showing a child's and a grandparent's codes):
    the phone is held sideways, ``text`` and then these side by side."""


@dataclass(frozen=True)
class FrameLabel:
    """What a still frame holds: the expected QR text (None: no code) and its category."""

    file: str
    text: str | None
    category: str
    size: str


@dataclass(frozen=True)
class PersonSpan:
    """Where one person is in a generated video (frame indexes, inclusive)."""

    person: int
    text: str
    first_frame: int
    last_frame: int
    hold_first: int
    hold_last: int
    dark: bool
    family: tuple[str, ...] = ()
    """The other codes on the same screen, after ``text`` in reading order (left to right)."""


@dataclass(frozen=True)
class VideoManifest:
    """A generated video: its file, frame rate, size, frame count and people."""

    file: str
    fps: float
    size: str
    frames: int
    people: tuple[PersonSpan, ...]


@dataclass(frozen=True)
class Pose:
    """Where the phone is: QR centre in frame pixels, width, in-plane and out-of-plane angles."""

    cx: float
    cy: float
    phone_w: float
    roll: float = 0.0
    yaw: float = 0.0
    pitch: float = 0.0


@dataclass(frozen=True)
class Phone:
    """A rendered phone (BGR) with its alpha mask and the QR centre in its own pixels."""

    image: np.ndarray
    alpha: np.ndarray
    qr_center: tuple[float, float]
    width: int


# --- texts and codes -----------------------------------------------------------------


def sample_texts(count: int, seed: int, *, min_bytes: int = 170, max_bytes: int = 250) -> list[str]:
    """``count`` health-code-like texts: ``HCK1:`` + Base45 of random bytes (260-380 chars)."""
    rng = np.random.default_rng([seed, 45])
    texts = []
    for _ in range(count):
        n = int(rng.integers(min_bytes, max_bytes + 1))
        texts.append("HCK1:" + base45.encode(rng.bytes(n)))
    return texts


def qr_symbol(text: str) -> qrcode.QRCode:
    """The QR symbol of ``text``: error correction M, quiet zone of 4 modules, one segment,
    alphanumeric when every character is in the QR alphanumeric set (Base45 texts are),
    else byte mode."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    qr.add_data(text, optimize=0)
    qr.make(fit=True)
    return qr


@lru_cache(maxsize=64)
def qr_modules(text: str) -> np.ndarray:
    """``qr_symbol(text)`` as a read-only bool matrix (True = dark), quiet zone included."""
    matrix = np.array(qr_symbol(text).get_matrix(), dtype=bool)
    matrix.setflags(write=False)
    return matrix


def _draw_modules(modules: np.ndarray, side: int, dark: int, light: int) -> np.ndarray:
    """Modules drawn at ``side`` pixels, anti-aliased like a screen seen through a lens."""
    n = modules.shape[0]
    k = max(2, math.ceil(side / n) * 2)
    big = np.where(modules, np.uint8(dark), np.uint8(light))
    big = cv2.resize(big, (n * k, n * k), interpolation=cv2.INTER_NEAREST)
    return cv2.resize(big, (side, side), interpolation=cv2.INTER_AREA)


# --- the phone -----------------------------------------------------------------------


def _rounded_rect(
    img: np.ndarray, x0: int, y0: int, x1: int, y1: int, r: int, color: int | tuple[int, ...]
) -> None:
    r = max(1, min(r, (x1 - x0) // 2, (y1 - y0) // 2))
    cv2.rectangle(img, (x0 + r, y0), (x1 - r, y1), color, -1)
    cv2.rectangle(img, (x0, y0 + r), (x1, y1 - r), color, -1)
    for cx, cy in ((x0 + r, y0 + r), (x1 - r, y0 + r), (x0 + r, y1 - r), (x1 - r, y1 - r)):
        cv2.circle(img, (cx, cy), r, color, -1, cv2.LINE_AA)


_NAMES = ("Wang *ming", "Li *hua", "Zhang *wei", "Chen *jing", "Liu *yang", "Zhao *lei")
_SKIN = ((140, 170, 215), (95, 130, 185), (70, 95, 140), (160, 190, 230))


def render_phone(
    text: str | None,
    width: int,
    *,
    dark: bool,
    rng: np.random.Generator,
    code_ink: tuple[int, int, int] | None = None,
) -> Phone:
    """A phone ``width`` pixels wide showing ``text`` as a QR code (None: an app screen, no code).

    ``code_ink`` (BGR, light screens only) draws the modules in a colour, as health-code
    apps draw a code in its colour (``CODE_INKS``); None: near black.  The canvas is
    wider and taller than the phone so a hand can hold it.
    """
    w = int(width)
    h = int(w * PHONE_ASPECT)
    pad_x, pad_bottom = int(w * 0.18), int(h * 0.12)
    cw, ch = w + 2 * pad_x, h + pad_bottom
    image = np.zeros((ch, cw, 3), np.uint8)
    alpha = np.zeros((ch, cw), np.uint8)
    x0, y0 = pad_x, 0
    bezel = int(rng.integers(12, 45))
    _rounded_rect(image, x0, y0, x0 + w, y0 + h, int(w * 0.13), (bezel, bezel, bezel + 4))
    _rounded_rect(alpha, x0, y0, x0 + w, y0 + h, int(w * 0.13), 255)

    inset = max(2, int(w * 0.04))
    sx0, sy0, sx1, sy1 = x0 + inset, y0 + inset, x0 + w - inset, y0 + h - inset
    screen_bg = (20, 20, 22) if dark else (246, 246, 244)
    ink = (225, 225, 225) if dark else (30, 30, 30)
    _rounded_rect(image, sx0, sy0, sx1, sy1, int(w * 0.1), screen_bg)
    sw = sx1 - sx0
    font = cv2.FONT_HERSHEY_SIMPLEX
    scale = max(0.25, w / 420)
    thick = max(1, round(w / 300))

    # status bar, app header band, holder name
    cv2.putText(
        image,
        "9:41",
        (sx0 + int(sw * 0.08), sy0 + int(h * 0.04)),
        font,
        scale * 0.9,
        ink,
        thick,
        cv2.LINE_AA,
    )
    for i in range(4):
        bx = sx1 - int(sw * 0.28) + i * int(sw * 0.035)
        cv2.rectangle(
            image,
            (bx, sy0 + int(h * 0.035) - i * 3),
            (bx + max(1, w // 80), sy0 + int(h * 0.04)),
            ink,
            -1,
        )
    band = ((60, 160, 50), (40, 170, 220), (50, 50, 200))[int(rng.integers(0, 3))]
    if code_ink is not None and not dark:
        band = code_ink
    by0, by1 = sy0 + int(h * 0.06), sy0 + int(h * 0.13)
    cv2.rectangle(image, (sx0, by0), (sx1, by1), band, -1)
    cv2.putText(
        image,
        "Health Code",
        (sx0 + int(sw * 0.1), by1 - int(h * 0.02)),
        font,
        scale * 1.2,
        (255, 255, 255),
        thick + 1,
        cv2.LINE_AA,
    )
    name = _NAMES[int(rng.integers(0, len(_NAMES)))]
    cv2.putText(
        image,
        name,
        (sx0 + int(sw * 0.1), by1 + int(h * 0.05)),
        font,
        scale,
        ink,
        thick,
        cv2.LINE_AA,
    )

    side = int(sw * QR_OF_SCREEN)
    qx0, qy0 = sx0 + (sw - side) // 2, by1 + int(h * 0.08)
    if text is not None:
        light, darkv = (240, 18) if not dark else (18, 235)
        if code_ink is None or dark:
            code = _draw_modules(qr_modules(text), side, darkv, light)
            image[qy0 : qy0 + side, qx0 : qx0 + side] = code[:, :, None]
        else:
            cover = _draw_modules(qr_modules(text), side, 255, 0).astype(np.float32) / 255
            colour = np.array(code_ink, np.float32) * cover[:, :, None]
            paper = light * (1.0 - cover[:, :, None])
            image[qy0 : qy0 + side, qx0 : qx0 + side] = (colour + paper).astype(np.uint8)
    else:  # an app screen without a code: tiles and text lines
        for i in range(3):
            ty = qy0 + i * side // 3
            cv2.rectangle(image, (qx0, ty + 6), (qx0 + side, ty + side // 3 - 6), band, 2)
            cv2.putText(
                image,
                "Trip record",
                (qx0 + 8, ty + side // 6),
                font,
                scale,
                ink,
                thick,
                cv2.LINE_AA,
            )
    ty = qy0 + side + int(h * 0.05)
    cv2.putText(
        image,
        "Valid 2024-05-01 14:02",
        (sx0 + int(sw * 0.1), ty),
        font,
        scale * 0.8,
        ink,
        thick,
        cv2.LINE_AA,
    )
    _rounded_rect(
        image,
        sx0 + int(sw * 0.15),
        ty + int(h * 0.03),
        sx1 - int(sw * 0.15),
        ty + int(h * 0.08),
        int(h * 0.02),
        band,
    )

    _draw_hand(image, alpha, x0, w, h, rng)
    return Phone(image, alpha, (qx0 + side / 2, qy0 + side / 2), w)


def _draw_hand(
    image: np.ndarray, alpha: np.ndarray, x0: int, w: int, h: int, rng: np.random.Generator
) -> None:
    """A hand gripping the lower part of the phone: palm below, fingers on one side, thumb."""
    skin = _SKIN[int(rng.integers(0, len(_SKIN)))]
    cx = x0 + w // 2
    palm = ((cx, int(h * 1.0)), (int(w * 0.62), int(h * 0.16)), 0, 0, 360)
    left = bool(rng.integers(0, 2))
    fx = x0 - int(w * 0.02) if left else x0 + w + int(w * 0.02)
    fingers = [
        ((fx, int(h * (0.7 + 0.07 * i))), (int(w * 0.1), int(h * 0.035)), 0, 0, 360)
        for i in range(4)
    ]
    tx = x0 + w + int(w * 0.02) if left else x0 - int(w * 0.02)
    thumb = ((tx, int(h * 0.8)), (int(w * 0.09), int(h * 0.09)), -20 if left else 20, 0, 360)
    for c, axes, angle, a0, a1 in (palm, *fingers, thumb):
        cv2.ellipse(image, c, axes, angle, a0, a1, skin, -1, cv2.LINE_AA)
        cv2.ellipse(alpha, c, axes, angle, a0, a1, 255, -1, cv2.LINE_AA)


def render_family_phone(
    texts: Sequence[str], width: int, *, rng: np.random.Generator, dark: bool = False
) -> Phone:
    """A phone ``width`` pixels wide showing several codes one under another (a family's
    codes on one screen), each with its holder's name band; ``qr_center`` is the middle of
    the column of codes.  Held sideways (``FAMILY_ROLL``) the codes read left to right."""
    w = int(width)
    h = int(w * PHONE_ASPECT)
    pad_x, pad_bottom = int(w * 0.18), int(h * 0.12)
    image = np.zeros((h + pad_bottom, w + 2 * pad_x, 3), np.uint8)
    alpha = np.zeros(image.shape[:2], np.uint8)
    x0 = pad_x
    bezel = int(rng.integers(12, 45))
    _rounded_rect(image, x0, 0, x0 + w, h, int(w * 0.13), (bezel, bezel, bezel + 4))
    _rounded_rect(alpha, x0, 0, x0 + w, h, int(w * 0.13), 255)
    inset = max(2, int(w * 0.04))
    sx0, sy0, sx1, sy1 = x0 + inset, inset, x0 + w - inset, h - inset
    screen_bg = (20, 20, 22) if dark else (246, 246, 244)
    _rounded_rect(image, sx0, sy0, sx1, sy1, int(w * 0.1), screen_bg)
    n = max(1, len(texts))
    gap = int(h * 0.02)
    # the codes keep above the hand's palm (which covers the bottom fifth)
    side = int(min((sx1 - sx0) * 0.96, (int(h * 0.8) - sy0 - int(h * 0.06) - (n + 1) * gap) / n))
    qx0 = sx0 + (sx1 - sx0 - side) // 2
    qy = sy0 + int(h * 0.06)
    light, darkv = (240, 18) if not dark else (18, 235)
    top = qy + gap
    for text in texts:
        code = _draw_modules(qr_modules(text), side, darkv, light)
        image[top : top + side, qx0 : qx0 + side] = code[:, :, None]
        top += side + gap
    column = qy + gap + (n * side + (n - 1) * gap) / 2
    _draw_hand(image, alpha, x0, w, h, rng)
    return Phone(image, alpha, (qx0 + side / 2, column), w)


FAMILY_ROLL = -90.0
"""A family's phone is held sideways, turned this far: its first code is on the left."""

POSTER_TEXT = "https://venue.example/checkin?site=3301-0042&name=North+Gate"
"""The venue code a poster on the wall shows: a QR code that is not a health code."""


def add_poster(
    img: np.ndarray, text: str, rng: np.random.Generator, *, px_per_module: float = 3.0
) -> tuple[tuple[int, int], ...]:
    """A venue's QR poster hung on the wall, drawn into ``img`` (in place) near its top left
    or top right corner, away from where people hold their phones; returns its corners."""
    h, w = img.shape[:2]
    n = qr_modules(text).shape[0]
    side = int(n * px_per_module)
    board = int(side * 1.3)
    left = bool(rng.integers(0, 2))
    x0 = int(w * rng.uniform(0.02, 0.06)) if left else w - board - int(w * rng.uniform(0.02, 0.06))
    y0 = int(h * rng.uniform(0.04, 0.1))
    paper = (235, 238, 240)
    cv2.rectangle(img, (x0, y0), (x0 + board, y0 + int(board * 1.25)), (40, 60, 170), -1)
    cv2.rectangle(img, (x0 + 4, y0 + 4), (x0 + board - 4, y0 + board - 4), paper, -1)
    qx, qy = x0 + (board - side) // 2, y0 + (board - side) // 2
    code = _draw_modules(qr_modules(text), side, 25, 235)
    img[qy : qy + side, qx : qx + side] = code[:, :, None]
    return ((qx, qy), (qx + side, qy), (qx + side, qy + side), (qx, qy + side))


# --- the scene -----------------------------------------------------------------------


def render_background(size: Size, rng: np.random.Generator) -> np.ndarray:
    """A cluttered, slightly out-of-focus room: gradient, shapes, signs, stripes."""
    w, h = size
    c0, c1 = rng.integers(40, 220, 3), rng.integers(40, 220, 3)
    ramp = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None, None]
    img = (c0 * (1 - ramp) + c1 * ramp).astype(np.uint8)
    img = np.ascontiguousarray(np.broadcast_to(img, (h, w, 3)))
    font = cv2.FONT_HERSHEY_SIMPLEX
    for _ in range(int(rng.integers(18, 32))):
        color = tuple(int(v) for v in rng.integers(0, 256, 3))
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        kind = int(rng.integers(0, 5))
        s = int(rng.integers(h // 20, h // 3))
        if kind == 0:
            cv2.rectangle(img, (x, y), (x + s, y + int(s * rng.uniform(0.4, 2))), color, -1)
        elif kind == 1:
            cv2.circle(img, (x, y), s // 2, color, -1, cv2.LINE_AA)
        elif kind == 2:
            x2, y2 = int(rng.integers(0, w)), int(rng.integers(0, h))
            cv2.line(img, (x, y), (x2, y2), color, int(rng.integers(1, 8)), cv2.LINE_AA)
        elif kind == 3:
            cv2.putText(
                img,
                ("EXIT", "GATE 3", "Please scan", "No entry", "B2")[s % 5],
                (x, y),
                font,
                rng.uniform(0.5, 2.0) * h / 480,
                color,
                2,
                cv2.LINE_AA,
            )
        else:
            step = max(3, s // 8)
            for k in range(0, s, 2 * step):
                cv2.rectangle(img, (x + k, y), (x + k + step, y + s), color, -1)
    return cv2.GaussianBlur(img, (0, 0), float(rng.uniform(0.8, 2.0)))


def _homography(phone: Phone, pose: Pose, size: Size) -> np.ndarray:
    """Phone canvas -> frame: scale to ``pose.phone_w``, rotate in 3-D, pinhole-project."""
    ph, pw = phone.image.shape[:2]
    k = pose.phone_w / phone.width
    qx, qy = phone.qr_center
    src = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], np.float32)
    pts = np.column_stack([(src[:, 0] - qx) * k, (src[:, 1] - qy) * k, np.zeros(4)])
    r, y, p = (math.radians(a) for a in (pose.roll, pose.yaw, pose.pitch))
    rz = np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]])
    ry = np.array([[math.cos(y), 0, math.sin(y)], [0, 1, 0], [-math.sin(y), 0, math.cos(y)]])
    rx = np.array([[1, 0, 0], [0, math.cos(p), -math.sin(p)], [0, math.sin(p), math.cos(p)]])
    focal = 1.2 * size[0]
    cam = pts @ (rx @ ry @ rz).T + np.array([0.0, 0.0, focal])
    dst = focal * cam[:, :2] / cam[:, 2:3] + np.array([pose.cx, pose.cy])
    return cv2.getPerspectiveTransform(src, dst.astype(np.float32))


def _motion_kernel(length: float, angle: float) -> np.ndarray:
    n = max(3, round(length) | 1)
    kernel = np.zeros((n, n), np.float32)
    c = n // 2
    dx, dy = math.cos(math.radians(angle)) * c, math.sin(math.radians(angle)) * c
    cv2.line(
        kernel, (round(c - dx), round(c - dy)), (round(c + dx), round(c + dy)), 1.0, 1, cv2.LINE_AA
    )
    made: np.ndarray = kernel / kernel.sum()
    return made


def composite(
    background: np.ndarray,
    phone: Phone,
    pose: Pose,
    *,
    brightness: float = 1.0,
    contrast: float = 1.0,
    motion: tuple[float, float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The phone warped into a copy of ``background``; also the warped alpha (0..1, float32).

    ``motion`` (length px, angle degrees) blurs the phone layer and its edge,
    as a phone moving during the exposure does; the background stays sharp.
    """
    h, w = background.shape[:2]
    m = _homography(phone, pose, (w, h))
    layer = cv2.warpPerspective(phone.image, m, (w, h), flags=cv2.INTER_AREA)
    a = cv2.warpPerspective(phone.alpha, m, (w, h), flags=cv2.INTER_LINEAR)
    if motion is not None and motion[0] >= 2:
        kernel = _motion_kernel(*motion)
        layer = cv2.filter2D(layer, -1, kernel)
        a = cv2.filter2D(a, -1, kernel)
    af = a.astype(np.float32)[:, :, None] / 255.0
    lf = layer.astype(np.float32)
    if contrast != 1.0 or brightness != 1.0:
        lf = (128.0 + (lf - 128.0) * contrast) * brightness
    out = background.astype(np.float32) * (1.0 - af) + lf * af
    return np.clip(out, 0, 255).astype(np.uint8), af[:, :, 0]


def add_noise(img: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    noise = rng.standard_normal(img.shape, dtype=np.float32) * sigma
    return np.clip(img.astype(np.float32) + noise, 0, 255).astype(np.uint8)


def add_glare(
    img: np.ndarray, center: tuple[float, float], radius: float, strength: float
) -> np.ndarray:
    """A bright specular spot (a ceiling light reflected in the screen)."""
    h, w = img.shape[:2]
    yy, xx = np.ogrid[:h, :w]
    d2 = ((xx - center[0]) ** 2 + (yy - center[1]) ** 2).astype(np.float32)
    spot = strength * np.exp(-d2 / (2.0 * radius * radius))
    spotted: np.ndarray = np.clip(img.astype(np.float32) + spot[:, :, None], 0, 255)
    return spotted.astype(np.uint8)


def add_moire(img: np.ndarray, alpha: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Interference between the screen's pixel grid and the sensor's: beating stripes."""
    h, w = img.shape[:2]
    f1 = rng.uniform(0.3, 0.48)
    f2 = f1 + rng.uniform(0.01, 0.04)
    angle = rng.uniform(0, math.pi)
    yy, xx = np.mgrid[:h, :w].astype(np.float32)
    u = xx * math.cos(angle) + yy * math.sin(angle)
    pattern = 0.5 * (np.sin(2 * math.pi * f1 * u) + np.sin(2 * math.pi * f2 * u))
    depth = rng.uniform(0.18, 0.3)
    factor = 1.0 - depth * alpha * (0.5 + 0.5 * pattern)
    striped: np.ndarray = np.clip(img.astype(np.float32) * factor[:, :, None], 0, 255)
    return striped.astype(np.uint8)


def jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    if decoded is None:
        raise RuntimeError("JPEG decoding failed")
    return np.asarray(decoded)


# --- still frames --------------------------------------------------------------------


def _phone_width_for_module(text: str, px_per_module: float) -> float:
    """Phone width that shows ``text``'s modules at ``px_per_module`` frame pixels."""
    n = int(qr_modules(text).shape[0])
    return float(n * px_per_module / (QR_OF_SCREEN * (1 - 0.08)))


def _family_width_for_module(modules: int, codes: int, px_per_module: float) -> float:
    """Phone width at which ``render_family_phone`` shows ``codes`` codes of ``modules``
    modules (quiet zone included) at ``px_per_module`` frame pixels."""
    # each code's side is this share of the phone's width (render_family_phone's layout)
    share = min(0.88, ((0.74 - 0.02 * (codes + 1)) * PHONE_ASPECT - 0.04) / codes)
    return modules * px_per_module / share


def render_poster_still(
    text: str, size: Size, rng: np.random.Generator, *, poster: str = POSTER_TEXT
) -> np.ndarray:
    """A frame of a phone showing ``text`` held up beside a venue's QR poster on the wall."""
    w, h = size
    bg = render_background(size, rng)
    add_poster(bg, poster, rng)
    ppm = rng.uniform(2.6, 3.4) * min(1.0, h / 720 + 0.25)
    phone_w = _phone_width_for_module(text, ppm)
    phone = render_phone(text, int(phone_w), dark=False, rng=rng)
    pose = Pose(
        w * rng.uniform(0.45, 0.6),
        h * rng.uniform(0.45, 0.55),
        phone_w,
        rng.uniform(-8, 8),
        rng.uniform(-10, 10),
        rng.uniform(-10, 5),
    )
    frame, _ = composite(bg, phone, pose, brightness=0.9)
    frame = cv2.GaussianBlur(frame, (0, 0), rng.uniform(0.4, 0.8))
    return add_noise(frame, FRAME_NOISE, rng)


def render_family_still(texts: Sequence[str], size: Size, rng: np.random.Generator) -> np.ndarray:
    """A frame of one phone held sideways showing ``texts`` side by side, first on the left."""
    w, h = size
    bg = render_background(size, rng)
    ppm = rng.uniform(2.8, 3.4) * min(1.0, h / 720 + 0.25)
    modules = max(qr_modules(t).shape[0] for t in texts)
    phone_w = _family_width_for_module(modules, len(texts), ppm)
    phone = render_family_phone(texts, int(phone_w), rng=rng)
    pose = Pose(
        w / 2,
        h * rng.uniform(0.45, 0.55),
        phone_w,
        FAMILY_ROLL + rng.uniform(-6, 6),
        rng.uniform(-8, 8),
        rng.uniform(-8, 5),
    )
    frame, _ = composite(bg, phone, pose, brightness=0.9)
    frame = cv2.GaussianBlur(frame, (0, 0), rng.uniform(0.4, 0.8))
    return add_noise(frame, FRAME_NOISE, rng)


def render_still(
    text: str | None,
    category: str,
    size: Size,
    rng: np.random.Generator,
    *,
    motion_px: float | None = None,
) -> np.ndarray:
    """One still frame of ``category`` showing ``text`` (ignored for ``empty``).

    ``motion_px``: a ``motion`` frame's blur length in pixels (None: 4 to 12 at random),
    for a set of motion-blurred phones over a chosen range of lengths."""
    w, h = size
    bg = render_background(size, rng)
    if category == "empty":
        if rng.random() < 0.5:
            return add_noise(bg, 3.0, rng)
        text = None  # a phone showing an app screen with no code
    code_text = text if text is not None else "HCK1:EMPTY"
    ppm = rng.uniform(2.4, 3.6) * min(1.0, h / 720 + 0.25)
    if category == "small":
        ppm = rng.uniform(1.5, 2.0)
    phone_w = _phone_width_for_module(code_text, ppm)
    if category == "close":
        qr_side = rng.uniform(0.62, 0.85) * h
        phone_w = qr_side / (QR_OF_SCREEN * 0.92)
    roll = rng.uniform(-10, 10)
    yaw, pitch = rng.uniform(-10, 10), rng.uniform(-10, 10)
    if category == "rotated":
        roll = rng.choice([-1, 1]) * rng.uniform(20, 60)
    if category == "tilted":
        yaw, pitch = rng.choice([-1, 1]) * rng.uniform(25, 40), rng.uniform(-30, 30)
    qr_half = phone_w * QR_OF_SCREEN * 0.5
    margin_x, margin_y = min(qr_half + 10, w / 2), min(qr_half + 10, h / 2)
    pose = Pose(
        cx=rng.uniform(margin_x, w - margin_x) if category != "close" else w / 2,
        cy=rng.uniform(margin_y, h - margin_y) if category != "close" else h / 2,
        phone_w=phone_w,
        roll=roll,
        yaw=yaw,
        pitch=pitch,
    )
    dark = category == "dark" or (category not in ("plain", "coloured") and rng.random() < 0.1)
    code_ink = None
    if category == "coloured":
        code_ink = list(CODE_INKS.values())[int(rng.integers(0, len(CODE_INKS)))]
    phone = render_phone(text, int(max(40, phone_w)), dark=dark, rng=rng, code_ink=code_ink)
    motion = None
    if category == "motion":
        motion = (rng.uniform(4, 12), rng.uniform(0, 180))
        if motion_px is not None:
            motion = (motion_px, motion[1])
    contrast = rng.uniform(0.25, 0.4) if category == "low_contrast" else rng.uniform(0.8, 1.0)
    if category == "coloured":  # a phone at any brightness, its code drawn in colour
        contrast = rng.uniform(0.3, 1.0)
    brightness = rng.uniform(0.75, 1.0)
    frame, alpha = composite(
        bg, phone, pose, brightness=brightness, contrast=contrast, motion=motion
    )
    if category == "glare":
        r = phone_w * rng.uniform(0.12, 0.25)
        c = (
            pose.cx + rng.uniform(-0.25, 0.25) * phone_w,
            pose.cy + rng.uniform(-0.25, 0.25) * phone_w,
        )
        frame = add_glare(frame, c, r, rng.uniform(140, 230))
    if category == "moire":
        frame = add_moire(frame, alpha, rng)
    if category == "blur":
        frame = cv2.GaussianBlur(frame, (0, 0), rng.uniform(1.0, 1.8))
    else:
        frame = cv2.GaussianBlur(frame, (0, 0), rng.uniform(0.4, 0.8))
    frame = add_noise(frame, rng.uniform(10, 18) if category == "noise" else 2.5, rng)
    if category == "jpeg":
        frame = jpeg(frame, int(rng.integers(8, 20)))
    return frame


def render_frames(
    count: int,
    seed: int,
    *,
    sizes: Sequence[Size] = SIZES,
    texts: Sequence[str] | None = None,
    categories: Sequence[str] = CATEGORIES,
) -> Iterator[tuple[np.ndarray, FrameLabel]]:
    """``count`` labelled still frames, cycling through categories, then sizes.

    Frame ``i`` depends only on (``seed``, ``i``) and its text, so any one can
    be made again alone.
    """
    unknown = set(categories) - set(CATEGORIES)
    if unknown:
        raise ValueError(f"unknown categories: {', '.join(sorted(unknown))}")
    pool = list(texts) if texts else sample_texts(max(1, min(count, 64)), seed)
    for i in range(count):
        category = categories[i % len(categories)]
        size = sizes[(i // len(categories)) % len(sizes)]
        text = pool[i % len(pool)]
        rng = np.random.default_rng([seed, i])
        image = render_still(text, category, size, rng)
        expected = None if category == "empty" else text
        yield image, FrameLabel(f"{i:05d}.png", expected, category, f"{size[0]}x{size[1]}")


def write_frames(
    out: Path,
    count: int,
    seed: int,
    *,
    sizes: Sequence[Size] = SIZES,
    texts: Sequence[str] | None = None,
    categories: Sequence[str] = CATEGORIES,
) -> list[FrameLabel]:
    """Write ``count`` labelled PNG frames and ``manifest.jsonl`` into folder ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    labels = []
    for image, label in render_frames(count, seed, sizes=sizes, texts=texts, categories=categories):
        if not cv2.imwrite(str(out / label.file), image, [cv2.IMWRITE_PNG_COMPRESSION, 1]):
            raise OSError(f"{out / label.file}: cannot write image")
        labels.append(label)
    with (out / "manifest.jsonl").open("w", encoding="utf-8") as fh:
        for label in labels:
            fh.write(json.dumps(asdict(label)) + "\n")
    return labels


# --- video ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Visit:
    """One person's planned visit: phases in frames, the phone and its path."""

    span: PersonSpan
    phone: Phone
    path: tuple[Pose, ...]


def _ease(t: float) -> float:
    return t * t * (3 - 2 * t)


def _plan_visit(
    index: int, person: Person, start: int, fps: float, size: Size, rng: np.random.Generator
) -> _Visit:
    w, h = size
    dark = rng.random() < 0.25
    ppm = rng.uniform(2.6, 3.6) * min(1.0, h / 720 + 0.25)
    if person.family:
        dark = False
        texts = (person.text, *person.family)
        modules = max(qr_modules(t).shape[0] for t in texts)
        phone_w = _family_width_for_module(modules, len(texts), ppm)
        phone = render_family_phone(texts, int(phone_w), rng=rng)
    else:
        phone_w = _phone_width_for_module(person.text, ppm)
        phone = render_phone(
            person.text, int(phone_w), dark=dark, rng=rng, code_ink=person.code_ink
        )
    hold_x, hold_y = w * rng.uniform(0.35, 0.65), h * rng.uniform(0.4, 0.55)
    roll0, yaw0, pitch0 = rng.uniform(-8, 8), rng.uniform(-10, 10), rng.uniform(-12, 5)
    turned = FAMILY_ROLL if person.family else 0.0  # sideways from the start: no diagonal
    n_enter = max(3, int(fps * rng.uniform(0.35, 0.6)))
    n_hold = max(1, round(fps * person.hold_s))
    n_leave = max(3, int(fps * rng.uniform(0.3, 0.5)))
    # the QR centre starts (and ends) where only the top of the phone shows
    off_y = h + phone_w * 0.45
    leave_x = hold_x + rng.choice([-1, 1]) * w * rng.uniform(0.1, 0.3)
    path: list[Pose] = []
    for k in range(n_enter):
        t = _ease((k + 1) / n_enter)
        roll = turned + roll0 * t
        path.append(Pose(hold_x, off_y + (hold_y - off_y) * t, phone_w, roll, yaw0, pitch0))
    # hold: a slow random walk of the hand, and now and then a quick jerk
    x, y, roll = hold_x, hold_y, turned + roll0
    jerk = 0
    for _ in range(n_hold):
        if jerk == 0 and rng.random() < 2.0 / fps:
            jerk = int(rng.integers(2, 4))
            jdx, jdy = rng.normal(0, 1, 2) * w * 0.012
        if jerk:
            x, y, jerk = x + jdx, y + jdy, jerk - 1
        x += rng.normal(0, 0.8) + (hold_x - x) * 0.1
        y += rng.normal(0, 0.8) + (hold_y - y) * 0.1
        roll += rng.normal(0, 0.3) + (turned + roll0 - roll) * 0.1
        path.append(Pose(x, y, phone_w, roll, yaw0, pitch0))
    for k in range(n_leave):
        t = _ease((k + 1) / n_leave)
        path.append(Pose(x + (leave_x - x) * t, y + (off_y - y) * t, phone_w, roll, yaw0, pitch0))
    first = start
    span = PersonSpan(
        person=index,
        text=person.text,
        first_frame=first,
        last_frame=first + len(path) - 2,  # the last pose is out of view
        hold_first=first + n_enter,
        hold_last=first + n_enter + n_hold - 1,
        dark=dark,
        family=person.family,
    )
    return _Visit(span, phone, tuple(path))


def _plan(people: Sequence[Person], seed: int, size: Size, fps: float) -> tuple[list[_Visit], int]:
    rng = np.random.default_rng([seed, 7])
    visits = []
    cursor = int(fps * rng.uniform(0.6, 1.0))
    for i, person in enumerate(people):
        visit = _plan_visit(i, person, cursor, fps, size, rng)
        visits.append(visit)
        cursor = visit.span.first_frame + len(visit.path) + int(fps * rng.uniform(0.6, 1.2))
    return visits, cursor


@dataclass(frozen=True)
class Exposure:
    """What a camera's exposure does to a video frame."""

    shutter: float
    """Share of the frame interval the shutter is open: the blur is speed x shutter."""
    gain: float
    """Sensor gain (1 = none): multiplies the noise."""
    room: float
    """Brightness of the room (not of the lit screen), 1 = as at auto exposure."""


def exposure(exposure_ms: float | None, fps: float) -> Exposure:
    """The effect of ``exposure_ms`` (None: auto exposure) at ``fps`` frames per second."""
    if exposure_ms is not None and not exposure_ms > 0:
        raise ValueError(f"exposure must be positive, got {exposure_ms} ms")
    shutter = AUTO_SHUTTER if exposure_ms is None else min(1.0, exposure_ms * fps / 1000.0)
    gain = max(1.0, AUTO_SHUTTER / (shutter * SCREEN_HEADROOM))
    return Exposure(shutter, gain, min(1.0, shutter * gain / AUTO_SHUTTER))


def render_video(
    people: Sequence[Person],
    seed: int,
    *,
    size: Size = (1280, 720),
    fps: float = 25.0,
    exposure_ms: float | None = None,
    poster: str | None = None,
) -> tuple[Iterator[np.ndarray], list[PersonSpan], int]:
    """(frames, people's spans, frame count) for people walking up one after another;
    ``poster``: a venue's QR poster showing this text hangs in view the whole time."""
    visits, total = _plan(people, seed, size, fps)
    camera = exposure(exposure_ms, fps)
    frames = _video_frames(visits, total, seed, size, camera, poster=poster)
    return frames, [v.span for v in visits], total


def _video_frames(
    visits: list[_Visit],
    total: int,
    seed: int,
    size: Size,
    camera: Exposure,
    *,
    poster: str | None = None,
) -> Iterator[np.ndarray]:
    rng = np.random.default_rng([seed, 11])
    bg = render_background(size, rng)
    if poster is not None:  # its own random numbers: the rest of the video stays the same
        add_poster(bg, poster, np.random.default_rng([seed, 13]))
    if camera.room < 1.0:
        bg = (bg.astype(np.float32) * camera.room).astype(np.uint8)
    sigma = FRAME_NOISE * camera.gain
    noise_bank = [
        (rng.standard_normal((size[1], size[0], 3), dtype=np.float32) * sigma) for _ in range(6)
    ]
    by_frame: dict[int, tuple[_Visit, int]] = {}
    for v in visits:
        for k in range(len(v.path)):
            by_frame[v.span.first_frame + k] = (v, k)
    for i in range(total):
        frame = bg
        if i in by_frame:
            v, k = by_frame[i]
            pose = v.path[k]
            prev = v.path[k - 1] if k else pose
            dx, dy = pose.cx - prev.cx, pose.cy - prev.cy
            blur = math.hypot(dx, dy) * camera.shutter  # composite skips under 2 px
            motion = (blur, math.degrees(math.atan2(dy, dx))) if blur > 0 else None
            frame, _ = composite(bg, v.phone, pose, brightness=0.9, motion=motion)
        noisy = frame.astype(np.float32) + noise_bank[int(rng.integers(0, len(noise_bank)))]
        yield np.clip(noisy, 0, 255).astype(np.uint8)


def write_video(
    out: Path,
    people: Sequence[Person],
    seed: int,
    *,
    size: Size = (1280, 720),
    fps: float = 25.0,
    name: str = "footage.avi",
    exposure_ms: float | None = None,
    poster: str | None = None,
) -> VideoManifest:
    """Write the video ``out/name`` (.avi: MJPG, .mp4: mp4v) and ``out/manifest.jsonl``."""
    suffix = Path(name).suffix.lower()
    if suffix not in VIDEO_FOURCC:
        raise ValueError(f"{name}: video name ends in one of {', '.join(VIDEO_FOURCC)}")
    out.mkdir(parents=True, exist_ok=True)
    frames, spans, total = render_video(
        people, seed, size=size, fps=fps, exposure_ms=exposure_ms, poster=poster
    )
    path = out / name
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*VIDEO_FOURCC[suffix]), fps, size)
    if not writer.isOpened():
        raise OSError(f"{path}: this OpenCV build cannot write {VIDEO_FOURCC[suffix]} video")
    try:
        for frame in frames:
            writer.write(frame)
    finally:
        writer.release()
    manifest = VideoManifest(name, fps, f"{size[0]}x{size[1]}", total, tuple(spans))
    with (out / "manifest.jsonl").open("w", encoding="utf-8") as fh:
        for span in spans:
            row = {"video": name, "fps": fps, "size": manifest.size, "frames": total}
            fh.write(json.dumps({**row, **asdict(span)}) + "\n")
    return manifest


def read_manifest(path: Path) -> list[dict[str, object]]:
    """The rows of a ``manifest.jsonl`` written by this module."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


# --- command line --------------------------------------------------------------------


def parse_size(value: str) -> Size:
    try:
        w, h = (int(v) for v in value.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, got {value!r}") from None
    if not (64 <= w <= 7680 and 64 <= h <= 4320):
        raise argparse.ArgumentTypeError(f"size out of range: {value!r}")
    return w, h


def _read_texts(path: Path) -> list[str]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise SystemExit(f"footage: {path}: cannot read texts: {exc}") from None
    texts = [line.strip() for line in lines if line.strip()]
    if not texts:
        raise SystemExit(f"footage: {path}: holds no texts (one QR text a line)")
    return texts


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m kiosk_demo.footage", description=__doc__.split("\n")[0]
    )
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("--kind", choices=("frames", "video"), default="frames")
    p.add_argument("--count", type=int, default=56, help="frames (frames) or people (video)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--size",
        type=parse_size,
        action="append",
        help="WIDTHxHEIGHT; repeat for several (frames: default both 1280x720 and "
        "640x480; video: default 1280x720)",
    )
    p.add_argument("--texts-file", type=Path, help="QR texts, one a line (default: sample texts)")
    p.add_argument("--hold", type=float, default=2.0, help="video: seconds each code is held")
    p.add_argument("--fps", type=float, default=25.0, help="video: frames per second")
    p.add_argument("--name", default="footage.avi", help="video: file name (.avi or .mp4)")
    p.add_argument(
        "--exposure-ms",
        type=float,
        help="video: the camera's exposure in ms (default: auto, 60%% of the frame interval)",
    )
    p.add_argument(
        "--poster",
        nargs="?",
        const=POSTER_TEXT,
        help="video: a venue's QR poster on the wall showing TEXT (default: a venue URL)",
    )
    args = p.parse_args(argv)
    if args.count < 1:
        p.error("--count must be at least 1")
    texts = _read_texts(args.texts_file) if args.texts_file else None
    if args.kind == "frames":
        labels = write_frames(
            args.out, args.count, args.seed, sizes=args.size or SIZES, texts=texts
        )
        print(f"{len(labels)} frames and manifest.jsonl in {args.out}")
        return 0
    pool = texts or sample_texts(args.count, args.seed)
    people = [Person(pool[i % len(pool)], args.hold) for i in range(args.count)]
    size = (args.size or [(1280, 720)])[0]
    try:
        manifest = write_video(
            args.out,
            people,
            args.seed,
            size=size,
            fps=args.fps,
            name=args.name,
            exposure_ms=args.exposure_ms,
            poster=args.poster,
        )
    except (OSError, ValueError) as exc:
        print(f"footage: {exc}", file=sys.stderr)
        return 2
    print(f"{manifest.frames} frames, {len(manifest.people)} people: {args.out / manifest.file}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
