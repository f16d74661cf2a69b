"""``kiosk log verify|export|purge`` as real subprocesses on a real entry log."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.adapters.store import EntryStore
from kiosk.core.entry import WIRE_FIELDS, entry_from_wire, verify_wire_hash
from kiosk.core.errors import Reason, ReasonCode, Severity
from kiosk.core.model import Colour, Decision, Verdict

REPO = Path(__file__).resolve().parents[2]
T0 = 1_763_880_000_000  # 2025-11-23T06:40:00Z
HOLDER = "c3" * 32


def kiosk(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "kiosk", "log", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        cwd=cwd,
        timeout=60,
        check=False,
    )


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(
        'kiosk_id = "k1"\ndata_dir = "var"\n[trust]\nroot_key = "root.pub.pem"\n'
        "[sync]\nretention_days = 7\n",
        encoding="utf-8",
    )
    return path


def db_of(config: Path) -> Path:
    return config.parent / "var" / "entries.sqlite"


def populate(config: Path, names: list[str], *, start_ms: int = T0) -> list[str]:
    db_of(config).parent.mkdir(exist_ok=True)
    ids = []
    with EntryStore(db_of(config), kiosk_id="k1") as s:
        for i, name in enumerate(names):
            d = Decision(
                Verdict.DENY,
                (Reason(ReasonCode.EXPIRED, Severity.DENY, "expired"),),
                0,
                name=name,
                colour=Colour.RED,
                holder_key=HOLDER,
            )
            ids.append(s.record_decision(d, at_ms=start_ms + i * 60_000).id)
    return ids


def test_verify_empty_log_creates_data_dir(config: Path) -> None:
    r = kiosk("verify", "--config", str(config))
    assert (r.returncode, r.stdout, r.stderr) == (0, "chain intact: 0 entries\n", "")
    assert db_of(config).exists()


def test_verify_intact_then_broken(config: Path) -> None:
    populate(config, ["a", "b", "c", "d"])
    r = kiosk("verify", "--config", str(config))
    assert (r.returncode, r.stdout) == (0, "chain intact: 4 entries\n")
    with sqlite3.connect(db_of(config)) as c:
        c.execute("UPDATE entries SET verdict = 'ALLOW' WHERE seq = 3")
    c.close()
    r = kiosk("verify", "--config", str(config))
    assert r.returncode == 1
    assert "seq 3" in r.stdout
    assert "Traceback" not in r.stderr


def test_export_jsonl_is_checkable_wire_objects(config: Path) -> None:
    ids = populate(config, ["[bold]X[/]", "😷 张*明", "\u202eabc"])
    r = kiosk("export", "--config", str(config), "--format", "jsonl")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 3
    objs = [json.loads(line) for line in lines]
    assert [o["id"] for o in objs] == ids
    assert all(verify_wire_hash(o) for o in objs)
    assert [entry_from_wire(o).name for o in objs] == ["[bold]X[/]", "😷 张*明", "\u202eabc"]


def test_export_csv_has_header_and_defuses_formulas(config: Path, tmp_path: Path) -> None:
    names = ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)", "plain, with comma\nand line"]
    populate(config, names)
    out = tmp_path / "out.csv"
    r = kiosk("export", "--config", str(config), "--format", "csv", "--output", str(out))
    assert r.returncode == 0, r.stderr
    assert "exported 5 entries" in r.stderr
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"), newline="")))
    header, body = rows[0], rows[1:]
    assert header == ["at_utc", *WIRE_FIELDS]
    assert len(body) == 5
    col = header.index("name")
    assert [row[col] for row in body] == [
        '\'=HYPERLINK("http://x","y")',
        "'+1",
        "'-2",
        "'@SUM(A1)",
        "plain, with comma\nand line",
    ]
    assert body[0][0] == "2025-11-23T06:40:00.000Z"
    assert body[0][header.index("reasons")] == '["EXPIRED"]'
    assert body[0][header.index("refers_to")] == ""
    for row in body:
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row)


def test_export_since_filters_by_time(config: Path) -> None:
    populate(config, ["a", "b", "c", "d"])  # one minute apart from T0
    since_epoch = str((T0 + 120_000) // 1000)
    r = kiosk("export", "--config", str(config), "--format", "jsonl", "--since", since_epoch)
    assert [json.loads(x)["name"] for x in r.stdout.splitlines()] == ["c", "d"]
    r = kiosk(
        "export",
        "--config",
        str(config),
        "--format",
        "jsonl",
        "--since",
        "2025-11-23T14:41:00+08:00",
    )
    assert [json.loads(x)["name"] for x in r.stdout.splitlines()] == ["b", "c", "d"]


@pytest.mark.parametrize("since", ["yesterday", "2025-13-01", "12:00:00x"])
def test_export_bad_since_exits_2_with_one_line(config: Path, since: str) -> None:
    r = kiosk("export", "--config", str(config), "--format", "csv", "--since", since)
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr.count("\n") == 1
    assert "--since" in r.stderr and "Traceback" not in r.stderr


def test_export_unknown_format_is_a_usage_error(config: Path) -> None:
    r = kiosk("export", "--config", str(config), "--format", "xml")
    assert r.returncode == 2
    assert "invalid choice" in r.stderr


def test_purge_keeps_unsent_and_recent(config: Path) -> None:
    old = populate(config, ["old1", "old2", "old3"], start_ms=1_000_000)
    with EntryStore(db_of(config), kiosk_id="k1") as s:
        s.mark_sent(old[:2], batch_id="b", acked_at_ms=2_000_000)
    # no server here: the clock is taken as checked by hand (tests/integration/test_log_purge.py
    # has the server confirming it, and refusing)
    r = kiosk("purge", "--config", str(config))
    assert r.returncode == 2 and "nothing purged" in r.stderr
    r = kiosk("purge", "--config", str(config), "--trust-local-clock")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("purged 2 entries")
    assert "(7 days)" in r.stdout and "1 not yet sent" in r.stdout
    r = kiosk("verify", "--config", str(config))
    assert (r.returncode, r.stdout) == (0, "chain intact: 1 entries\n")
    r = kiosk("purge", "--config", str(config), "--days", "0", "--trust-local-clock")
    assert r.stdout.startswith("purged 0 entries")


def test_missing_config_exits_2_with_one_line(tmp_path: Path) -> None:
    r = kiosk("verify", "--config", str(tmp_path / "nope.toml"))
    assert r.returncode == 2
    assert "file not found" in r.stderr
    assert r.stderr.count("\n") == 1


def test_other_kiosks_log_exits_2(config: Path) -> None:
    db_of(config).parent.mkdir()
    EntryStore(db_of(config), kiosk_id="other").close()
    r = kiosk("verify", "--config", str(config))
    assert r.returncode == 2
    assert "belongs to kiosk 'other'" in r.stderr
    assert "Traceback" not in r.stderr
