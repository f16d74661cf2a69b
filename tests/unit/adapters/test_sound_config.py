"""The [sound] table: defaults, the example file, and errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.adapters.config import ConfigError, SoundConfig, load_config

EXAMPLE = Path(__file__).resolve().parents[3] / "config" / "kiosk.example.toml"
HEAD = 'kiosk_id = "k"\n[trust]\nroot_key = "r.pem"\n'


def _load(tmp_path: Path, body: str) -> SoundConfig:
    path = tmp_path / "kiosk.toml"
    path.write_text(HEAD + body)
    return load_config(path).sound


def test_sound_defaults_are_tones_without_voice_in_mandarin(tmp_path: Path) -> None:
    sound = _load(tmp_path, "")
    assert sound == SoundConfig(
        enabled=True, tones=True, voice=False, language="zh_CN", player="auto", volume=0.8
    )
    assert load_config(EXAMPLE).sound == sound


def test_every_sound_key_is_read(tmp_path: Path) -> None:
    body = (
        '[sound]\nenabled = false\ntones = false\nvoice = true\nlanguage = "en"\n'
        'player = "paplay"\nvolume = 0.5\n'
    )
    assert _load(tmp_path, body) == SoundConfig(
        enabled=False, tones=False, voice=True, language="en", player="paplay", volume=0.5
    )
    assert _load(tmp_path, '[sound]\nlanguage = "zh-CN"').language == "zh_CN"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ('voice = "yes"', "key 'sound.voice': expected true or false, got 'yes'"),
        ("tones = 1", "key 'sound.tones': expected true or false, got 1"),
        ('language = "fr"', "key 'sound.language': expected \"zh_CN\" or \"en\", got 'fr'"),
        ("volume = 2", "key 'sound.volume': expected a number from 0 to 1, got 2"),
        ('player = ""', "key 'sound.player': expected a non-empty string, got ''"),
        ("voise = true", "unknown key 'sound.voise'"),
    ],
)
def test_sound_errors_name_the_file_and_the_key(tmp_path: Path, body: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, "[sound]\n" + body)
    assert str(caught.value).startswith(str(tmp_path / "kiosk.toml"))
    assert fragment in str(caught.value)


def test_ui_language_defaults_to_chinese_and_the_voice_follows_it(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(HEAD)
    assert load_config(path).ui.language == "zh_CN"
    assert load_config(EXAMPLE).ui.language == "zh_CN"
    path.write_text(HEAD + '[ui]\nlanguage = "en"\n')
    config = load_config(path)
    assert config.ui.language == "en" and config.sound.language == "en"
    path.write_text(HEAD + '[ui]\nlanguage = "en"\n[sound]\nlanguage = "zh_CN"\n')
    config = load_config(path)
    assert config.ui.language == "en" and config.sound.language == "zh_CN"


def test_an_unknown_ui_language_names_the_key(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(HEAD + '[ui]\nlanguage = "fr"\n')
    with pytest.raises(ConfigError, match="language"):
        load_config(path)
