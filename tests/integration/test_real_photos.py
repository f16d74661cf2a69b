"""Real phone-camera photos (``../shared/photos/qr-real``, when present): the default reads
close-ups and codes on monitors at least as well as zxing-cpp's own defaults.

These two folders are where settings tuned on generated footage lost real reads (the
downscaled tries); ``bench/real_photos.py`` scores every folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from kiosk.adapters.qr import LIBRARY_DEFAULTS, decode_frame, settings_reader

PHOTOS = Path(__file__).resolve().parents[2] / ".." / "shared" / "photos" / "qr-real"

pytestmark = pytest.mark.skipif(
    not (PHOTOS / "labels.json").is_file(), reason=f"{PHOTOS} is not on this machine"
)


def _read(corners: list[tuple[int, int]], polygon: np.ndarray) -> bool:
    if len(corners) < 3:
        return False
    quad = np.array(corners, np.float32)
    centre, middle = quad.mean(axis=0), polygon.mean(axis=0)
    return (
        cv2.pointPolygonTest(polygon, (float(centre[0]), float(centre[1])), False) >= 0
        or cv2.pointPolygonTest(quad, (float(middle[0]), float(middle[1])), False) >= 0
    )


@pytest.mark.parametrize("folder", ["close", "monitor"])
def test_the_default_reads_real_close_ups_and_monitors_as_the_library_does(folder: str) -> None:
    labels = json.loads((PHOTOS / "labels.json").read_text())
    library = settings_reader(LIBRARY_DEFAULTS)
    ours = theirs = total = 0
    for key, polygons in labels.items():
        if key.split("/")[0] != folder:
            continue
        image = cv2.imread(str(PHOTOS / key), cv2.IMREAD_COLOR)
        reads = [list(r.corners) for r in decode_frame(image, "zxing-rescue", stills=True)]
        lib = [list(c) for _, c in library(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), None)]
        for polygon in (np.array(p, np.float32) for p in polygons):
            total += 1
            ours += any(_read(c, polygon) for c in reads)
            theirs += any(_read(c, polygon) for c in lib)
    assert total > 0
    assert ours >= theirs and ours == total
