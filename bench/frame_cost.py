"""Benchmark: what the default decoder costs a 720p frame, beside an earlier version of it.

    .venv/bin/python bench/frame_cost.py [--people 12] [--exposure-ms 2]
        [--compare /path/to/an/older/kiosk/adapters/qr.py] [--settings]

Renders a seeded walk-up video (``kiosk.footage``, the kiosk's camera exposure)
twice, without and with a venue's QR poster on the wall, and times on one core
every decoder column on the same frames, one after another per frame (so load
from other processes falls on every column alike): median and p95 ms for frames
with a phone in view and for frames without one.  ``--compare`` loads another
version of ``kiosk/adapters/qr.py`` (e.g. ``git show e0272d1:kiosk/adapters/qr.py
> /tmp/qr_old.py``) as a column of its own; ``--settings`` adds the default with
one setting changed at a time.  Decoders read the kiosk's grey, converted before
the clock starts; the noise is estimated once in ``NOISE_EVERY`` frames, as a
stream's ``Cascade`` does.  Prints Markdown.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import importlib.util
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from kiosk.adapters.qr import (
    DEFAULT_SETTINGS,
    NOISE_EVERY,
    noise_sigma,
    settings_reader,
    to_grey,
)
from kiosk.footage import POSTER_TEXT, Person, _plan, _video_frames, exposure, sample_texts

Read = Callable[[np.ndarray, float | None], Any]


def _load(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location("qr_compared", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"frame_cost: cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["qr_compared"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def columns(compare: Path | None, settings: bool) -> dict[str, Read]:
    out: dict[str, Read] = {}
    if compare is not None:
        old = _load(compare)
        out[f"{compare.name} (default stage)"] = lambda g, n: old.decode_frame(
            g, old.DEFAULT_PRIMARY, noise=n
        )
    out["this branch (default stage)"] = settings_reader(DEFAULT_SETTINGS)
    if settings:
        d = DEFAULT_SETTINGS
        for label, changed in (
            ("locating Model 2 only", dataclasses.replace(d, locate_family=False)),
            ("no downscale tries", dataclasses.replace(d, downscale=False)),
            ("no rescue", dataclasses.replace(d, rescue=False)),
        ):
            out[f"this branch, {label}"] = settings_reader(changed)
    return out


def run(
    cols: dict[str, Read], people: int, seed: int, exposure_ms: float, poster: str | None
) -> dict[str, tuple[list[float], list[float]]]:
    size = (1280, 720)
    walkers = [Person(t, 1.0) for t in sample_texts(people, seed)]
    visits, total = _plan(walkers, seed, size, 30.0)
    in_view = {f for v in visits for f in range(v.span.first_frame, v.span.last_frame + 1)}
    frames = _video_frames(visits, total, seed, size, exposure(exposure_ms, 30.0), poster=poster)
    times: dict[str, tuple[list[float], list[float]]] = {n: ([], []) for n in cols}
    noise: float | None = None
    for index, image in enumerate(frames):
        grey = to_grey(image)
        if index % NOISE_EVERY == 0:
            noise = noise_sigma(grey)
        for name, read in cols.items():
            start = time.perf_counter()
            read(grey, noise)
            ms = (time.perf_counter() - start) * 1000
            times[name][0 if index in in_view else 1].append(ms)
    return times


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} / {float(np.percentile(values, 95)):.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=12)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--exposure-ms", type=float, default=2.0)
    parser.add_argument("--compare", type=Path, help="another version of kiosk/adapters/qr.py")
    parser.add_argument("--settings", action="store_true", help="one setting changed at a time")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})
    cols = columns(args.compare, args.settings)
    load0 = os.getloadavg()[0]
    results = {
        "no poster": run(cols, args.people, args.seed, args.exposure_ms, None),
        "poster in view": run(cols, args.people, args.seed, args.exposure_ms, POSTER_TEXT),
    }
    load1 = os.getloadavg()[0]
    print(
        f"# {args.people} people walking up, 1280x720, exposure {args.exposure_ms:g} ms;"
        f" {os.cpu_count()} cores, pinned to 1, load average {load0:.1f} -> {load1:.1f};"
        f" {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}"
    )
    print("| decoder | scene | frames with a phone: median / p95 ms | empty: median / p95 ms |")
    print("|---|---|---:|---:|")
    for name in cols:
        for scene, times in results.items():
            code, empty = times[name]
            print(f"| {name} | {scene} | {_spread(code)} | {_spread(empty)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
