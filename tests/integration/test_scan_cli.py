"""`kiosk scan` as a real process on PNG files made by the issuer, with a real config."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from server_stub.issuer import Issuer, good_certificates
from server_stub.qr_image import write_png

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def site(tmp_path: Path) -> tuple[Path, Issuer]:
    now = int(time.time())
    issuer = Issuer.create(tmp_path / "issuer", now=now - 86400)
    config = tmp_path / "kiosk.toml"
    config.write_text(
        'kiosk_id = "gate-1"\ndata_dir = "var"\n'
        f'policy = "{ROOT / "config" / "policy.toml"}"\n'
        "[trust]\n"
        'root_key = "issuer/root.pub.pem"\n'
        'trust_list = "issuer/trust-list.cose"\n'
        'revocations = "issuer/revocations.cose"\n'
    )
    return config, issuer


def kiosk(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_scan_pngs_and_folders(site: tuple[Path, Issuer], tmp_path: Path) -> None:
    config, issuer = site
    now = int(time.time())
    good = good_certificates(now)
    codes = tmp_path / "codes"
    write_png(issuer.mint(name="Wang *ming", now=now - 30, **good), codes / "a-green.png")
    write_png(issuer.mint(name="Chen *gang", colour="R", now=now - 30, **good), codes / "b-red.png")
    single = write_png(
        issuer.mint(name="Sun *yan", colour="Y", now=now - 30, **good), tmp_path / "yellow.png"
    )
    empty = tmp_path / "empty.png"
    write_png("x", empty)
    result = kiosk("scan", "--config", str(config), "--json", str(codes), str(single))
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(Path(r["source"]).name, r["verdict"]) for r in rows] == [
        ("a-green.png", "ALLOW"),
        ("b-red.png", "DENY"),
        ("yellow.png", "REVIEW"),
    ]
    assert rows[1]["reasons"][0]["code"] == "COLOUR_NOT_ALLOWED"
    human = kiosk("scan", "--config", str(config), str(codes / "a-green.png"))
    assert (
        "ALLOW" in human.stdout
        and "Nucleic acid" in human.stdout
        and "negative, sampled 20 h ago" in human.stdout
    )


def test_unreadable_inputs_exit_1_with_a_message(site: tuple[Path, Issuer], tmp_path: Path) -> None:
    config, _ = site
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not a png")
    result = kiosk("scan", "--config", str(config), str(junk), str(tmp_path / "missing.png"))
    assert result.returncode == 1
    assert "junk.png: not a readable image" in result.stderr
    assert "missing.png: no such file" in result.stderr
    assert "Traceback" not in result.stderr


def test_nothing_to_scan_is_a_usage_error(site: tuple[Path, Issuer]) -> None:
    config, _ = site
    result = kiosk("scan", "--config", str(config))
    assert result.returncode == 2
    assert "nothing to scan" in result.stderr


def test_escape_sequences_in_a_name_never_reach_the_terminal(site: tuple[Path, Issuer]) -> None:
    config, issuer = site
    now = int(time.time())
    name = "\x1b[2J\x1b[31mEvil\u202e *gnaw\x07"
    text = issuer.mint(name=name, now=now - 30, **good_certificates(now))
    human = kiosk("scan", "--config", str(config), "--text", text)
    assert human.returncode == 0
    assert (
        "\x1b" not in human.stdout and "\u202e" not in human.stdout and "\x07" not in human.stdout
    )
    assert "[2J[31mEvil *gnaw" in human.stdout
    row = json.loads(kiosk("scan", "--config", str(config), "--json", "--text", text).stdout)
    assert row["verdict"] == "ALLOW"
    assert row["name"] == "[2J[31mEvil *gnaw"


def test_scan_source_video_prints_one_decision_per_person_with_frame_times(
    site: tuple[Path, Issuer], tmp_path: Path
) -> None:
    from kiosk_demo.footage import Person, write_video

    config, issuer = site
    now = int(time.time())
    good = good_certificates(now)
    texts = [
        issuer.mint(name="Wang *ming", now=now - 30, **good),
        issuer.mint(name="Chen *gang", colour="R", now=now - 30, **good),
    ]
    texts.append(texts[0])  # the first code again, shown by someone else
    manifest = write_video(tmp_path / "video", [Person(t, 1.5) for t in texts], 3, size=(640, 480))
    result = kiosk(
        "scan",
        "--config",
        str(config),
        "--source",
        str(tmp_path / "video" / manifest.file),
        "--json",
    )
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["verdict"] for r in rows] == ["ALLOW", "DENY", "REVIEW"]
    assert "SHARED_CODE" in [r["code"] for r in rows[2]["reasons"]]
    for row, span in zip(rows, manifest.people, strict=True):
        assert span.first_frame <= row["frame"] <= span.last_frame
        assert row["frame_time_s"] == round(row["frame"] / manifest.fps, 3)
