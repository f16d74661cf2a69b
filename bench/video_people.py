"""People walking up to the kiosk: one decision each, right verdicts, latency, frame cost.

    .venv/bin/python bench/video_people.py [--people 100] [--size 1280x720] [--fps 30]
        [--exposures 2,auto] [--inks colour|grey] [--greys kiosk,luminance]
        [--families-every 10] [--no-poster]

Renders a seeded video of N people (mixed verdicts; tilted, blurred, dark-mode
phones; one person shows a screenshot of an earlier person's code; every
``--families-every``-th person shows a family's three codes on one phone held
sideways: theirs, a child's and a grandparent's, one decision each; a venue's
QR poster on the wall in view the whole time, never to be judged) in memory
and runs every frame through the kiosk's scan loop (decoder cascade, replay
rules, pipeline) on one core.  The same people walk up once for each camera
exposure asked for (default: the kiosk's ``camera.exposure_ms``, then auto
exposure), side by side in one run.  Each code is drawn in its colour (green,
yellow, red modules on a light screen, as health-code apps draw them; dark-mode
phones light on dark), or near black with ``--inks grey`` (the runs before
2026-12-01's "Coloured codes").  ``--greys kiosk,luminance`` also runs every
exposure with the decoder reading plain luminance instead of the kiosk's
blue-weighted grey.  Reports, per exposure:

- people decided exactly once with the expected verdict, the shared
  screenshot flagged SHARED_CODE;
- latency from the code's first readable frame to its decision: stream
  time from the first frame in which any backend (zxing-cpp or OpenCV) can
  read the code, to the deciding frame, plus the compute time of that frame;
  and, for reference, from the first frame with the whole code in view
  (still moving, motion-blurred), from the phone entering view, and from the
  phone coming to rest;
- compute per frame (decode + judge): frames with a code vs empty frames,
  median and p95 ms, and the frame rate one core sustains.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from collections import deque
from pathlib import Path
from typing import Any

import cv2
from cryptography.hazmat.primitives.asymmetric import ec

from kiosk.adapters.camera import Frame
from kiosk.adapters.config import CameraConfig
from kiosk.adapters.qr import Cascade, decode_frame
from kiosk.core import codec, cose
from kiosk.core.model import Colour, NucleicAcidTest
from kiosk.core.pipeline import ScanContext
from kiosk.core.policy import DEFAULT_POLICY
from kiosk.core.replay import ReplayGuard, ReplayRules
from kiosk.core.trust import load_root_key, parse_revocation_list, parse_trust_list
from kiosk.scan_loop import ScanLoop
from kiosk_demo.footage import (
    CODE_INKS,
    POSTER_TEXT,
    QR_OF_SCREEN,
    Person,
    _plan,
    _video_frames,
    exposure,
    parse_size,
)
from server_stub.issuer import Issuer, good_certificates, high_risk_travel

KINDS = ("green", "red", "yellow", "positive", "expired", "forged", "travel", "green")
INK_OF_KIND = {"red": CODE_INKS["R"], "yellow": CODE_INKS["Y"]}
"""The colour a person's app draws the code in; every other kind holds a green code."""


FAMILY_KINDS = ("green", "yellow")
"""The codes a family's phone shows after its holder's: a child's and a grandparent's."""

Member = tuple[str, str, str]
"""(kind, text, expected verdict) of one code."""


def build_families(
    issuer: Issuer, people: list[Member], every: int, now: int
) -> dict[int, list[Member]]:
    """The family members person i shows beside their own code, for every ``every``-th
    person (none: ``every`` 0)."""
    if every <= 0:
        return {}
    families: dict[int, list[Member]] = {}
    for i in range(every // 2, len(people), every):
        if people[i][0] == "shared screenshot":
            continue
        members = []
        for k, kind in enumerate(FAMILY_KINDS, start=1):
            colour = Colour.YELLOW if kind == "yellow" else Colour.GREEN
            text = issuer.mint(
                alg="ES256",
                name=f"Person *{i:03d}-{k}",
                now=now - 30,
                validity_s=3600,
                colour=colour,
                **good_certificates(now),
            )
            members.append((f"family {kind}", text, "REVIEW" if kind == "yellow" else "ALLOW"))
        families[i] = members
    return families


def build_people(issuer: Issuer, n: int, now: int) -> list[Member]:
    """(kind, text, expected verdict) for n people; person n//2 shows person 0's code again."""
    good = good_certificates(now)
    stranger = ec.generate_private_key(ec.SECP256R1())
    people = []
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        name = f"Person *{i:03d}"
        fields: dict[str, Any] = {"name": name, "now": now - 30, "validity_s": 3600, **good}
        expect = "ALLOW"
        if kind == "red":
            fields["colour"], expect = Colour.RED, "DENY"
        elif kind == "yellow":
            fields["colour"], expect = Colour.YELLOW, "REVIEW"
        elif kind == "positive":
            fields["nucleic_acid"], expect = NucleicAcidTest(True, now - 3600), "DENY"
        elif kind == "expired":
            fields["now"], fields["validity_s"], expect = now - 7200, 300, "DENY"
        elif kind == "travel":
            fields["travel"], expect = high_risk_travel(now, days_ago=3), "DENY"
        text = issuer.mint(alg="ES256", **fields)
        if kind == "forged":
            env, _ = codec.decode(text)
            text = codec.encode_text(cose.encode_sign1(stranger, env.payload, kid=env.kid))
            expect = "DENY"
        people.append((kind, text, expect))
    shared = n // 2
    people[shared] = ("shared screenshot", people[0][1], "REVIEW")
    return people


def full_view_frame(visit: Any, size: tuple[int, int]) -> int:
    """First frame of a visit in which the whole code is inside the picture."""
    h = size[1]
    for k, pose in enumerate(visit.path):
        side = pose.phone_w * QR_OF_SCREEN
        if pose.cy + side * 0.6 < h:
            return int(visit.span.first_frame + k)
    return int(visit.span.hold_first)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def parse_exposures(value: str) -> list[float | None]:
    """``"2,auto"`` -> [2.0, None]."""
    out: list[float | None] = []
    for part in value.split(","):
        part = part.strip().lower()
        out.append(None if part == "auto" else float(part))
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=100)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--exposures",
        type=parse_exposures,
        default=[CameraConfig().exposure_ms, None],
        help="camera exposures in ms, comma-separated; 'auto' for auto exposure",
    )
    parser.add_argument("--inks", choices=("colour", "grey"), default="colour")
    parser.add_argument(
        "--families-every",
        type=int,
        default=10,
        help="every N-th person shows a family's three codes on one phone (0: nobody)",
    )
    parser.add_argument("--no-poster", action="store_true", help="no venue QR poster on the wall")
    parser.add_argument(
        "--greys",
        type=lambda v: [g.strip() for g in v.split(",")],
        default=["kiosk"],
        help="decoder input, comma-separated: kiosk (blue-weighted) and/or luminance",
    )
    args = parser.parse_args()
    if not args.greys or set(args.greys) - {"kiosk", "luminance"}:
        parser.error("--greys: expected kiosk and/or luminance, comma-separated")
    size = parse_size(args.size)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})
    now = int(time.time())
    with tempfile.TemporaryDirectory() as tmp:
        issuer = Issuer.create(Path(tmp) / "iss", now=now - 86400)
        issuer.republish(now=now - 60)
        people = build_people(issuer, args.people, now)
        families = build_families(issuer, people, args.families_every, now)
        root = load_root_key(issuer.root_public_pem)
        ctx = ScanContext(
            DEFAULT_POLICY,
            parse_trust_list(issuer.trust_list(), root, now=now),
            parse_revocation_list(issuer.revocation_list(), root, now=now),
            holder_salt=b"bench",
        )
    columns: list[tuple[str, list[tuple[str, str]], list[str], bool]] = []
    for exposure_ms in args.exposures:
        for grey in args.greys:
            title = "auto exposure" if exposure_ms is None else f"exposure {exposure_ms:g} ms"
            if grey != "kiosk":
                title += f", {grey} grey"
            rows, wrong, ok = run_video(args, size, people, ctx, now, exposure_ms, grey, families)
            columns.append((title, rows, wrong, ok))
    members = sum(len(m) for m in families.values())
    print(
        f"# {args.people} people at {args.size}, {args.fps:g} fps, codes drawn {args.inks};"
        f" {len(families)} of them show {members} family members' codes too;"
        f" poster {'absent' if args.no_poster else 'in view'}"
    )
    load = os.getloadavg()[0]
    print(
        f"# machine: {os.cpu_count()} cores, pinned to 1, load average {load:.1f} at the end;"
        f" {dt.date.today().isoformat()}"
    )
    print("| figure | " + " | ".join(c[0] for c in columns) + " |")
    print("|---|" + "---|" * len(columns))
    for i, (label, _) in enumerate(columns[0][1]):
        print(f"| {label} | " + " | ".join(c[1][i][1] for c in columns) + " |")
    for title, _, wrong, _ in columns:
        for line in wrong:
            print(f"# {title}: {line}")
    return 0 if all(c[3] for c in columns) else 1


def run_video(
    args: argparse.Namespace,
    size: tuple[int, int],
    people: list[tuple[str, str, str]],
    ctx: ScanContext,
    now: int,
    exposure_ms: float | None,
    grey: str = "kiosk",
    families: dict[int, list[Member]] | None = None,
) -> tuple[list[tuple[str, str]], list[str], bool]:
    """One walk-up of everyone at one camera exposure: (rows, problems, all right)."""
    families = families or {}
    ink_of: dict[str, tuple[int, int, int]] = {}  # a screenshot shows its code's colour
    for kind, text, _ in people:
        ink_of.setdefault(text, INK_OF_KIND.get(kind, CODE_INKS["G"]))
    walkers = [
        Person(
            t,
            2.0,
            ink_of[t] if args.inks == "colour" else None,
            family=tuple(m[1] for m in families.get(i, [])),
        )
        for i, (_, t, _) in enumerate(people)
    ]
    visits, total = _plan(walkers, args.seed, size, args.fps)
    poster = None if args.no_poster else POSTER_TEXT
    shown = {text for _, text, _ in people} | {m[1] for ms in families.values() for m in ms}
    shown |= {poster} if poster else set()
    misread: list[str] = []  # texts read that no phone showed: phantoms, never to be judged
    cascade = Cascade()

    def decode(image: Any) -> Any:
        reads = cascade(image if grey == "kiosk" else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY))
        misread.extend(r.text for r in reads if r.text not in shown)
        return reads

    loop = ScanLoop(decode, lambda: ctx, ReplayGuard(ReplayRules()), now=lambda _t: now)
    code_frames = {f for v in visits for f in range(v.span.first_frame, v.span.last_frame + 1)}
    with_code_ms: list[float] = []
    empty_ms: list[float] = []
    decisions: list[tuple[int, float, Any]] = []  # (frame, compute ms, decision)
    recent: deque[tuple[int, Any]] = deque(maxlen=90)  # frames before a decision, to re-read
    first_readable: dict[int, int] = {}  # decision frame -> first frame any backend reads
    camera = exposure(exposure_ms, args.fps)
    frames = _video_frames(visits, total, args.seed, size, camera, poster=poster)
    for index in range(total):
        image = next(frames)
        t1 = time.perf_counter()
        made = loop.process_frame(Frame(image, index / args.fps, index, "bench"), "bench")
        ms = (time.perf_counter() - t1) * 1000
        (with_code_ms if index in code_frames else empty_ms).append(ms)
        for m in made:
            decisions.append((index, ms, m.decision))
            span = next(v.span for v in visits if v.span.first_frame <= index <= v.span.last_frame)
            earlier = [(i, img) for i, img in recent if span.first_frame <= i < index]
            first_readable[index] = next(
                (
                    i
                    for i, img in earlier
                    if span.text in {r.text for r in decode_frame(img, "opencv")}
                    or span.text in {r.text for r in decode_frame(img, "zxing")}
                ),
                index,
            )
        recent.append((index, image))
    busy_s = (sum(with_code_ms) + sum(empty_ms)) / 1000

    by_person: dict[int, list[tuple[int, float, Any]]] = {i: [] for i in range(len(visits))}
    stray = 0
    for frame, ms, decision in decisions:
        owner = next(
            (i for i, v in enumerate(visits) if v.span.first_frame <= frame <= v.span.last_frame),
            None,
        )
        if owner is None:
            stray += 1
        else:
            by_person[owner].append((frame, ms, decision))
    once = 0
    right = 0
    members_once = 0
    members_right = 0
    wrong: list[str] = []
    lat_full: list[float] = []
    lat_enter: list[float] = []
    lat_rest: list[float] = []
    lat_readable: list[float] = []
    shared_flagged = False
    for i, (kind, _text, expect) in enumerate(people):
        got = by_person[i]
        family = families.get(i, [])
        if family:  # the holder and each member: one decision each, told apart by name
            named = {f"Person *{i:03d}-{k}" for k in range(1, len(family) + 1)}
            own = [g for g in got if g[2].name not in named]
            for k, (mkind, _, mexpect) in enumerate(family, start=1):
                mine = [g for g in got if g[2].name == f"Person *{i:03d}-{k}"]
                if len(mine) != 1:
                    wrong.append(f"person {i}, {mkind}: {len(mine)} decisions")
                    continue
                members_once += 1
                if mine[0][2].verdict.value == mexpect:
                    members_right += 1
                else:
                    wrong.append(f"person {i}, {mkind}: {mine[0][2].verdict.value}")
            if len(own) + len(family) != len(got):
                wrong.append(f"person {i}: {len(got)} decisions for {1 + len(family)} codes")
            got = own
        if len(got) != 1:
            detail = "; ".join(f"frame {f}: {d.verdict.value} {d.reason_codes}" for f, _, d in got)
            wrong.append(f"person {i} ({kind}): {len(got)} decisions: {detail}")
            continue
        once += 1
        frame, ms, decision = got[0]
        if decision.verdict.value == expect:
            right += 1
        else:
            wrong.append(
                f"person {i} ({kind}): {decision.verdict.value}, expected {expect}"
                f" {decision.reason_codes}"
            )
        if kind == "shared screenshot":
            shared_flagged = "SHARED_CODE" in decision.reason_codes
        visit = visits[i]
        lat_full.append(max(0.0, (frame - full_view_frame(visit, size)) / args.fps * 1000) + ms)
        lat_enter.append((frame - visit.span.first_frame) / args.fps * 1000 + ms)
        lat_readable.append((frame - first_readable[frame]) / args.fps * 1000 + ms)
        lat_rest.append(max(0.0, (frame - visit.span.hold_first) / args.fps * 1000) + ms)
    dark = sum(1 for v in visits if v.span.dark)

    def spread(values: list[float], digits: int = 0) -> str:
        return f"{statistics.median(values):.{digits}f} / {pct(values, 0.95):.{digits}f}"

    n_members = sum(len(m) for m in families.values())
    rows = [
        ("frames, dark-mode phones", f"{total}, {dark}"),
        (
            "camera: shutter share of a frame, gain, room brightness",
            f"{camera.shutter:.2f}, {camera.gain:g}, {camera.room:.2f}",
        ),
        ("people with exactly one decision", f"{once} / {len(people)}"),
        ("right verdicts", f"{right} / {len(people)}"),
        ("family members with exactly one decision", f"{members_once} / {n_members}"),
        ("family members' right verdicts", f"{members_right} / {n_members}"),
        ("decisions outside any person", str(stray)),
        ("decoder phantoms: reads of a text no phone showed (none judged)", str(len(misread))),
        ("shared screenshot flagged SHARED_CODE", "yes" if shared_flagged else "NO"),
        (
            "latency from the first frame any backend can read: median / p95 ms",
            spread(lat_readable),
        ),
        ("latency from the whole code in view: median / p95 ms", spread(lat_full)),
        ("latency from the phone entering view: median / p95 ms", spread(lat_enter)),
        ("latency from the phone coming to rest: median / p95 ms", spread(lat_rest)),
        ("frame with a code (decode + judge): median / p95 ms", spread(with_code_ms, 2)),
        ("empty frame: median / p95 ms", spread(empty_ms, 2)),
        ("frames per second one core sustains (decode + judge)", f"{total / busy_s:.0f}"),
    ]
    wrong += [f"phantom read: {text[:60]!r}" for text in misread[:5]]
    ok = once == right == len(people) and shared_flagged and stray == 0
    ok = ok and members_once == members_right == n_members
    return rows, wrong, ok


if __name__ == "__main__":
    sys.exit(main())
