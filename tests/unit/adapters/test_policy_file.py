"""Reading the site policy file: real files, errors that name the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.adapters.config import ConfigError
from kiosk.adapters.policy_file import load_policy
from kiosk.core.model import RiskLevel
from kiosk.core.policy import DEFAULT_POLICY, Mode

REPO = Path(__file__).resolve().parents[3]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_file_loads_as_default() -> None:
    assert load_policy(REPO / "config" / "policy.toml") == DEFAULT_POLICY


def test_empty_file_is_default(tmp_path: Path) -> None:
    assert load_policy(write(tmp_path, "")) == DEFAULT_POLICY


def test_values_are_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[travel]\nmax_level = "M"\n\n[nucleic_acid]\nmode = "review"\nmax_hours = 48\n',
    )
    policy = load_policy(str(path))
    assert policy.travel.max_level is RiskLevel.MEDIUM
    assert policy.nucleic_acid.mode is Mode.REVIEW
    assert policy.nucleic_acid.max_hours == 48


def test_bad_value_names_file_and_key(tmp_path: Path) -> None:
    path = write(tmp_path, '[travel]\nmax_level = "Z"\n')
    with pytest.raises(ConfigError) as info:
        load_policy(path)
    assert str(info.value) == f"{path}: key 'travel.max_level': expected one of L, M, H, got 'Z'"


def test_unknown_key_names_file_and_key(tmp_path: Path) -> None:
    path = write(tmp_path, "[mask]\nrequird = true\n")
    with pytest.raises(ConfigError) as info:
        load_policy(path)
    assert str(info.value) == f"{path}: unknown key 'mask.requird'"


def test_error_is_not_chained(tmp_path: Path) -> None:
    path = write(tmp_path, "[code]\nmax_age_minutes = 0\n")
    with pytest.raises(ConfigError) as info:
        load_policy(path)
    assert info.value.__cause__ is None
    assert "key 'code.max_age_minutes'" in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    with pytest.raises(ConfigError, match="file not found") as info:
        load_policy(path)
    assert str(path) in str(info.value)


def test_invalid_toml_names_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[travel\n")
    with pytest.raises(ConfigError, match="not valid TOML") as info:
        load_policy(path)
    assert str(info.value).startswith(str(path))


def test_not_utf8_names_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_bytes(b"[site]\nutc_offset_hours = 8 # \xff\n")
    with pytest.raises(ConfigError, match=r"policy\.toml"):
        load_policy(path)
