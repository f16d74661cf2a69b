"""``kiosk scan``: judge QR codes from images, folders, videos or text, and print decisions.

    kiosk scan --config config/kiosk.toml code.png other.png folder/
    kiosk scan --root root.pub.pem --trust-list t.cose --text 'HCK1:...' --json
    kiosk scan --config kiosk.toml --source footage.avi --json   # a stream, as the kiosk sees it

Exit status: 0 when every input was read (whatever the verdicts), 1 when an
input could not be read, 2 for a usage or configuration error.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kiosk.adapters.config import ConfigError
from kiosk.commands.decision_output import decision_json_line, decision_lines
from kiosk.core.clock import TimeFormatError, parse_instant
from kiosk.core.limits import MAX_TIME, MIN_TIME
from kiosk.core.pipeline import scan
from kiosk.judgement_setup import Overrides, load_judgement


def add_judgement_args(p: argparse.ArgumentParser) -> None:
    """Flags shared by every command that judges codes."""
    p.add_argument("--config", type=Path, help="kiosk config file (TOML)")
    p.add_argument("--root", type=Path, help="root public key PEM (overrides trust.root_key)")
    p.add_argument("--trust-list", type=Path, help="signed trust list file (overrides the config)")
    p.add_argument(
        "--revocations", type=Path, help="signed revocation list file (overrides the config)"
    )
    p.add_argument("--policy", type=Path, help="site policy TOML (overrides the config)")


def overrides_of(args: argparse.Namespace) -> Overrides:
    return Overrides(args.root, args.trust_list, args.revocations, args.policy)


def judge_time(args: argparse.Namespace) -> int:
    if args.at is None:
        return int(time.time())
    try:
        at = parse_instant(args.at)
    except (TimeFormatError, OverflowError, ValueError) as exc:
        raise ConfigError(f"--at: {exc}") from None
    if not MIN_TIME <= at <= MAX_TIME:
        raise ConfigError(
            f"--at: {args.at} is outside the times a code can hold "
            f"({MIN_TIME} .. {MAX_TIME}, 1970 to 9999)"
        )
    return at


def _texts_from_images(paths: list[Path], errors: list[str]) -> Iterator[tuple[str, str]]:
    """(source, QR text) for every code found in the image files and folders."""
    # local imports: --text needs no OpenCV
    from kiosk.adapters.camera import SourceError, image_files, read_image
    from kiosk.adapters.qr import DEFAULT_PRIMARY, decode_frame
    from kiosk.core.codec import PREFIX

    for path in paths:
        if not path.exists():
            errors.append(f"{path}: no such file or folder")
            continue
        try:
            files = image_files(path) if path.is_dir() else [path]
        except SourceError as exc:
            errors.append(str(exc))
            continue
        if path.is_dir() and not files:
            errors.append(f"{path}: folder holds no images")
        for file in files:
            try:
                image = read_image(file)
            except SourceError as exc:
                errors.append(str(exc))
                continue
            reads = decode_frame(image, DEFAULT_PRIMARY, stills=True)
            if not reads:
                print(f"kiosk scan: {file}: no QR code found", file=sys.stderr)
            texts = list(dict.fromkeys(read.text for read in reads))  # every code, once
            if any(text.startswith(PREFIX) for text in texts):  # a poster beside a phone
                texts = [text for text in texts if text.startswith(PREFIX)]
            for text in texts:
                yield str(file), text


def cmd_scan(args: argparse.Namespace) -> int:
    if not args.inputs and args.text is None and args.source is None:
        raise ConfigError(
            "nothing to scan: give image files or folders, --text TEXT or --source SOURCE"
        )
    now = judge_time(args)
    judgement = load_judgement(args.config, overrides_of(args), now=now)
    for problem in judgement.trust_state.problems:
        print(f"kiosk scan: warning: {problem}", file=sys.stderr)
    if args.source is not None:
        from kiosk.commands.stream_scan import scan_stream

        return scan_stream(args, judgement)
    errors: list[str] = []
    items: list[tuple[str, str]] = []
    if args.text is not None:
        items.append(("--text", args.text))
    emit = _emitter(args.json)
    for source, text in items:
        emit(scan(text, judgement.context, now), source)
    if args.inputs:
        for source, text in _texts_from_images(list(args.inputs), errors):
            emit(scan(text, judgement.context, now), source)
    for error in errors:
        print(f"kiosk scan: {error}", file=sys.stderr)
    return 1 if errors else 0


def _emitter(as_json: bool) -> Any:
    def emit(decision: Any, source: str) -> None:
        if as_json:
            print(decision_json_line(decision, source=source), flush=True)
        else:
            print("\n".join(decision_lines(decision, source)), flush=True)

    return emit


def register(subs: Any) -> None:
    p = subs.add_parser("scan", help="judge QR codes in images, folders, videos or text")
    add_judgement_args(p)
    p.add_argument("inputs", nargs="*", type=Path, help="image files or folders of images")
    p.add_argument("--text", help="QR text to judge directly (e.g. from a hand scanner)")
    p.add_argument(
        "--source", help="a frame source judged as a stream: video file, image folder, camera"
    )
    p.add_argument("--json", action="store_true", help="one JSON object per decision")
    p.add_argument(
        "--at", help="judge as of this time (ISO 8601 or epoch seconds), for audits and vectors"
    )
    p.set_defaults(func=cmd_scan)
