"""The README's first command, headless: the whole chain from footage to the central server."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest


def test_demo_refuses_a_folder_it_did_not_make(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "kiosk_demo", "--headless", "--dir", str(folder)],
        capture_output=True, text=True, timeout=120, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode == 2
    assert "not made by 'kiosk-demo'" in result.stderr and "Traceback" not in result.stderr
    assert (folder / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_a_folder_the_demo_made_is_remade(tmp_path: Path) -> None:
    from kiosk_demo.demo import MARKER, DemoFolderError, check_folder

    made = tmp_path / "made"
    made.mkdir()
    (made / MARKER).write_text("", encoding="utf-8")
    (made / "old.sqlite").write_bytes(b"x")
    check_folder(made)  # a demo folder: allowed
    check_folder(tmp_path / "new")  # a new folder: allowed
    (tmp_path / "empty").mkdir()
    check_folder(tmp_path / "empty")
    (tmp_path / "file").write_text("", encoding="utf-8")
    with pytest.raises(DemoFolderError, match="is a file"):
        check_folder(tmp_path / "file")


@pytest.mark.slow
def test_headless_demo_gives_every_expected_verdict_in_chinese_words_and_syncs(
    tmp_path: Path,
) -> None:
    """The README's first command, headless, in the default language (zh_CN): every
    expected verdict, every entry logged and synced, and no reason line in English.
    (One run serves both checks: the demo takes 20 s, most of it drawing its footage.)"""
    result = subprocess.run(
        [sys.executable, "-m", "kiosk_demo", "--headless", "--language", "zh_CN",
         "--dir", str(tmp_path / "demo")],
        capture_output=True, text=True, timeout=300, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    out = result.stdout.strip().splitlines()
    summary = json.loads(out[-1])["summary"]
    assert summary["as_expected"] is True, summary
    assert summary["logged"] == summary["decisions"] == 10
    assert summary["sync_online"] is True and summary["backlog"] == 0
    assert "[red]Li[/] *hua" in result.stdout  # markup shown literally
    stats = subprocess.run(
        [sys.executable, "-m", "server_stub", "admin", "stats", "--db", str(tmp_path / "demo" / "server.sqlite")],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert "demo-gate-01" in stats.stdout
    heads = [line for line in out if line[:2] in ("✓ ", "✗ ", "? ")]
    assert len(heads) == 10
    assert {h.split()[1] for h in heads} == {"通行", "禁止通行", "人工核验"}
    # Reason and certificate lines are indented under each decision.
    details = [line.strip() for line in out if line.startswith("    ")]
    reasons = [
        d for d in details if d[:4] in ("✗ 禁止", "? 核验", "· 提示") or d.startswith("✓ 无")
    ]
    assert len(reasons) >= 10
    for line in details:
        words = line[2:]  # after the mark
        assert not words.isascii(), f"untranslated line: {line!r}"
        assert not re.search(r"\b[A-Z]{3,}_[A-Z_]+\b", line), f"a reason code on screen: {line!r}"
    said = "\n".join(details)
    for expected in (
        "红码",
        "核酸检测阳性",
        "北京市朝阳区",
        "小时前过期",
        "签发机构撤销",
        "伪造",
        "截图",
    ):
        assert expected in said, expected
