"""Images this project did not make: pyzbar's QR test pictures, and real camera photos.

The photos (``tests/fixtures/photos/zxing-android``, see its README) are frames
taken by phone cameras for ZXing's decoder benchmark: QR codes on paper, tilted,
curved and unevenly lit, other symbologies, and frames with no readable code.
``kiosk decode`` and ``kiosk scan --source`` must read every QR code in them,
read nothing else, and judge each foreign code DENY with a reason.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from kiosk.adapters.camera import image_files, read_image

ROOT = Path(__file__).resolve().parents[2]
PHOTOS = ROOT / "tests" / "fixtures" / "photos" / "zxing-android"
VECTORS = ROOT / "tests" / "vectors"
TRUST_ARGS = ["--root", str(VECTORS / "root.pub.pem"), "--trust-list", str(VECTORS / "trust-list.cose")]  # fmt: skip


def _pyzbar_tests() -> Path:
    spec = importlib.util.find_spec("pyzbar")  # the package only: no libzbar0 needed
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("pyzbar (a dev dependency) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "tests"


def _kiosk(*args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "kiosk", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


def _expected_photos() -> dict[str, str | None]:
    expected: dict[str, str | None] = json.loads((PHOTOS / "expected.json").read_text("utf-8"))
    return expected


def test_kiosk_decode_reads_third_party_qr_images() -> None:
    done = _kiosk("decode", str(_pyzbar_tests()))
    assert done.returncode == 0, done.stderr
    rows = {Path(r["source"]).name: r["text"] for r in map(json.loads, done.stdout.splitlines())}
    assert rows == {"qrcode.png": "Thalassiodracon", "qrcode_rotated.png": "Thalassiodracon"}


def test_kiosk_scan_source_rejects_foreign_codes_with_a_reason() -> None:
    done = _kiosk("scan", *TRUST_ARGS, "--source", str(_pyzbar_tests()), "--json")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert rows and all(
        r["verdict"] == "DENY" and r["reasons"][0]["code"] == "BAD_PREFIX" for r in rows
    )


def test_photo_set_is_what_its_manifest_says() -> None:
    expected = _expected_photos()
    files = {p.name for p in image_files(PHOTOS)}
    assert files == set(expected)
    assert sum(text is not None for text in expected.values()) == 6
    assert (PHOTOS / "LICENSE").is_file() and (PHOTOS / "README.md").is_file()


def test_kiosk_decode_reads_every_qr_code_in_camera_photos_and_nothing_else() -> None:
    done = _kiosk("decode", str(PHOTOS))
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    got = {Path(r["source"]).name: r["text"] for r in rows}
    want = {name: text for name, text in _expected_photos().items() if text is not None}
    assert got == want  # no UPC, EAN, PDF417, Data Matrix or moiré frame yields a text
    assert len(rows) == len(want)
    for row in rows:
        assert len(row["corners"]) == 4 and row["ms"] >= 0 and row["backend"]


def test_kiosk_scan_source_judges_camera_photos_deny_with_a_reason() -> None:
    done = _kiosk("scan", *TRUST_ARGS, "--source", str(PHOTOS), "--json")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    # three distinct foreign texts; a folder is read as 30 fps frames, so the same card in
    # neighbouring files is one presentation, as a phone held still would be
    assert len(rows) == 3
    for row in rows:
        assert row["verdict"] == "DENY" and row["verified"] is False
        assert [r["code"] for r in row["reasons"]] == ["BAD_PREFIX"]
        assert row["name"] == ""  # nothing of an unverified code is shown


def _video_of_photos(path: Path, frames_each: int = 8) -> list[str | None]:
    """The photos letterboxed into 640x480 MJPG frames, each held ``frames_each`` frames,
    with empty frames between; returns the expected QR text of each photo shown."""
    size = (640, 480)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25.0, size)
    assert writer.isOpened()
    expected = _expected_photos()
    shown: list[str | None] = []
    blank = np.full((size[1], size[0], 3), 90, np.uint8)
    try:
        for photo in image_files(PHOTOS):
            image = read_image(photo)
            h, w = image.shape[:2]
            k = min(size[0] / w, size[1] / h)
            scaled = cv2.resize(image, (int(w * k), int(h * k)), interpolation=cv2.INTER_LINEAR)
            frame = blank.copy()
            y0, x0 = (size[1] - scaled.shape[0]) // 2, (size[0] - scaled.shape[1]) // 2
            frame[y0 : y0 + scaled.shape[0], x0 : x0 + scaled.shape[1]] = scaled
            for _ in range(frames_each):
                writer.write(frame)
            for _ in range(50):  # two seconds with nobody there: the next is a new presentation
                writer.write(blank)
            shown.append(expected[photo.name])
    finally:
        writer.release()
    return shown


def test_decode_and_scan_a_video_made_of_camera_photos(tmp_path: Path) -> None:
    video = tmp_path / "photos.avi"
    shown = _video_of_photos(video)
    codes = [text for text in shown if text is not None]

    decoded = _kiosk("decode", str(video))
    assert decoded.returncode == 0, decoded.stderr
    texts = {json.loads(line)["text"] for line in decoded.stdout.splitlines()}
    assert texts == set(codes)

    scanned = _kiosk("scan", *TRUST_ARGS, "--source", str(video), "--json")
    assert scanned.returncode == 0, scanned.stderr
    rows = [json.loads(line) for line in scanned.stdout.splitlines()]
    assert len(rows) == len(codes)  # one decision per photo with a QR code, none for the rest
    assert all(r["verdict"] == "DENY" and r["reasons"][0]["code"] == "BAD_PREFIX" for r in rows)
