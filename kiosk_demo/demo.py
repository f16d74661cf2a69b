"""``kiosk-demo`` (``python3 run.py demo``): a whole checkpoint on one machine, from nothing.

Makes a fresh demo folder (``demo-data/``): an issuer with keys and signed
lists, a kiosk configuration pinning its root key, a central server stub on
127.0.0.1 with this kiosk registered, a queue of people with codes that
cover every verdict (green, red, yellow, positive test, expired, forged,
revoked, a shared screenshot), and camera footage of them walking up.
Then it opens the guard UI on that footage — or, with ``--headless`` or
without a terminal, prints each decision as it is logged, syncs, and
reports.  Quitting stops everything it started.

The footage is drawn as it plays (``GeneratedSource``), not rendered to a file
first: codes are minted fresh on every run (a code is valid for minutes, so a
video of yesterday's codes would show only expired ones), and drawing the first
frame takes milliseconds where writing the whole video took over a minute.
``--dir`` is remade on every run, so it must be empty or a folder this command
made (it holds a ``.kiosk-demo`` marker); any other folder is refused.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric import ec

from kiosk.core import codec, cose
from kiosk.core.model import Colour, NucleicAcidTest
from server_stub.issuer import Issuer, good_certificates, high_risk_travel, holder_id_for
from server_stub.process import ServerProcess

ROOT = Path(__file__).resolve().parents[1]

MARKER = ".kiosk-demo"
"""A file in every folder this command made: only such a folder is ever emptied."""

FOOTAGE_SIZE = (960, 540)
FOOTAGE_FPS = 12.5
"""Frames a second drawn for the demo: drawing one 960x540 frame takes 25-45 ms on two
loaded cores, so 12.5 fps keeps up with real time; every person is in view for 25
frames or more, far more than the decoder needs."""

PROGRESS_AFTER_S = 2.0
"""A step still running after this long shows a progress bar with what it waits for."""

_T = TypeVar("_T")


class DemoFolderError(Exception):
    """``--dir`` names a folder the demo may not empty; the message says which and why."""


def check_folder(folder: Path) -> None:
    """Refuse a non-empty folder that this command did not make (it would be emptied)."""
    if folder.exists() and not folder.is_dir():
        raise DemoFolderError(f"--dir {folder}: is a file, not a folder")
    if folder.is_dir() and any(folder.iterdir()) and not (folder / MARKER).exists():
        raise DemoFolderError(
            f"--dir {folder}: the folder is not empty and was not made by 'kiosk-demo' "
            "(its files would be deleted); name an empty or new folder"
        )


def step(what: str, work: Callable[[], _T], *, out: Any = None) -> _T:
    """Run one preparation step; past ``PROGRESS_AFTER_S`` a bar shows it is still going."""
    stream = out or sys.stderr
    done = threading.Event()
    started = time.monotonic()

    def show() -> None:
        if done.wait(PROGRESS_AFTER_S):
            return
        width = 24
        tick = 0
        while not done.wait(0.2):
            tick += 1
            filled = tick % (width + 1)
            bar = "#" * filled + "." * (width - filled)
            elapsed = time.monotonic() - started
            stream.write(f"\rdemo: [{bar}] {what} ({elapsed:.0f} s)")
            stream.flush()
        stream.write("\r" + " " * (width + len(what) + 24) + "\r")
        stream.flush()

    shower = threading.Thread(target=show, daemon=True)
    shower.start()
    try:
        return work()
    finally:
        done.set()
        shower.join()


@dataclass(frozen=True)
class DemoPerson:
    label: str
    text: str
    expect: str
    colour: str = "G"
    """The code's colour (``G``/``Y``/``R``): the phone draws the code in it."""


def demo_people(issuer: Issuer, now: int) -> list[DemoPerson]:
    """One person per verdict the guard should see, in walking order."""
    good = good_certificates(now)
    validity = 3600  # the demo runs for minutes: keep codes fresh for it

    def mint(name: str, alg: str | None = None, **fields: Any) -> str:
        base: dict[str, Any] = {"name": name, "now": now - 30, "validity_s": validity, **good}
        base.update(fields)
        return issuer.mint(alg=alg, **base)

    shared = mint("Wang *ming")
    stranger = ec.generate_private_key(ec.SECP256R1())
    genuine, _ = codec.decode(mint("Zhao *li", alg="ES256"))
    forged = codec.encode_text(cose.encode_sign1(stranger, genuine.payload, kid=genuine.kid))
    revoked = mint("Han *mei")
    issuer.revoke(holder_id_for("Han *mei", issuer.region), now=now - 5)
    return [
        DemoPerson("green, all certificates good", shared, "ALLOW"),
        DemoPerson("red code", mint("Chen *gang", colour=Colour.RED), "DENY", "R"),
        DemoPerson("yellow code", mint("Sun *yan", colour=Colour.YELLOW), "REVIEW", "Y"),
        DemoPerson(
            "positive nucleic acid test",
            mint("Zhou *jie", nucleic_acid=NucleicAcidTest(True, now - 6 * 3600)),
            "DENY",
        ),
        DemoPerson(
            "visited a high-risk area",
            mint(
                "Zheng *wei",
                travel=high_risk_travel(now),
            ),
            "DENY",
        ),
        DemoPerson(
            "expired code (a screenshot)", mint("Qian *bo", now=now - 7200, validity_s=300), "DENY"
        ),
        DemoPerson("forged signature", forged, "DENY"),
        DemoPerson("revoked holder", revoked, "DENY"),
        DemoPerson("green, markup in the name", mint("[red]Li[/] *hua"), "ALLOW"),
        DemoPerson("the first code again: shared screenshot", shared, "REVIEW"),
    ]


def write_config(folder: Path, server_url: str, language: str = "zh_CN") -> Path:
    path = folder / "kiosk.toml"
    path.write_text(
        "\n".join(
            [
                'kiosk_id = "demo-gate-01"',
                'site = "Demo building, main entrance"',
                'data_dir = "var"',
                'policy = "policy.toml"',
                'holder_salt = "demo-salt"',
                "[trust]",
                'root_key = "issuer/root.pub.pem"',
                "[server]",
                f'url = "{server_url}"',
                "timeout_s = 2.0",
                "[sync]",
                "interval_s = 2.0",
                "backoff_max_s = 5.0",
                "lists_interval_s = 5.0",
                "[camera]",
                'source = "wedge"  # kiosk run on this config: a hand scanner',
                "[ui]",
                f'language = "{language}"',
                "",
            ]
        ),
        "utf-8",
    )
    return path


def prepare(folder: Path) -> tuple[list[DemoPerson], int]:
    """Issuer, lists and people in a fresh folder; returns the people and when they were made."""
    check_folder(folder)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / MARKER).write_text("made by 'kiosk-demo': emptied on the next run\n", "utf-8")
    now = int(time.time())
    issuer = Issuer.create(folder / "issuer", now=now - 86400)
    issuer.republish(now=now - 60)
    shutil.copy(ROOT / "config" / "policy.toml", folder / "policy.toml")
    people = demo_people(issuer, now)
    (folder / "var").mkdir()
    for name in ("trust-list.cose", "revocations.cose"):
        shutil.copy(issuer.directory / name, folder / "var" / name)
    return people, now


def footage_source(people: list[DemoPerson], *, seed: int, realtime: bool, loop: bool) -> Any:
    """The queue walking up, drawn frame by frame as it plays."""
    from kiosk.adapters.camera import GeneratedSource
    from kiosk_demo.footage import CODE_INKS, Person, render_video

    walkers = [Person(p.text, 2.0, CODE_INKS[p.colour]) for p in people]

    def one_pass() -> Iterator[Any]:
        frames, _spans, _total = render_video(walkers, seed, size=FOOTAGE_SIZE, fps=FOOTAGE_FPS)
        return frames

    return GeneratedSource("demo footage", one_pass, fps=FOOTAGE_FPS, realtime=realtime, loop=loop)


def register_kiosk(folder: Path, config_path: Path) -> None:
    from kiosk.adapters.config import load_config
    from kiosk.adapters.identity import load_or_create_identity, public_key_path, public_pem

    config = load_config(config_path)
    key = load_or_create_identity(config.identity_key)
    pub = public_key_path(config.identity_key)
    if not pub.exists():
        pub.write_bytes(public_pem(key))
    command = [sys.executable, "-m", "server_stub", "admin", "register-kiosk"]
    command += ["--db", str(folder / "server.sqlite"), "--id", config.kiosk_id]
    command += ["--public-key", str(pub)]
    subprocess.run(command, check=True, capture_output=True, text=True)


def cmd_demo(args: argparse.Namespace) -> int:
    folder = Path(args.dir).resolve()
    try:
        check_folder(folder)
    except DemoFolderError as exc:
        print(f"kiosk-demo: {exc}", file=sys.stderr)
        return 2
    print(f"demo: preparing {folder} (issuer, signed lists, codes)...", flush=True)
    people, _made = step("making the issuer and the codes", lambda: prepare(folder))
    server = ServerProcess(folder / "issuer", folder / "server.sqlite", folder / "policy.toml")
    try:
        url = step("starting the central server stub", lambda: server.start().url)
        print(f"demo: central server stub listening on {url}", flush=True)
        config_path = write_config(folder, url, args.language)
        step("registering this kiosk", lambda: register_kiosk(folder, config_path))
        headless = args.headless or not sys.stdout.isatty() or not sys.stdin.isatty()
        if headless:
            from kiosk.commands.run import run_headless

            print("demo: the queue of people, and what the guard should see:")
            for i, p in enumerate(people, 1):
                print(f"  {i:2}. {p.label:<42} expect {p.expect}")
            print(flush=True)
            frames = footage_source(people, seed=args.seed, realtime=False, loop=False)
            return run_headless(
                config_path,
                "demo footage",
                expected=[p.expect for p in people],
                as_json=False,
                frames=frames,
                language=args.language,
            )
        from kiosk.commands.run import run_ui

        frames = footage_source(people, seed=args.seed, realtime=True, loop=True)
        return run_ui(config_path, "demo footage", realtime=True, loop=True, frames=frames)
    finally:
        server.stop()


def build_parser() -> argparse.ArgumentParser:
    from kiosk.subcommands import UsageParser

    p = UsageParser(
        prog="kiosk-demo", description="Set up a demo checkpoint and run it (UI, or --headless)."
    )
    p.add_argument(
        "--dir",
        default=str(ROOT / "demo-data"),
        help="demo folder, made afresh: new, empty, or made by an earlier demo",
    )
    p.add_argument(
        "--headless", action="store_true", help="print decisions instead of opening the UI"
    )
    p.add_argument("--seed", type=int, default=7, help="seed of the generated footage")
    p.add_argument(
        "--language",
        choices=["zh_CN", "en"],
        default="zh_CN",
        help="language of the guard's screen and of the decisions printed (default zh_CN)",
    )
    p.set_defaults(func=cmd_demo)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130
