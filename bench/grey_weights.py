"""Benchmark: the kiosk's blue-weighted grey against plain luminance, per footage category.

    .venv/bin/python bench/grey_weights.py [--count 300] [--seed 99] [--categories coloured,small]

Renders ``count`` still frames of each category (both sizes, alternating) and
reads each one twice with the default stage (``zxing-rescue``): once from the
kiosk's grey (``kiosk.adapters.qr.to_grey``, ``GREY_WEIGHTS``) and once from
plain luminance (``cv2.COLOR_BGR2GRAY``).  Prints per category the frames
read each way, and the frames only one of the two read; wrong texts must be 0.
The decoder bench (``bench/decoders.py``) has 40 frames a category, too few to
tell a difference of a few per cent from chance.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

import cv2

from kiosk.adapters.qr import decode_frame, to_grey
from kiosk_demo.footage import CATEGORIES, render_frames


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--count", type=int, default=300, help="frames per category")
    p.add_argument("--seed", type=int, default=99)
    p.add_argument(
        "--categories",
        type=lambda v: [c.strip() for c in v.split(",")],
        default=["coloured", "small", "blur", "noise", "low_contrast", "tilted", "dark"],
    )
    args = p.parse_args(argv)
    unknown = set(args.categories) - set(CATEGORIES) | ({"empty"} & set(args.categories))
    if unknown:
        p.error(f"--categories: not a category with a code: {', '.join(sorted(unknown))}")
    start = time.perf_counter()
    print(f"### Grey conversion: {args.count} frames a category, seed {args.seed}\n")
    print("| category | frames | luminance | kiosk grey | only luminance | only kiosk grey |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    wrong = 0
    for category in args.categories:
        luma_read = kiosk_read = only_luma = only_kiosk = 0
        for image, label in render_frames(args.count, args.seed, categories=(category,)):
            kiosk = {r.text for r in decode_frame(to_grey(image), "zxing-rescue")}
            luminance = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
            luma = {r.text for r in decode_frame(luminance, "zxing-rescue")}
            wrong += len(luma - {label.text}) + len(kiosk - {label.text})
            a, b = label.text in luma, label.text in kiosk
            luma_read += a
            kiosk_read += b
            only_luma += a and not b
            only_kiosk += b and not a
        cells = (args.count, luma_read, kiosk_read, only_luma, only_kiosk)
        print(f"| {category} | " + " | ".join(str(c) for c in cells) + " |")
    print(f"\nWrong texts: {wrong}. Bench time: {time.perf_counter() - start:.0f} s")
    return 0 if wrong == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
