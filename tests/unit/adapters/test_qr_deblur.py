"""Motion deblurring in the QR decoder: real zxing-cpp and OpenCV on generated frames."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from kiosk.adapters import deblur
from kiosk.adapters.camera import read_image
from kiosk.adapters.qr import (
    DEFAULT_SETTINGS,
    STILLS_SETTINGS,
    ReadSettings,
    decode_frame,
    make_decoder,
    settings_reader,
    to_grey,
)
from kiosk_demo.footage import render_background, render_still, sample_texts

TEXT = sample_texts(1, seed=15)[0]


def _motion_png(tmp_path: Path, length: float, seed: int) -> Path:
    """A 720p frame of a phone smeared ``length`` pixels by motion, written as a PNG."""
    frame = render_still(
        TEXT, "motion", (1280, 720), np.random.default_rng([seed, 15]), motion_px=length
    )
    path = tmp_path / f"motion-{length:g}.png"
    assert cv2.imwrite(str(path), frame)
    return path


@pytest.mark.parametrize(("length", "seed"), [(7.0, 1), (11.0, 3)])
def test_a_motion_blurred_phone_is_read_only_through_the_deblur_stage(
    tmp_path: Path, length: float, seed: int
) -> None:
    image = read_image(_motion_png(tmp_path, length, seed))
    grey = to_grey(image)
    before = dataclasses.replace(STILLS_SETTINGS, deblur=False, hunt=False)
    assert TEXT not in {text for text, _ in settings_reader(before)(grey, None)}
    assert [r.text for r in decode_frame(image, "zxing-rescue", stills=True)] == [TEXT]
    assert [r.text for r in make_decoder("cascade")(image)] == [TEXT]  # what `kiosk decode` runs


def test_the_read_lies_where_the_phone_is(tmp_path: Path) -> None:
    image = read_image(_motion_png(tmp_path, 9.0, 3))
    (read,) = decode_frame(image, "zxing-rescue", stills=True)
    h, w = image.shape[:2]
    assert len(read.corners) == 4
    assert all(0 <= x < w and 0 <= y < h for x, y in read.corners)


def _no_code_frames() -> list[np.ndarray]:
    rng = np.random.default_rng(15)
    noise = np.clip(rng.normal(128, 40, (480, 640)), 0, 255).astype(np.uint8)
    coarse = cv2.resize(
        rng.integers(0, 2, (120, 160), dtype=np.uint8) * 255, (640, 480), cv2.INTER_NEAREST
    )
    frames = [noise, coarse, render_background((640, 480), rng)]
    # the same, smeared as a moving object would be: what the hunt looks for
    smear = deblur.kernel(10.0, 30.0)
    frames += [cv2.filter2D(f, -1, smear) for f in frames]
    return frames


@pytest.mark.parametrize(
    "settings",
    [STILLS_SETTINGS, dataclasses.replace(DEFAULT_SETTINGS, deblur=True, hunt=True)],
    ids=["stills", "stream with the deblur stage"],
)
def test_frames_without_a_code_give_no_text_even_deblurred(settings: ReadSettings) -> None:
    read = settings_reader(settings)
    for frame in _no_code_frames():
        assert read(to_grey(frame), None) == []


def test_the_blur_estimate_finds_length_and_direction() -> None:
    rng = np.random.default_rng(7)
    modules = rng.integers(0, 2, (60, 60), dtype=np.uint8) * 200 + 30
    sharp = cv2.resize(modules, None, fx=3, fy=3, interpolation=cv2.INTER_NEAREST)
    for length, angle in ((6.0, 20.0), (10.0, 100.0), (13.0, 150.0)):
        smeared = cv2.filter2D(sharp.astype(np.float32), -1, deblur.kernel(length, angle, 0.5))
        blur = deblur.estimate(np.clip(smeared, 0, 255).astype(np.uint8))
        assert blur is not None
        assert abs(blur.length - length) <= 1.5
        off = abs(blur.angle - angle) % 180.0
        assert min(off, 180.0 - off) <= 6.0


def test_a_sharp_or_tiny_crop_shows_no_blur_to_undo() -> None:
    assert deblur.estimate(np.full((200, 200), 128, np.uint8)) is None
    assert deblur.estimate(np.zeros((20, 20), np.uint8)) is None


def test_the_kernel_is_a_segment_that_sums_to_one() -> None:
    k = deblur.kernel(9.0, 45.0)
    assert math.isclose(float(k.sum()), 1.0, rel_tol=1e-5)
    ys, xs = np.nonzero(k > k.max() * 0.2)
    # along the diagonal, about nine pixels long
    assert 6 <= math.hypot(xs.max() - xs.min(), ys.max() - ys.min()) <= 12
