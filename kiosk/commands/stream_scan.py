"""``kiosk scan --source``: judge a frame stream as the kiosk does, without logging.

One decision per person (the replay rules of ``kiosk.core.replay``), printed
as it happens, with the stream time of the frame that produced it — the
operator's way to replay a recorded video through the judging chain, and
the benchmark's way to measure it.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from kiosk.adapters.config import CameraConfig, ConfigError, ScanConfig
from kiosk.commands.decision_output import decision_json_line, decision_lines
from kiosk.core.clock import parse_instant
from kiosk.core.replay import ReplayGuard
from kiosk.judgement_setup import Judgement
from kiosk.scan_loop import ScanLoop, replay_rules


def scan_stream(args: argparse.Namespace, judgement: Judgement) -> int:
    from kiosk.adapters.camera import ScannedText, SourceError, open_source
    from kiosk.adapters.qr import Cascade

    config = judgement.config
    camera = config.camera if config else CameraConfig()
    rules = replay_rules(config.scan if config else ScanConfig())
    try:
        frames = open_source(args.source, camera, realtime=False)
    except SourceError as exc:
        raise ConfigError(f"--source {args.source}: {exc}") from None
    # With --at, the stream is judged as if its first frame were seen at that moment.
    base = parse_instant(args.at) if args.at else None

    def now_of(t: float) -> int:
        return int(base + t) if base is not None else int(time.time())

    loop = ScanLoop(
        Cascade.from_config(camera, stills=frames.stills),
        lambda: judgement.context,
        ReplayGuard(rules),
        now=now_of,
        confirm_other=not frames.stills,
    )
    try:
        for frame in frames:
            made: list[Any]
            if isinstance(frame, ScannedText):
                one = loop.process_text(frame.text, frame.t, frame.index, args.source)
                made = [one] if one is not None else []
            else:
                made = loop.process_frame(frame, args.source)
            for item in made:
                if args.json:
                    line = decision_json_line(
                        item.decision,
                        source=args.source,
                        frame=item.frame_index,
                        frame_time_s=round(item.frame_time_s, 3),
                        decode_ms=round(item.decode_ms, 2),
                        judge_ms=round(item.judge_ms, 2),
                    )
                    print(line, flush=True)
                else:
                    where = f"{args.source} frame {item.frame_index} ({item.frame_time_s:.2f} s)"
                    print("\n".join(decision_lines(item.decision, where)), flush=True)
    finally:
        close = getattr(frames, "close", None)
        if callable(close):
            close()
    return 0
