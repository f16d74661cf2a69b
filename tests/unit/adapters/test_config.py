"""Kiosk config: the example file loads, and every error names file, key and expectation."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.adapters.config import ConfigError, load_config

EXAMPLE = Path(__file__).resolve().parents[3] / "config" / "kiosk.example.toml"


def test_example_config_loads_with_paths_relative_to_the_file() -> None:
    config = load_config(EXAMPLE)
    assert config.kiosk_id == "gate-01"
    assert config.root_key == (EXAMPLE.parent / "../var/root.pub.pem").resolve()
    assert config.policy == EXAMPLE.parent / "policy.toml"
    assert config.sync.batch_size == 500 and config.camera.fallback_after == 15
    assert config.camera.exposure_ms == 2.0


@pytest.mark.parametrize(("value", "want"), [('"auto"', None), ("4", 4.0), ("0.5", 0.5)])
def test_camera_exposure_is_milliseconds_or_auto(tmp_path: Path, value: str, want: object) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(f'kiosk_id = "k"\n[trust]\nroot_key = "r.pem"\n[camera]\nexposure_ms = {value}')
    assert load_config(path).camera.exposure_ms == want


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("", "key 'kiosk_id' is missing"),
        ('kiosk_id = "a b"', "key 'kiosk_id': expected 1-64 letters"),
        (
            'kiosk_id = "k"\n[trust]\nroot_key = 5',
            "key 'trust.root_key': expected a non-empty string, got 5",
        ),
        (
            'kiosk_id = "k"\n[trust]\nroot_key = "r.pem"\n[sync]\nbatch_size = 0',
            "key 'sync.batch_size': expected a whole number from 1 to 10000",
        ),
        (
            'kiosk_id = "k"\n[trust]\nroot_key = "r.pem"\n[server]\nurl = "ftp://x"',
            "key 'server.url': expected an http",
        ),
        (
            'kiosk_id = "k"\n[trust]\nroot_key = "r.pem"\n[camera]\nfsp = 3',
            "unknown key 'camera.fsp'",
        ),
        (
            'kiosk_id = "k"\n[trust]\nroot_key = "r.pem"\n[camera]\nexposure_ms = "short"',
            "key 'camera.exposure_ms': expected \"auto\" or a number from 0.05 to 1000, got 'short'",
        ),
        (
            'kiosk_id = "k"\n[trust]\nroot_key = "r.pem"\n[camera]\nexposure_ms = 0',
            "key 'camera.exposure_ms': expected \"auto\" or a number from 0.05 to 1000, got 0",
        ),
        ('kiosk_id = "k"\nscan = 3\n[trust]\nroot_key = "r.pem"', "key 'scan': expected a table"),
        ("kiosk_id = ", "not valid TOML"),
        (
            'kiosk_id = "k"\n[trust]\nroot_key = "r.pem"\nforeign_enabled = true',
            "key 'trust.foreign_enabled': expected false",
        ),
    ],
)
def test_errors_name_file_and_key(tmp_path: Path, body: str, fragment: str) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(body)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(path) in str(err.value)
    assert fragment in str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.toml")
