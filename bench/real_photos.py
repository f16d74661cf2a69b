"""Benchmark: the default decoder on real phone-camera photos, beside zxing-cpp's defaults.

    .venv/bin/python bench/real_photos.py [--photos ../shared/photos/qr-real] [--quick]

Reads every photo of the labelled real set (``labels.json``: the corners of every
code in each photo; README.md there) with each decoder column and prints, per
folder, the share of labelled codes read, then the mean of the folders, wrong
texts and the time per photo.  A code counts as read when the centre of a
decoded symbol lies inside its polygon, or the polygon's centre inside the
decoded symbol (the set's scoring rule).  The labels hold no texts: a *wrong
text* is a read inside a labelled code whose text differs from the text most
columns read there; *unlabelled* counts reads outside every labelled code.

Columns: the kiosk default on stills (what ``kiosk decode`` and a folder source
run), the default stage as it reads a stream's frames, zxing-cpp's library
defaults (``read_barcodes``, QR family), each stage alone (zxing-cpp with the
default's settings and nothing else; the rescue; each stills view), and the
stream default with one setting changed, so every setting is measured on real
photos (``bench/decoders.py`` measures the same on the generated footage).
Every column reads the kiosk's grey (``to_grey``, blue-weighted) but the
library-defaults column (BGR, as a caller of the library would pass it) and the
luminance column.  ``--quick`` runs only the main columns: the three above, and the
stills default without the deblur stage (``ReadSettings.deblur``, ``hunt``), as it
read before it, and the stream default with the deblur of located symbols, side by
side.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from kiosk.adapters.qr import (
    DEFAULT_SETTINGS,
    LIBRARY_DEFAULTS,
    STILLS_SETTINGS,
    ReadSettings,
    settings_reader,
    to_grey,
)

PHOTOS = Path(__file__).resolve().parents[1] / ".." / "shared" / "photos" / "qr-real"

Corners = tuple[tuple[int, int], ...]
Reads = list[tuple[str, Corners]]
Column = Callable[[np.ndarray], Reads]


def _settings(settings: ReadSettings, *, grey: str = "kiosk") -> Column:
    read = settings_reader(settings)

    def column(image: np.ndarray) -> Reads:
        view = image if grey == "bgr" else to_grey(image)
        if grey == "luminance":
            view = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        if view.ndim == 3:  # the library's own BGR conversion, as a plain caller gets
            view = cv2.cvtColor(view, cv2.COLOR_BGR2GRAY)
        return read(view, None)

    return column


def _alone(**changes: bool) -> ReadSettings:
    """zxing-cpp with the default's settings, every stage of its own off, ``changes`` on."""
    base = dict(smooth=False, rescue=False, deblur=False, hunt=False, stills=False)
    return dataclasses.replace(DEFAULT_SETTINGS, **{**base, **changes})


def columns(quick: bool) -> dict[str, Column]:
    main = {
        "kiosk default (stills)": _settings(STILLS_SETTINGS),
        "kiosk default (stream frame)": _settings(DEFAULT_SETTINGS),
        "zxing-cpp defaults": _settings(LIBRARY_DEFAULTS, grey="bgr"),
        "stills, no deblur (before)": _settings(
            dataclasses.replace(STILLS_SETTINGS, deblur=False, hunt=False)
        ),
        "stream frame, deblur located symbols": _settings(
            dataclasses.replace(DEFAULT_SETTINGS, deblur=True)
        ),
    }
    if quick:
        return main
    d = DEFAULT_SETTINGS
    return {
        **main,
        "stage: zxing-cpp, Model 2, downscale tries": _settings(_alone()),
        "stage: + rescue": _settings(_alone(rescue=True)),
        "stage: + smoothing of noisy frames": _settings(_alone(smooth=True)),
        "stage: + stills views": _settings(_alone(stills=True)),
        "stage: + rescue, deblur of located symbols": _settings(_alone(rescue=True, deblur=True)),
        "stage: + deblur hunt": _settings(_alone(hunt=True)),
        "stream, QR family reads (not Model 2 only)": _settings(
            dataclasses.replace(d, model2_only=False)
        ),
        "stream, locating Model 2 only": _settings(dataclasses.replace(d, locate_family=False)),
        "stream, no downscale tries": _settings(dataclasses.replace(d, downscale=False)),
        "stream, rotate tries": _settings(dataclasses.replace(d, rotate=True)),
        "stream, luminance grey": _settings(d, grey="luminance"),
    }


def _inside(point: np.ndarray, polygon: np.ndarray) -> bool:
    return cv2.pointPolygonTest(polygon, (float(point[0]), float(point[1])), False) >= 0


def matches(corners: Corners, polygon: np.ndarray) -> bool:
    """The set's rule: the symbol's centre in the polygon, or the polygon's centre in it."""
    if len(corners) < 3:
        return False
    quad = np.array(corners, np.float32)
    return _inside(quad.mean(axis=0), polygon) or _inside(polygon.mean(axis=0), quad)


@dataclass
class Tally:
    hits: dict[tuple[str, int], str] = field(default_factory=dict)
    """(photo, code index) -> the text read there."""
    unlabelled: int = 0
    seconds: float = 0.0


def run(photos: Path, cols: dict[str, Column]) -> dict[str, Tally]:
    labels: dict[str, list[list[list[float]]]] = json.loads((photos / "labels.json").read_text())
    tallies = {name: Tally() for name in cols}
    for key, polygons in sorted(labels.items()):
        image = cv2.imread(str(photos / key), cv2.IMREAD_COLOR)
        if image is None:
            raise SystemExit(f"{photos / key}: cannot read the photo")
        shapes = [np.array(p, np.float32) for p in polygons]
        for name, column in cols.items():
            t = tallies[name]
            start = time.perf_counter()
            reads = column(image)
            t.seconds += time.perf_counter() - start
            for text, corners in reads:
                inside = [i for i, poly in enumerate(shapes) if matches(corners, poly)]
                for i in inside:
                    t.hits.setdefault((key, i), text)
                t.unlabelled += not inside
    return tallies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--photos", type=Path, default=PHOTOS, help="the labelled photo set")
    parser.add_argument("--quick", action="store_true", help="the main columns only")
    args = parser.parse_args()
    photos = args.photos.resolve()
    if not (photos / "labels.json").is_file():
        print(f"real_photos: {photos}/labels.json not found (--photos)", file=sys.stderr)
        return 2
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})
    load = os.getloadavg()
    cols = columns(args.quick)
    tallies = run(photos, cols)
    labels: dict[str, list[object]] = json.loads((photos / "labels.json").read_text())
    folders = sorted({k.split("/")[0] for k in labels})
    total = {f: sum(len(v) for k, v in labels.items() if k.split("/")[0] == f) for f in folders}
    names = list(cols)
    # a labelled code's reference text: the one most columns read there
    votes: dict[tuple[str, int], Counter[str]] = {}
    for t in tallies.values():
        for spot, text in t.hits.items():
            votes.setdefault(spot, Counter())[text] += 1
    reference = {spot: c.most_common(1)[0][0] for spot, c in votes.items()}

    def rate(name: str, folder: str) -> float:
        hit = sum(1 for (k, _) in tallies[name].hits if k.split("/")[0] == folder)
        return 100.0 * hit / total[folder]

    print(f"# real photos: {photos.name}, {len(labels)} photos, {sum(total.values())} codes")
    print(
        f"# machine: {os.cpu_count()} cores, pinned to 1, load average {load[0]:.1f} at start;"
        f" {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}"
    )
    print("| folder | codes | " + " | ".join(names) + " |")
    print("|---|---:|" + "---:|" * len(names))
    for f in folders:
        print(f"| {f} | {total[f]} | " + " | ".join(f"{rate(n, f):.0f} %" for n in names) + " |")
    means = {n: statistics.fmean(rate(n, f) for f in folders) for n in names}
    print(
        f"| **mean of the {len(folders)} folders** | {sum(total.values())} | "
        + " | ".join(f"**{means[n]:.1f} %**" for n in names)
        + " |"
    )
    wrong = {
        n: sum(1 for spot, text in tallies[n].hits.items() if text != reference[spot])
        for n in names
    }
    print("| wrong texts | | " + " | ".join(str(wrong[n]) for n in names) + " |")
    print("| unlabelled reads | | " + " | ".join(str(tallies[n].unlabelled) for n in names) + " |")
    print(
        "| ms a photo (mean) | | "
        + " | ".join(f"{1000 * tallies[n].seconds / len(labels):.1f}" for n in names)
        + " |"
    )
    lib = "zxing-cpp defaults"
    default = names[0]
    behind = [f for f in folders if rate(default, f) < rate(lib, f)]
    print(
        f"# folders where the default reads fewer codes than {lib}: {', '.join(behind) or 'none'}"
    )
    return 0 if not behind and means[default] >= 75.0 and wrong[default] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
