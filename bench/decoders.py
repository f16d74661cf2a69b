"""Benchmark: QR decoder backends side by side on generated phone-screen footage.

Measures, for every available backend and the kiosk's default cascade, on one
set of labelled still frames (all categories of ``kiosk_demo.footage``, 1280x720 and
640x480): reads per category, wrong reads (a text other than the expected
one: must be 0), and median / p95 milliseconds per frame with a code and per
empty frame.  It also counts the frames a fallback could rescue (primary
missed, fallback read) and runs the cascade against zxing alone on a video of
people walking up, which is where the cascade's schedule matters.  Last, every
decoder on camera photos this project did not make
(``tests/fixtures/photos/zxing-android``): QR codes read, wrong texts, and
texts read from photos of other symbologies or of no code.

Every decoder reads the kiosk's grey (``kiosk.adapters.qr.to_grey``: blue-weighted,
see ``GREY_WEIGHTS``), converted before the clock starts; the column
``cascade, luminance grey`` is the default decoder reading plain luminance
(``cv2.COLOR_BGR2GRAY``) instead, side by side.

    .venv/bin/python bench/decoders.py [--count 600] [--seed 1] [--people 8] [--photos-only]
        [--settings] [--motion 12]

``--settings`` adds the columns ``bench/real_photos.py`` prints for the real photos:
the default on stills (``kiosk decode``), zxing-cpp's library defaults, and the
default with one setting changed at a time, so that every setting of the default
stage is measured on the footage and on real photos side by side.

``--motion N`` reads only N motion-blurred phones at 720p, blur lengths spread evenly
over ``MOTION_LENGTHS`` (the issue's target: 10 of 12), with every column, the
``--settings`` ones included.

Prints Markdown; the figures go to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from kiosk.adapters.camera import image_files, read_image
from kiosk.adapters.qr import (
    BACKENDS,
    DEFAULT_PRIMARY,
    DEFAULT_SETTINGS,
    LIBRARY_DEFAULTS,
    STILLS_SETTINGS,
    Cascade,
    QrRead,
    ReadSettings,
    available_backends,
    decode_frame,
    settings_reader,
    to_grey,
)
from kiosk_demo.footage import (
    CATEGORIES,
    SIZES,
    Person,
    render_frames,
    render_still,
    render_video,
    sample_texts,
)

Decoder = Callable[[np.ndarray], list[QrRead]]

LUMINANCE = "cascade, luminance grey"
"""The decoder column that reads plain luminance instead of the kiosk's grey."""


def _greys(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the kiosk's grey, plain luminance) of a BGR frame."""
    return to_grey(image), cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


PHOTOS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "photos" / "zxing-android"


@dataclass
class Tally:
    """One decoder's results over the frame set."""

    reads: Counter[str] = field(default_factory=Counter)
    wrong: int = 0
    false_reads: int = 0
    ms_code: list[float] = field(default_factory=list)
    ms_empty: list[float] = field(default_factory=list)
    hits: set[int] = field(default_factory=set)


def _p95(values: Sequence[float]) -> float:
    return float(np.percentile(values, 95)) if values else float("nan")


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _with(settings: ReadSettings) -> Decoder:
    """The default stage read as ``settings`` ask, as a decoder column."""
    read = settings_reader(settings)

    def decode(grey: np.ndarray) -> list[QrRead]:
        start = time.perf_counter()
        found = read(grey, None)
        ms = (time.perf_counter() - start) * 1000.0
        return [QrRead(text, corners, "zxing-rescue", ms) for text, corners in found]

    return decode


def settings_columns() -> dict[str, Decoder]:
    """The same columns as ``bench/real_photos.py``: each setting changed alone."""
    d = DEFAULT_SETTINGS
    return {
        "default, stills": _with(STILLS_SETTINGS),
        "default, stills, no deblur (before)": _with(
            dataclasses.replace(STILLS_SETTINGS, deblur=False, hunt=False)
        ),
        "zxing-cpp defaults": _with(LIBRARY_DEFAULTS),
        "deblur located symbols": _with(dataclasses.replace(d, deblur=True)),
        "deblur + hunt": _with(dataclasses.replace(d, deblur=True, hunt=True)),
        "no smoothing": _with(dataclasses.replace(d, smooth=False)),
        "no rescue": _with(dataclasses.replace(d, rescue=False)),
        "QR family reads": _with(dataclasses.replace(d, model2_only=False)),
        "locating Model 2 only": _with(dataclasses.replace(d, locate_family=False)),
        "no downscale tries": _with(dataclasses.replace(d, downscale=False)),
        "rotate tries": _with(dataclasses.replace(d, rotate=True)),
    }


def run_frames(
    decoders: dict[str, Decoder], count: int, seed: int
) -> tuple[dict[str, Tally], Counter[str], list[str]]:
    tallies = {name: Tally() for name in decoders}
    totals: Counter[str] = Counter()
    categories: list[str] = []
    for i, (image, label) in enumerate(render_frames(count, seed, sizes=SIZES)):
        grey, luma = _greys(image)
        totals[label.category] += 1
        categories.append(f"{label.category} {label.size}")
        for name, decode in decoders.items():
            t = tallies[name]
            view = luma if name == LUMINANCE else grey
            start = time.perf_counter()
            reads = decode(view)
            ms = (time.perf_counter() - start) * 1000.0
            texts = {r.text for r in reads}
            if label.text is None:
                t.ms_empty.append(ms)
                t.false_reads += len(texts)
                if not texts:
                    t.reads[label.category] += 1
                continue
            t.ms_code.append(ms)
            t.wrong += len(texts - {label.text})
            if label.text in texts:
                t.reads[label.category] += 1
                t.hits.add(i)
    return tallies, totals, categories


def frames_table(tallies: dict[str, Tally], totals: Counter[str]) -> list[str]:
    names = list(tallies)
    lines = [
        "| category | frames | " + " | ".join(names) + " |",
        "| --- | ---: | " + " | ".join("---:" for _ in names) + " |",
    ]
    for category in CATEGORIES:
        n = totals[category]
        label = "empty (no read = right)" if category == "empty" else category
        cells = [f"{tallies[name].reads[category]}" for name in names]
        lines.append(f"| {label} | {n} | " + " | ".join(cells) + " |")
    with_code = sum(n for c, n in totals.items() if c != "empty")
    read = [sum(v for c, v in tallies[n].reads.items() if c != "empty") for n in names]
    lines.append(
        f"| **read, frames with a code** | {with_code} | "
        + " | ".join(f"**{r} ({100 * r / with_code:.0f}%)**" for r in read)
        + " |"
    )
    lines.append(
        "| wrong reads (text != expected) | | "
        + " | ".join(str(tallies[n].wrong) for n in names)
        + " |"
    )
    lines.append(
        "| reads in empty frames | | "
        + " | ".join(str(tallies[n].false_reads) for n in names)
        + " |"
    )
    for key, title in (("ms_code", "frame with a code"), ("ms_empty", "empty frame")):
        cells = [
            f"{_median(getattr(tallies[n], key)):.1f} / {_p95(getattr(tallies[n], key)):.1f}"
            for n in names
        ]
        lines.append(f"| ms median / p95, {title} | | " + " | ".join(cells) + " |")
    return lines


def rescue_lines(
    tallies: dict[str, Tally], categories: list[str], primary: str = "zxing"
) -> list[str]:
    """Frames the primary missed that another backend read: the most a fallback can add."""
    lines = []
    for name, t in tallies.items():
        if name in (primary, "cascade", LUMINANCE):
            continue
        extra = sorted(t.hits - tallies[primary].hits)
        where = Counter(categories[i] for i in extra)
        detail = f" ({', '.join(f'{c}: {n}' for c, n in sorted(where.items()))})" if extra else ""
        lines.append(f"- frames {primary} missed that {name} read: **{len(extra)}**{detail}")
    return lines


def run_video(
    decoders: dict[str, Decoder], people: int, seed: int, size: tuple[int, int]
) -> list[str]:
    """People read at all, and frames from the phone's entry to the first right read."""
    texts = sample_texts(people, seed + 100)
    frames, spans, _ = render_video([Person(t, 2.0) for t in texts], seed, size=size)
    images = [to_grey(f) for f in frames]
    lines = [
        f"| decoder ({size[0]}x{size[1]}, {people} people, 25 fps) | people read | "
        "frames to first read, median / max | frames read while held | wrong reads |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, decode in decoders.items():
        reads_at = [{r.text for r in decode(img)} for img in images]
        got, delays, held, wrong = 0, [], 0, 0
        for span in spans:
            seen = [
                i for i in range(span.first_frame, span.last_frame + 1) if span.text in reads_at[i]
            ]
            held += sum(1 for i in seen if span.hold_first <= i <= span.hold_last)
            if seen:
                got += 1
                delays.append(seen[0] - span.first_frame)
        expected = {s.text for s in spans}
        wrong = sum(len(r - expected) for r in reads_at)
        hold_frames = sum(s.hold_last - s.hold_first + 1 for s in spans)
        delay = f"{_median(delays):.0f} / {max(delays)}" if delays else "-"
        lines.append(f"| {name} | {got}/{len(spans)} | {delay} | {held}/{hold_frames} | {wrong} |")
    return lines


def run_photos(decoders: dict[str, Decoder], folder: Path = PHOTOS) -> list[str]:
    """Every decoder on real camera photos: QR codes read, wrong texts, texts from non-QR photos."""
    expected: dict[str, str | None] = json.loads((folder / "expected.json").read_text("utf-8"))
    photos = [(p.name, *_greys(read_image(p))) for p in image_files(folder)]
    with_qr = sum(1 for name, _, _ in photos if expected[name] is not None)
    names = list(decoders)
    rows: dict[str, list[str]] = {}
    for name, decode in decoders.items():
        read = wrong = stray = 0
        ms: list[float] = []
        for file, grey, luma in photos:
            view = luma if name == LUMINANCE else grey
            start = time.perf_counter()
            texts = {r.text for r in decode(view)}
            ms.append((time.perf_counter() - start) * 1000.0)
            want = expected[file]
            if want is None:
                stray += len(texts)
                continue
            read += want in texts
            wrong += len(texts - {want})
        rows[name] = [f"{read}/{with_qr}", str(wrong), str(stray), f"{_median(ms):.1f}"]
    titles = ("QR photos read", "wrong texts", f"texts from the {len(photos) - with_qr} "
              "photos without a QR code", "ms median per photo")  # fmt: skip
    lines = [
        f"| {len(photos)} camera photos (ZXing benchmark) | " + " | ".join(names) + " |",
        "| --- | " + " | ".join("---:" for _ in names) + " |",
    ]
    for i, title in enumerate(titles):
        lines.append(f"| {title} | " + " | ".join(rows[n][i] for n in names) + " |")
    return lines


MOTION_SIZE = (1280, 720)
MOTION_LENGTHS = (3.0, 14.0)
"""The ``--motion`` set's blur lengths, pixels at 720p, spread evenly: a phone moving
5-30 cm/s during an auto exposure (60 % of a 33 ms frame) with its code 25 px a
centimetre; the footage's ``motion`` category draws 4-12 at random."""


def run_motion(decoders: dict[str, Decoder], count: int, seed: int) -> list[str]:
    """``count`` motion-blurred phones at 720p, blur lengths spread over ``MOTION_LENGTHS``
    (any direction), each read by every decoder: x/count, and the lengths missed."""
    texts = sample_texts(count, seed + 200)
    low, high = MOTION_LENGTHS
    lengths = [low + (high - low) * i / max(1, count - 1) for i in range(count)]
    frames = [
        to_grey(
            render_still(t, "motion", MOTION_SIZE, np.random.default_rng([seed, 200, i]),
                         motion_px=px)
        )
        for i, (t, px) in enumerate(zip(texts, lengths, strict=True))
    ]  # fmt: skip
    lines = [
        f"| decoder ({count} motion-blurred phones, {MOTION_SIZE[0]}x{MOTION_SIZE[1]}, "
        f"blur {low:g}-{high:g} px) | read | wrong | blur lengths missed (px) "
        "| ms median / max |",
        "| --- | ---: | ---: | --- | ---: |",
    ]
    for name, decode in decoders.items():
        read, wrong, missed, ms = 0, 0, [], []
        for grey, text, px in zip(frames, texts, lengths, strict=True):
            start = time.perf_counter()
            got = {r.text for r in decode(grey)}
            ms.append((time.perf_counter() - start) * 1000.0)
            read += text in got
            wrong += len(got - {text})
            if text not in got:
                missed.append(f"{px:.0f}")
        lines.append(
            f"| {name} | {read}/{count} | {wrong} | {', '.join(missed) or '-'} "
            f"| {_median(ms):.1f} / {max(ms):.1f} |"
        )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--count", type=int, default=600, help="still frames (both sizes)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--people", type=int, default=8, help="people in the video part")
    p.add_argument("--photos-only", action="store_true", help="only the camera photos part")
    p.add_argument("--settings", action="store_true", help="one setting changed at a time")
    p.add_argument("--motion", type=int, metavar="N", help="only N motion-blurred phones at 720p")
    args = p.parse_args(argv)
    if args.motion is not None and args.motion < 1:
        p.error("--motion: at least 1 phone")
    cv2.setNumThreads(max(1, cv2.getNumThreads()))
    available = available_backends()
    decoders: dict[str, Decoder] = {
        name: (lambda img, n=name: decode_frame(img, n)) for name in available
    }
    # stills are unrelated frames: each one's noise is estimated on its own
    decoders["cascade"] = Cascade(fallback_after=15, noise_every=1)
    decoders[LUMINANCE] = Cascade(fallback_after=15, noise_every=1)
    if args.settings or args.motion:
        decoders.update(settings_columns())
    missing = [b for b in BACKENDS if b not in available]
    if args.photos_only:
        print("\n".join(run_photos(decoders)))
        return 0
    if args.motion:
        print("\n".join(run_motion(decoders, args.motion, args.seed)))
        return 0
    start = time.perf_counter()
    tallies, totals, categories = run_frames(decoders, args.count, args.seed)
    print(
        f"### Still frames: {args.count} frames, seed {args.seed}, "
        f"sizes {', '.join(f'{w}x{h}' for w, h in SIZES)}\n"
    )
    if missing:
        print(f"Not available on this machine: {', '.join(missing)}.\n")
    default = decoders["cascade"]
    print(f"`cascade` = the default decoder: {default.primary}, fallback {default.fallback}.\n")
    print("\n".join(frames_table(tallies, totals)))
    print()
    print("\n".join(rescue_lines(tallies, categories)))
    print()
    video_decoders: dict[str, Decoder] = {"zxing": decoders["zxing"]}
    for other in available:
        if other not in ("zxing", DEFAULT_PRIMARY):
            video_decoders[f"cascade, fallback {other}"] = Cascade(fallback=other)
    for size in SIZES:
        print("\n".join(run_video(video_decoders, args.people, args.seed, size)))
        print()
    print("\n".join(run_photos(decoders)))
    print()
    print(f"Bench time: {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
