"""``kiosk decode``: print the QR texts found in images, folders and videos, one JSON line each.

    kiosk decode code.png frames/ footage.avi [--backend zxing|zbar|opencv|cascade] [--all]

Each line is ``{"source", "frame", "text", "corners", "backend", "ms"}``.  A
frame with nothing in it prints nothing, unless ``--all`` is given, which prints
a line with ``text`` null.  No judgement: the texts are printed as read (for
that, ``kiosk scan``).  Exit status 0 when every input was read, 2 when one
could not be (one line on stderr naming it).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from kiosk.adapters.camera import Frame, FrameSource, ScannedText, SourceError, open_source
from kiosk.adapters.config import CameraConfig
from kiosk.adapters.qr import BackendUnavailable, QrRead, decoder_names, make_decoder


def _line(source: str, frame: int, read: QrRead | None, backend: str) -> str:
    return json.dumps(
        {
            "source": source,
            "frame": frame,
            "text": read.text if read else None,
            "corners": [list(c) for c in read.corners] if read else None,
            "backend": read.backend if read else backend,
            "ms": round(read.ms, 3) if read else None,
        },
        ensure_ascii=True,
    )


def _decode_source(source: FrameSource, decode: Any, backend: str, show_all: bool) -> None:
    for item in source:
        if isinstance(item, ScannedText):
            wedge = QrRead(item.text, (), "wedge", 0.0)
            print(_line(item.source, item.index, wedge, backend), flush=True)
            continue
        assert isinstance(item, Frame)
        reads = decode(item.image)
        if not reads and show_all:
            print(_line(item.source, item.index, None, backend), flush=True)
        for read in reads:
            print(_line(item.source, item.index, read, backend), flush=True)


def cmd_decode(args: argparse.Namespace) -> int:
    camera = CameraConfig()
    try:
        decode = make_decoder(args.backend, fallback_after=camera.fallback_after)
    except BackendUnavailable as exc:
        print(f"kiosk decode: {exc}", file=sys.stderr)
        return 2
    try:
        sources = [open_source(spec, camera) for spec in args.inputs]
    except SourceError as exc:
        print(f"kiosk decode: {exc}", file=sys.stderr)
        return 2
    status = 0
    for source in sources:
        reset = getattr(decode, "reset", None)
        if reset is not None:
            reset()  # a new source: the cascade's run of misses starts again
        try:
            _decode_source(source, decode, args.backend, args.all)
        except SourceError as exc:
            print(f"kiosk decode: {exc}", file=sys.stderr)
            status = 2
        finally:
            source.close()
    return status


def register(subs: Any) -> None:
    p = subs.add_parser(
        "decode", help="print the QR texts in images, folders or videos as JSON lines"
    )
    p.add_argument(
        "inputs", nargs="+", metavar="INPUT", help="image file, folder of images or video file"
    )
    p.add_argument(
        "--backend",
        choices=decoder_names(),
        default="cascade",
        help="QR decoder (default: cascade, the kiosk's own)",
    )
    p.add_argument("--all", action="store_true", help="also print frames with no code (text null)")
    p.set_defaults(func=cmd_decode)
