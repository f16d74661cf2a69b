"""Privacy by default and bounded, safe file handling (issue 12, problems 6 and 7)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.adapters.config import ConfigError, holder_salt, load_config, read_capped
from kiosk.adapters.list_files import write_atomic
from kiosk.adapters.store import EntryStore
from kiosk.judgement_setup import Overrides, load_judgement
from server_stub.issuer import Issuer
from tests.conftest import NOW
from tests.integration.server_harness import decision

REPO = Path(__file__).resolve().parents[2]


def _kiosk(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        cwd=cwd,
        timeout=60,
        check=False,
    )


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _config(tmp_path: Path, extra: str = "", **paths: str) -> Path:
    issuer = Issuer.create(tmp_path / "issuer", now=NOW - 86400)
    root = paths.pop("root_key", str(issuer.directory / "root.pub.pem"))
    lines = [f"{k} = {v!r}".replace("'", '"') for k, v in paths.items()]
    path = tmp_path / "kiosk.toml"
    path.write_text(
        'kiosk_id = "k"\ndata_dir = "var"\n'
        f'policy = "{REPO / "config" / "policy.toml"}"\n{extra}\n'
        f'[trust]\nroot_key = "{root}"\n' + "\n".join(lines) + "\n",
        "utf-8",
    )
    return path


@pytest.mark.parametrize("salt", ['""', '"change-me"', '"  "'])
def test_an_empty_or_example_salt_is_refused(tmp_path: Path, salt: str) -> None:
    with pytest.raises(ConfigError, match="holder_salt"):
        load_config(_config(tmp_path, f"holder_salt = {salt}"))


def test_keygen_makes_a_random_private_salt_and_private_folders(tmp_path: Path) -> None:
    config_path = _config(tmp_path)
    done = _kiosk("keygen", "--config", str(config_path), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    config = load_config(config_path)
    salt_file = config.holder_salt_file
    assert _mode(salt_file) == 0o600
    assert _mode(config.data_dir) == 0o700
    assert _mode(config.identity_key) == 0o600
    salt = holder_salt(config)
    assert len(salt) == 64 and salt == holder_salt(config)
    other = tmp_path / "other"
    other.mkdir()
    assert holder_salt(load_config(_config(other))) != salt
    judged = load_judgement(config_path, Overrides(), now=NOW)
    assert judged.context.holder_salt == salt


def test_first_start_makes_the_salt_when_keygen_did_not(tmp_path: Path) -> None:
    config_path = _config(tmp_path)
    judged = load_judgement(config_path, Overrides(), now=NOW)
    assert len(judged.context.holder_salt) == 64
    assert _mode(load_config(config_path).holder_salt_file) == 0o600


def test_the_log_its_head_lists_and_exports_are_private(tmp_path: Path) -> None:
    config_path = _config(tmp_path)
    data = tmp_path / "var"
    _kiosk("keygen", "--config", str(config_path), cwd=tmp_path)
    with EntryStore(data / "entries.sqlite", kiosk_id="k") as store:
        store.record_decision(decision(1), at_ms=1_795_420_800_000)
        assert _mode(data / "entries.sqlite") == 0o600
        assert _mode(data / "entries.sqlite-wal") == 0o600
    assert _mode(data / "entries.sqlite.head") == 0o600
    write_atomic(data / "sub" / "trust-list.cose", b"x")
    assert _mode(data / "sub" / "trust-list.cose") == 0o600
    assert _mode(data / "sub") == 0o700
    out = tmp_path / "out.csv"
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    (tmp_path / "out.csv.partial").symlink_to(target)  # planted link
    done = _kiosk("log", "export", "--config", str(config_path), "--format", "csv",
                  "-o", str(out), cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert target.read_text() == "keep me"
    assert _mode(out) == 0o600


@pytest.mark.parametrize("key", ["root_key", "trust_list", "revocations"])
def test_dev_zero_as_a_configured_file_is_refused_quickly(tmp_path: Path, key: str) -> None:
    config_path = _config(tmp_path, **{key: "/dev/zero"})
    done = _kiosk("scan", "--config", str(config_path), "HCK1:X", cwd=tmp_path)
    if key == "root_key":
        assert done.returncode == 2, done.stderr
        assert "regular file" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    else:  # a list that cannot be read is a warning: codes are judged without it
        assert "/dev/zero" in done.stderr and "must be a regular file" in done.stderr


def test_dev_zero_as_the_policy_is_refused(tmp_path: Path) -> None:
    config_path = _config(tmp_path)
    text = config_path.read_text().replace(str(REPO / "config" / "policy.toml"), "/dev/zero")
    config_path.write_text(text)
    done = _kiosk("scan", "--config", str(config_path), "HCK1:X", cwd=tmp_path)
    assert done.returncode == 2
    assert "/dev/zero" in done.stderr and "regular file" in done.stderr


def test_read_capped_stops_at_its_cap(tmp_path: Path) -> None:
    big = tmp_path / "big"
    big.write_bytes(b"x" * 2000)
    with pytest.raises(ConfigError, match="more than 1000"):
        read_capped(big, 1000, "test file")
    assert read_capped(big, 2000, "test file") == b"x" * 2000


def test_a_data_dir_that_is_a_file_is_a_config_error(tmp_path: Path) -> None:
    config_path = _config(tmp_path)
    (tmp_path / "var").write_text("not a folder")
    done = _kiosk("log", "verify", "--config", str(config_path), cwd=tmp_path)
    assert done.returncode == 2
    assert "data_dir" in done.stderr and "directory" in done.stderr
    assert "internal error" not in done.stderr
