"""The shipped wire-format vectors (tests/vectors) judged by the core and by `kiosk scan`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kiosk.core.errors import Severity
from kiosk.core.pipeline import ScanContext, scan
from kiosk.core.policy import DEFAULT_POLICY
from kiosk.core.trust import load_root_key, parse_revocation_list, parse_trust_list

VECTORS = Path(__file__).parent.parent / "vectors"
DOC = json.loads((VECTORS / "vectors.json").read_text("utf-8"))


def _context() -> ScanContext:
    now = DOC["judge_at"]
    root = load_root_key((VECTORS / "root.pub.pem").read_bytes())
    return ScanContext(
        DEFAULT_POLICY,
        parse_trust_list((VECTORS / "trust-list.cose").read_bytes(), root, now=now),
        parse_revocation_list((VECTORS / "revocations.cose").read_bytes(), root, now=now),
    )


def test_vectors_cover_every_rejection_of_the_spec() -> None:
    reasons = {v["reason"] for v in DOC["vectors"]}
    for code in [
        "TEXT_TOO_LONG", "BAD_PREFIX", "BASE45_INVALID", "ZLIB_MISSING", "ZLIB_CORRUPT", "ZLIB_TOO_LARGE",
        "CBOR_MALFORMED", "CBOR_TOO_DEEP", "CBOR_TRAILING_BYTES", "CBOR_DUPLICATE_KEY", "COSE_STRUCTURE",
        "CLAIMS_STRUCTURE", "TIME_OUT_OF_RANGE", "STRING_TOO_LONG", "UNKNOWN_KID", "ALG_MISMATCH",
        "BAD_SIGNATURE", "KEY_NOT_VALID", "EXPIRED", "NOT_YET_VALID", "REVOKED",
        "SIGNATURE_NOT_LOW_S", "COSE_CRIT", "COSE_DUPLICATE_LABEL", "ALG_UNSUPPORTED",
        "TRAVEL_IN_FUTURE",
    ]:  # fmt: skip
        assert code in reasons, code


@pytest.mark.parametrize("vector", DOC["vectors"], ids=lambda v: v["name"])
def test_vector(vector: dict[str, Any]) -> None:
    decision = scan(vector["text"], _context(), DOC["judge_at"])
    assert decision.verdict.value == vector["verdict"], decision.reasons
    if vector["reason"] is None:
        assert [r for r in decision.reasons if r.severity is not Severity.NOTE] == []
    else:
        assert vector["reason"] in decision.reason_codes


def _kiosk_scan(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk", "scan", "--root", str(VECTORS / "root.pub.pem"),
         "--trust-list", str(VECTORS / "trust-list.cose"), "--revocations", str(VECTORS / "revocations.cose"),
         "--at", str(DOC["judge_at"]), *args],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_cli_json_keeps_markup_name_exactly() -> None:
    vector = next(v for v in DOC["vectors"] if v["name"] == "valid_markup_name")
    result = _kiosk_scan("--json", "--text", vector["text"])
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["verdict"] == "ALLOW"
    assert out["name"] == "[bold]X[/] *ming"
    assert out["certificates"][1]["summary"].startswith("negative, sampled")


@pytest.mark.parametrize(
    "name", ["zlib_bomb", "text_too_long", "duplicate_map_key", "alg_confusion", "revoked"]
)
def test_cli_rejects_with_reason_and_no_traceback(name: str) -> None:
    vector = next(v for v in DOC["vectors"] if v["name"] == name)
    result = _kiosk_scan("--json", "--text", vector["text"])
    assert result.returncode == 0
    assert "Traceback" not in result.stderr
    out = json.loads(result.stdout)
    assert out["verdict"] == "DENY"
    assert vector["reason"] in [r["code"] for r in out["reasons"]]


def test_cli_usage_errors_exit_2_naming_the_problem(tmp_path: Path) -> None:
    result = _kiosk_scan("--text", "x", "--at", "yesterday-ish")
    assert result.returncode == 2
    assert "--at" in result.stderr and "Traceback" not in result.stderr
    bad = tmp_path / "kiosk.toml"
    bad.write_text('kiosk_id = "k1"\n[trust]\nroot_key = 5\n')
    result = subprocess.run(
        [sys.executable, "-m", "kiosk", "scan", "--config", str(bad), "--text", "x"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert str(bad) in result.stderr and "trust.root_key" in result.stderr
