"""Images this project did not make: the QR test pictures shipped inside the pyzbar package."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _pyzbar_tests() -> Path:
    spec = importlib.util.find_spec("pyzbar")  # the package only: no libzbar0 needed
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("pyzbar (a dev dependency) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "tests"


def test_kiosk_decode_reads_third_party_qr_images() -> None:
    folder = _pyzbar_tests()
    done = subprocess.run(
        [sys.executable, "-m", "kiosk", "decode", str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    rows = {Path(r["source"]).name: r["text"] for r in map(json.loads, done.stdout.splitlines())}
    assert rows == {"qrcode.png": "Thalassiodracon", "qrcode_rotated.png": "Thalassiodracon"}


def test_kiosk_scan_source_rejects_foreign_codes_with_a_reason() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "kiosk", "scan", "--root", str(ROOT / "tests" / "vectors" / "root.pub.pem"),
         "--trust-list", str(ROOT / "tests" / "vectors" / "trust-list.cose"), "--source", str(_pyzbar_tests()), "--json"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert rows and all(
        r["verdict"] == "DENY" and r["reasons"][0]["code"] == "BAD_PREFIX" for r in rows
    )
    assert "Traceback" not in done.stderr
