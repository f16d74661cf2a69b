"""``kiosk demo``: a whole checkpoint on one machine, from nothing, in one command.

Makes a fresh demo folder (``demo-data/``): an issuer with keys and signed
lists, a kiosk configuration pinning its root key, a central server stub on
127.0.0.1 with this kiosk registered, a queue of people with codes that
cover every verdict (green, red, yellow, positive test, expired, forged,
revoked, a shared screenshot), and camera footage of them walking up.
Then it opens the guard UI on that footage — or, with ``--headless`` or
without a terminal, prints each decision as it is logged, syncs, and
reports.  Quitting stops everything it started.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from kiosk.core import codec, cose
from kiosk.core.model import Colour, NucleicAcidTest
from server_stub.issuer import Issuer, good_certificates, high_risk_travel, holder_id_for
from server_stub.process import ServerProcess

ROOT = Path(__file__).resolve().parents[2]


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


def write_config(folder: Path, server_url: str) -> Path:
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
                'source = "footage/footage.avi"',
                "",
            ]
        ),
        "utf-8",
    )
    return path


def prepare(folder: Path, *, seed: int, size: tuple[int, int]) -> tuple[list[DemoPerson], Path]:
    """Issuer, people and footage in a fresh folder; returns the people and the video."""
    from kiosk.footage import CODE_INKS, Person, write_video

    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    now = int(time.time())
    issuer = Issuer.create(folder / "issuer", now=now - 86400)
    issuer.republish(now=now - 60)
    shutil.copy(ROOT / "config" / "policy.toml", folder / "policy.toml")
    people = demo_people(issuer, now)
    (folder / "var").mkdir()
    for name in ("trust-list.cose", "revocations.cose"):
        shutil.copy(issuer.directory / name, folder / "var" / name)
    walkers = [Person(p.text, 2.0, CODE_INKS[p.colour]) for p in people]
    manifest = write_video(folder / "footage", walkers, seed, size=size)
    return people, folder / "footage" / manifest.file


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
    print(f"demo: preparing {folder} (issuer, codes, footage)...", flush=True)
    people, video = prepare(folder, seed=args.seed, size=(960, 540))
    server = ServerProcess(folder / "issuer", folder / "server.sqlite", folder / "policy.toml")
    try:
        url = server.start().url
        print(f"demo: central server stub listening on {url}", flush=True)
        config_path = write_config(folder, url)
        register_kiosk(folder, config_path)
        headless = args.headless or not sys.stdout.isatty() or not sys.stdin.isatty()
        if headless:
            from kiosk.commands.run import run_headless

            print("demo: the queue of people, and what the guard should see:")
            for i, p in enumerate(people, 1):
                print(f"  {i:2}. {p.label:<42} expect {p.expect}")
            print(flush=True)
            return run_headless(
                config_path, str(video), expected=[p.expect for p in people], as_json=False
            )
        from kiosk.commands.run import run_ui

        return run_ui(config_path, str(video), realtime=True, loop=True)
    finally:
        server.stop()


def register(subs: Any) -> None:
    p = subs.add_parser("demo", help="set up a demo checkpoint and run it (UI, or --headless)")
    p.add_argument("--dir", default=str(ROOT / "demo-data"), help="demo folder (made afresh)")
    p.add_argument(
        "--headless", action="store_true", help="print decisions instead of opening the UI"
    )
    p.add_argument("--seed", type=int, default=7, help="seed of the generated footage")
    p.set_defaults(func=cmd_demo)
