"""The README's first command, headless: the whole chain from footage to the central server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
def test_headless_demo_gives_every_expected_verdict_and_syncs(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kiosk", "demo", "--headless", "--dir", str(tmp_path / "demo")],
        capture_output=True, text=True, timeout=300, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])["summary"]
    assert summary["as_expected"] is True, summary
    assert summary["logged"] == summary["decisions"] == 10
    assert summary["sync_online"] is True and summary["backlog"] == 0
    assert "[red]Li[/] *hua" in result.stdout  # markup shown literally
    stats = subprocess.run(
        [sys.executable, "-m", "server_stub", "admin", "stats", "--db", str(tmp_path / "demo" / "server.sqlite")],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert "demo-gate-01" in stats.stdout
