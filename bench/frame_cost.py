"""Benchmark: what the default decoder costs a 720p frame, beside an earlier version of it.

    .venv/bin/python bench/frame_cost.py [--people 12] [--exposure-ms 2]
        [--compare /path/to/an/older/kiosk/adapters/qr.py] [--settings]

Renders a seeded walk-up video (``kiosk_demo.footage``, the kiosk's camera exposure)
twice, without and with a venue's QR poster on the wall, and times on one core
every decoder column on the same frames, one after another per frame, each column
first in turn (so load from other processes, and the cost of bringing a new frame
into the cache, fall on every column alike): median, mean and p95 ms for
frames with a phone in view and for frames without one.  The kiosk's decoder is
timed as a stream's ``Cascade`` runs it (noise estimated once in ``NOISE_EVERY``
frames, downscaled tries once in ``DOWNSCALE_EVERY``).  ``--compare`` loads
another version of ``kiosk/adapters/qr.py`` (e.g. ``git show
e0272d1:kiosk/adapters/qr.py > /tmp/qr_old.py``) and times its ``Cascade`` the
same way; ``--settings`` adds the default stage with one setting changed at a
time, read on every frame with the noise estimated once in ``NOISE_EVERY``.
Decoders read the kiosk's grey, converted before the clock starts.  The clock
is the process's CPU time (``time.process_time``): on a machine shared with
other work, wall time also counts the waits for a core.  Prints Markdown.
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

from kiosk.adapters import qr as kiosk_qr
from kiosk.adapters.qr import (
    DEFAULT_SETTINGS,
    NOISE_EVERY,
    noise_sigma,
    settings_reader,
    to_grey,
)
from kiosk_demo.footage import POSTER_TEXT, Person, _plan, _video_frames, exposure, sample_texts

Read = Callable[[np.ndarray, float | None], Any]
Factory = Callable[[], Read]
"""A column: makes a fresh decoder (a cascade keeps state) for each scene."""


def _load(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location("qr_compared", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"frame_cost: cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["qr_compared"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _cascade(module: Any) -> Factory:
    def make() -> Read:
        cascade = module.Cascade()
        return lambda grey, _noise: cascade(grey)

    return make


def columns(compare: Path | None, settings: bool) -> dict[str, Factory]:
    out: dict[str, Factory] = {}
    if compare is not None:
        out[f"{compare.name} (Cascade)"] = _cascade(_load(compare))
    out["this branch (Cascade)"] = _cascade(kiosk_qr)
    if settings:
        d = DEFAULT_SETTINGS
        for label, changed in (
            ("default stage, every frame", d),
            ("locating Model 2 only", dataclasses.replace(d, locate_family=False)),
            ("no downscale tries", dataclasses.replace(d, downscale=False)),
            ("no rescue", dataclasses.replace(d, rescue=False)),
            ("deblur located symbols", dataclasses.replace(d, deblur=True)),
            ("deblur + hunt", dataclasses.replace(d, deblur=True, hunt=True)),
        ):
            out[f"this branch, {label}"] = lambda c=changed: settings_reader(c)
    return out


def run(
    factories: dict[str, Factory], people: int, seed: int, exposure_ms: float, poster: str | None
) -> dict[str, tuple[list[float], list[float]]]:
    cols = {name: make() for name, make in factories.items()}
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
        names = list(cols)
        shift = index % len(names)  # each column goes first in turn: the first pays the cache
        for name in names[shift:] + names[:shift]:
            read = cols[name]
            start = time.process_time()
            read(grey, noise)
            ms = (time.process_time() - start) * 1000
            times[name][0 if index in in_view else 1].append(ms)
    return times


def _spread(values: list[float]) -> str:
    median, mean = statistics.median(values), statistics.fmean(values)
    return f"{median:.2f} / {mean:.2f} / {float(np.percentile(values, 95)):.2f}"


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
        f" {os.cpu_count()} cores, pinned to 1, load average {load0:.1f} -> {load1:.1f},"
        " CPU time;"
        f" {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}"
    )
    print(
        "| decoder | scene | frames with a phone: median / mean / p95 ms"
        " | empty: median / mean / p95 ms |"
    )
    print("|---|---|---:|---:|")
    for name in cols:
        for scene, times in results.items():
            code, empty = times[name]
            print(f"| {name} | {scene} | {_spread(code)} | {_spread(empty)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
