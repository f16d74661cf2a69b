"""Out-of-range times and bad hex are usage errors; the issuer mints only what the spec allows
(issue 12, problem 9)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from server_stub.issuer import Issuer, IssuerError
from tests.conftest import NOW

REPO = Path(__file__).resolve().parents[2]
VECTORS = REPO / "tests" / "vectors"


def _run(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=60,
        check=False,
    )


def _usage_error(done: subprocess.CompletedProcess[str], word: str) -> None:
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "internal error" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert word in done.stderr


@pytest.mark.parametrize("at", ["99999999999999999999", "253402300800", "-99999999999", "-1"])
def test_kiosk_scan_at_out_of_range_is_a_usage_error(at: str) -> None:
    done = _run("kiosk", "scan", "--root", str(VECTORS / "root.pub.pem"), f"--at={at}", "HCK1:X")
    _usage_error(done, "--at")


@pytest.fixture(scope="module")
def issuer_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("issuer") / "iss"
    assert _run("server_stub", "issuer", "init", "--dir", str(directory)).returncode == 0
    return directory


@pytest.mark.parametrize(
    ("args", "word"),
    [
        (["--holder-id", "zz"], "--holder-id"),
        (["--holder-id", "abcd"], "--holder-id"),
        (["--validity", "-5"], "--validity"),
        (["--at", "99999999999999999999"], "--at"),
    ],
)
def test_issuer_mint_usage_errors(issuer_dir: Path, args: list[str], word: str) -> None:
    done = _run("server_stub", "issuer", "mint", "--dir", str(issuer_dir), "--name", "A *b", *args)
    _usage_error(done, word)


@pytest.mark.parametrize("name", ["N" * 100, "", "\u202e\u200b"])
def test_issuer_mint_refuses_names_the_spec_forbids(issuer_dir: Path, name: str) -> None:
    done = _run("server_stub", "issuer", "mint", "--dir", str(issuer_dir), "--name", name)
    _usage_error(done, "spec forbids")


def test_the_issuer_api_refuses_too(tmp_path: Path) -> None:
    issuer = Issuer.create(tmp_path / "i", now=NOW)
    with pytest.raises(IssuerError, match="spec forbids"):
        issuer.mint(name="x" * 100, now=NOW)
    with pytest.raises(IssuerError, match="spec forbids"):
        issuer.mint(name="Wang *ming", now=NOW, validity_s=-5)
