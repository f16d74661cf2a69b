"""Notes from the kiosk's parts reach the guard and IT in the kiosk's language.

The adapters write their notes and log lines in English; ``kiosk.ui.notes``
holds their templates for the catalogs.  The first test reads the adapters'
sources: a note or a log message without a template here (so without a
translation: the catalog test checks every template) fails it.  Two more
read the sources the same way: the texts the sync puts in its status
(``last_error``, its notes) need a template in ``kiosk.ui.notes``, and the
errors that stop ``kiosk run`` at start (``ConfigError``, what a key was
expected to hold) one in ``kiosk.ui.config_words``.
"""

from __future__ import annotations

import ast
import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from rich.cells import cell_len

from kiosk.adapters.config import load_config
from kiosk.adapters.sound import Sound
from kiosk.commands.run import said_in_kiosk_language
from kiosk.core.announcements import SoundStatus
from kiosk.port import LogRow
from kiosk.ui import lines
from kiosk.ui.config_words import config_template_of
from kiosk.ui.i18n import language, set_language
from kiosk.ui.notes import NOTES, say, say_all, template_of
from kiosk.ui.widgets import StatusBar
from server_stub.issuer import Issuer
from tests.ui.drive import drive, make_app

ROOT = Path(__file__).resolve().parents[2]
LOG_METHODS = {"debug", "info", "warning", "error", "exception", "critical"}
SHOWN_LOG_LEVELS = {"info", "warning", "error", "exception", "critical"}
PRINTF = re.compile(r"%[-#0 +]*\d*(?:\.\d+)?[sdrfg]")


@pytest.fixture(autouse=True)
def english_after() -> Iterator[None]:
    yield
    set_language("en")


def sample(node: ast.expr) -> str | None:
    """A string literal or f-string as one instance of its text (``X`` for each value)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            else:
                parts.append("X")
        return "".join(parts)
    return None


def messages_in(path: Path) -> Iterator[tuple[int, str]]:
    """The notes and log lines a guard or IT may read, as written in ``path``."""
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        owner = func.value if isinstance(func, ast.Attribute) else None
        if (
            name in SHOWN_LOG_LEVELS
            and isinstance(owner, ast.Name)
            and owner.id == "log"
            and (text := sample(node.args[0])) is not None
        ):
            yield node.lineno, PRINTF.sub("X", text)
        elif name in {"SoundError", "IdentityError"}:
            text = sample(node.args[0])
            if text is not None:
                yield node.lineno, text
    inside_f_strings = {
        id(part)
        for node in ast.walk(tree)
        if isinstance(node, ast.JoinedStr)
        for part in node.values
    }
    for node in ast.walk(tree):
        # Notes made as text: "sound: …" in the sound, the camera's errors and exposure notes.
        if id(node) in inside_f_strings:
            continue
        for text_node in _note_values(node):
            text = sample(text_node)
            if text is not None and text.strip():
                yield getattr(text_node, "lineno", 0), text


def _note_values(node: ast.AST) -> Iterator[ast.expr]:
    keyword = isinstance(node, ast.keyword) and node.arg in {"error", "note"}
    attribute = isinstance(node, ast.Assign) and any(
        (isinstance(t, ast.Attribute) and t.attr in {"_error", "note"})
        or (isinstance(t, ast.Name) and t.id == "note")
        for t in node.targets
    )
    if keyword or attribute:
        yield from _branches(node.value)  # type: ignore[attr-defined]
    elif isinstance(node, ast.Constant) and isinstance(node.value, str):
        if node.value.startswith("sound: "):
            yield node
    elif (
        isinstance(node, ast.JoinedStr)
        and isinstance(node.values[0], ast.Constant)
        and str(node.values[0].value).startswith(("sound: ", "exposure "))
    ):
        yield node


def _branches(node: ast.expr) -> Iterator[ast.expr]:
    if isinstance(node, ast.IfExp):
        yield from _branches(node.body)
        yield from _branches(node.orelse)
    elif isinstance(node, (ast.Constant, ast.JoinedStr)):
        yield node


def _texts(value: ast.expr, prefix: str = "") -> Iterator[tuple[int, str]]:
    """(line, text) for each text ``value`` may be (each branch of a conditional)."""
    for branch in _branches(value):
        text = sample(branch)
        if text is not None and text.strip():
            yield branch.lineno, prefix + text


SOURCES = [
    "kiosk/adapters/sound.py",
    "kiosk/adapters/camera.py",
    "kiosk/adapters/sync.py",
    "kiosk/adapters/identity.py",
    "kiosk/service.py",
    "kiosk/judgement_setup.py",
]
NOT_A_NOTE = {"X: X", "X", "X X", "X: X (X)", "XX"}
"""Messages with no words of their own (a file name and an error the system wrote)."""


@pytest.mark.parametrize("source", SOURCES)
def test_every_note_of_the_kiosks_parts_has_a_template(source: str) -> None:
    found = list(messages_in(ROOT / source))
    assert found, f"nothing read from {source}"
    missing = [
        (line, text) for line, text in found if text not in NOT_A_NOTE and template_of(text) is None
    ]
    assert not missing, f"{source}: no template in kiosk/ui/notes.py for: {missing}"


STATUS_CALLS = {"_note", "_failed", "Unreachable", "FetchError", "AckError"}
"""Calls whose first argument becomes the sync's ``last_error`` (the status bar shows it)."""


def status_texts_in(path: Path) -> Iterator[tuple[int, str]]:
    """The texts the sync puts in its status (``last_error``, ``notes``), as written in ``path``:
    what a failed request, a refused batch or list, or a signed answer that is not right says."""
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        shown: list[ast.expr] = []
        prefix = ""
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in STATUS_CALLS and node.args:
                shown.append(node.args[0])
            elif name == "ListError" and len(node.args) >= 2:
                shown.append(node.args[1])
            elif name == "_structure" and len(node.args) >= 2:
                shown.append(node.args[1])
                prefix = "X: "  # what was refused goes in front
            elif name == "Loaded" and len(node.args) >= 2:
                shown.append(node.args[1])
            elif name == "ListOutcome" and len(node.args) >= 4:
                shown.append(node.args[3])
            elif (
                name == "append"
                and isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and func.value.id == "notes"
                and node.args
            ):
                shown.append(node.args[0])
            shown += [k.value for k in node.keywords if k.arg in {"last_error", "message"}]
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id in {"message", "text"} for t in node.targets
        ):
            shown.append(node.value)
        elif isinstance(node, ast.Return) and node.value is not None:
            values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
            shown += [v.value if isinstance(v, ast.Subscript) else v for v in values]
            shown = [v for v in shown if isinstance(v, ast.JoinedStr)]
        for value in shown:
            yield from _texts(value, prefix)


STATUS_WRITTEN_AS = {
    "X: server XX": [
        "X: server busy (429)",
        "X: server busy (429): X",
        "X: server error X",
        "X: server error X: X",
    ],
}
"""Texts whose words come in a value (``busy (429)`` or ``error 503``): the forms they take."""


def untemplated(
    source: str,
    scan: Callable[[Path], Iterator[tuple[int, str]]],
    written_as: dict[str, list[str]],
    template: Callable[[str], object],
) -> list[tuple[int, str]]:
    """(line, text) of each text ``scan`` reads in ``source`` (in each of the forms
    ``written_as`` gives) that has words of its own and no template."""
    found = [
        (line, form) for line, text in scan(ROOT / source) for form in written_as.get(text, [text])
    ]
    assert found, f"nothing read from {source}"
    return [
        (line, text) for line, text in found if text not in NOT_A_NOTE and template(text) is None
    ]


STATUS_SOURCES = [
    "kiosk/adapters/sync.py",
    "kiosk/adapters/http_fetch.py",
    "kiosk/adapters/list_files.py",
    "kiosk/core/server_signed.py",
    "kiosk/core/trust.py",
]


@pytest.mark.parametrize("source", STATUS_SOURCES)
def test_every_text_of_the_sync_status_has_a_template(source: str) -> None:
    """The status bar says ``last_error`` and the sync's notes through ``say_all``: a text
    without a template there would stay English on a Chinese screen."""
    missing = untemplated(source, status_texts_in, STATUS_WRITTEN_AS, template_of)
    assert not missing, f"{source}: no template in kiosk/ui/notes.py for: {missing}"


def test_the_status_scan_sees_the_texts_it_should() -> None:
    sync = {text for _line, text in status_texts_in(ROOT / "kiosk/adapters/sync.py")}
    assert "sync failed: X" in sync  # last_error=
    assert "plain http:// to the server: entries cross the network unencrypted" in sync  # notes
    assert "X entries parked: X" in sync  # _note
    assert "batch too large; sending X entries at a time" in sync  # _failed
    assert "server X: X" in sync  # a list's outcome
    assert "X/v1/ack-key: server answered X" in sync  # returned
    fetch = {text for _line, text in status_texts_in(ROOT / "kiosk/adapters/http_fetch.py")}
    assert "X: connection refused (is the server running?)" in fetch
    assert "X: TLS failed: the server's certificate is not trusted (X)" in fetch


def config_errors_in(path: Path) -> Iterator[tuple[int, str]]:
    """The errors that stop ``kiosk run`` at start, as written in ``path``: ``ConfigError``'s
    message (and ``SourceError``'s: a frame source's error holds it), a ``Table``'s error (with ``X: `` for the file in front), what a key was
    expected to hold (``fail``'s second argument), and what a file read is (``read_capped``)."""
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        found: list[tuple[ast.expr, str]] = []
        if name in {"ConfigError", "SourceError"}:
            found.append((node.args[0], ""))
        elif name == "PolicyError" or (
            name == "error"
            and isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id == "self"
        ):
            found.append((node.args[0], "X: "))  # the file's name goes in front
        elif name in {"fail", "_fail"} and len(node.args) >= 2:
            found.append((node.args[1], ""))
        elif name == "read_capped" and len(node.args) >= 3:
            found.append((node.args[2], ""))
        for value, prefix in found:
            yield from _texts(value, prefix)


WRITTEN_AS = {
    "X: unknown key 'XX'X": [
        "X: unknown key 'XX'",
        "X: unknown key 'XX' (see config/kiosk.example.toml for the keys there are)",
    ],
}
"""Errors whose words come in a value (the config file's hint after an unknown key):
the forms they take."""

CONFIG_SOURCES = [
    "kiosk/adapters/config.py",
    "kiosk/adapters/policy_file.py",
    "kiosk/adapters/trust_store.py",
    "kiosk/adapters/camera.py",
    "kiosk/adapters/sync.py",
    "kiosk/judgement_setup.py",
    "kiosk/commands/run.py",
    "kiosk/core/toml_table.py",
    "kiosk/core/policy.py",
]


@pytest.mark.parametrize("source", CONFIG_SOURCES)
def test_every_config_error_has_a_template(source: str) -> None:
    """``kiosk run`` says what is wrong with its files in the kiosk's language: an error
    without a template in ``kiosk.ui.config_words`` would stay English."""
    missing = untemplated(source, config_errors_in, WRITTEN_AS, config_template_of)
    assert not missing, f"{source}: no template in kiosk/ui/config_words.py for: {missing}"


def test_the_config_scan_sees_the_errors_it_should() -> None:
    config = {text for _line, text in config_errors_in(ROOT / "kiosk/adapters/config.py")}
    assert "X: file not found (X)" in config  # ConfigError
    assert '"zh_CN" or "en"' in config  # what ui.language should be
    assert "TOML file" in config  # what was read
    table = {text for _line, text in config_errors_in(ROOT / "kiosk/core/toml_table.py")}
    assert "X: key 'XX' is missing (a string)" in table
    assert "a whole number from X to X" in table


def test_the_source_scan_sees_the_notes_it_should() -> None:
    """The scan itself: it finds the sound's notes and the camera's, so a new one is caught."""
    sound = {text for _line, text in messages_in(ROOT / "kiosk/adapters/sound.py")}
    assert "sound: espeak-ng not installed; tones only" in sound
    assert "X; the terminal bell rings instead" in sound
    camera = {text for _line, text in messages_in(ROOT / "kiosk/adapters/camera.py")}
    assert "X: camera lost, reopening" in camera
    assert "exposure X ms refused by the camera (X); auto exposure" in camera


def test_templates_are_distinct_and_each_has_words() -> None:
    assert len(set(NOTES)) == len(NOTES)
    for template in NOTES:
        assert re.sub(r"\{\w+\}", "", template).strip(" :;()"), template


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("sound: espeak-ng not installed; tones only", "声音：未安装 espeak-ng；仅提示音"),
        (
            "sound: aplay failed (device busy); the terminal bell rings instead",
            "声音：aplay 出错（device busy）；改用终端响铃",
        ),
        ("camera 0: cannot open", "摄像头 0：无法打开"),
        (
            "camera 0: exposure 2 ms refused by the camera (V4L2); auto exposure",
            "摄像头 0：摄像头（V4L2）拒绝 2 毫秒曝光；使用自动曝光",
        ),
        ("batch b-7 parked (3 entries): 422 bad", "批次 b-7 已搁置（3 条记录）：422 bad"),
        ("connection refused", "connection refused"),
    ],
)
def test_notes_in_chinese_with_their_values(english: str, chinese: str) -> None:
    set_language("zh_CN")
    assert say(english) == chinese
    set_language("en")
    assert say(english) == english


def test_notes_joined_by_the_status_are_said_one_by_one() -> None:
    set_language("zh_CN")
    joined = "camera 0: cannot open; sound: off"
    assert say_all(joined) == "摄像头 0：无法打开; 声音：已关闭"


def _config(tmp_path: Path, language_name: str, sound: str = "") -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(
        'kiosk_id = "gate-test"\ndata_dir = "var"\n[trust]\nroot_key = "root.pub.pem"\n'
        f'[sync]\nenabled = false\n[ui]\nlanguage = "{language_name}"\n[sound]\n{sound}\n'
    )
    return path


def test_kiosk_run_says_the_sounds_note_on_stderr_in_the_kiosks_language(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The real sound adapter on a machine without a player, inside ``kiosk run``'s
    message setup: its note comes out in Chinese, and the language is put back after."""
    path = _config(tmp_path, "zh_CN", "voice = true")
    config = load_config(path)
    before = language()
    with said_in_kiosk_language(path):
        sound = Sound(config.sound, tmp_path / "sound", which=lambda _name: None, probe=False)
        logging.getLogger("kiosk.camera").warning("camera %d: %s", 0, "cannot open")
    err = capsys.readouterr().err.splitlines()
    assert sound.status().note == "sound: no audio player (aplay, paplay or sox's play); off"
    assert "kiosk：声音：没有音频播放程序（aplay、paplay 或 sox 的 play）；已关闭" in err
    assert "kiosk：摄像头 0：无法打开" in err
    assert language() == before
    logging.getLogger("kiosk.camera").warning("after the run")
    assert "kiosk：" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("language_name", "no_player", "tones_only"),
    [
        ("en", "Sound ✗ no player", "Sound ! tones only"),
        ("zh_CN", "声音 ✗ 无播放器", "声音 ! 仅提示音"),
    ],
)
def test_the_sound_note_is_in_the_status_bar_at_80x24_in_both_languages(
    tmp_path: Path, language_name: str, no_player: str, tones_only: str
) -> None:
    """No player found: the guard sees why the kiosk is silent, short, on the first line."""
    config = load_config(_config(tmp_path, language_name, "voice = true"))
    silent = Sound(config.sound, tmp_path / "sound", which=lambda _name: None, probe=False)
    no_voice = SoundStatus(
        enabled=True, tones=True, player="aplay", note="sound: espeak-ng not installed; tones only"
    )
    app, _port = make_app(language=language_name)

    async def script(pilot: object) -> None:
        bar = app.query_one(StatusBar)
        app.show_sound(silent.status())
        await pilot.pause()  # type: ignore[attr-defined]
        first = bar.plain.splitlines()[0]
        assert no_player in first, first
        assert cell_len(first) <= bar.content_size.width
        app.show_sound(no_voice)
        await pilot.pause()  # type: ignore[attr-defined]
        assert tones_only in bar.plain.splitlines()[0]
        app.show_sound(SoundStatus(enabled=True, tones=True, player="aplay"))
        await pilot.pause()  # type: ignore[attr-defined]
        assert "Sound" not in bar.plain and "声音" not in bar.plain

    drive(app, script)


def test_the_whole_sound_note_when_the_bar_has_room() -> None:
    app, _port = make_app(language="zh_CN")

    async def script(pilot: object) -> None:
        app.show_sound(SoundStatus(enabled=True, player="", note="sound: off"))
        await pilot.pause()  # type: ignore[attr-defined]
        assert "声音：已关闭" in app.query_one(StatusBar).plain.splitlines()[0]

    drive(app, script, size=(160, 48))


def test_readings_the_service_writes_into_the_log_are_said_in_chinese() -> None:
    from kiosk.service import reading_note

    set_language("zh_CN")
    assert (
        lines.log_note(
            LogRow("e", 0, "observation", "DENY", "", note=reading_note(38.5, False))
        ).plain
        == "体温 38.5 °C，未戴口罩"
    )
    guard = LogRow("e", 0, "override", "ALLOW", "", note="known staff, no mask needed")
    assert lines.log_note(guard).plain == "known staff, no mask needed"  # the guard's own words


def test_kiosk_run_refuses_a_missing_frame_source_in_the_kiosks_language(
    tmp_path: Path, issuer: Issuer
) -> None:
    """The error is raised in English (logs match it) and said at the edge, in Chinese."""
    from kiosk.adapters.config import ConfigError
    from kiosk.commands.run import run_headless, said_error

    (tmp_path / "root.pub.pem").write_bytes(issuer.root_public_pem)
    (tmp_path / "policy.toml").write_bytes((ROOT / "config" / "policy.toml").read_bytes())
    path = _config(tmp_path, "zh_CN")
    with pytest.raises(ConfigError, match="no frame source") as caught:
        run_headless(path, None)
    assert language() == "en"
    said = said_error(path, caught.value)
    assert said.endswith("：没有画面来源：请设置 camera.source 或使用 --source"), said
    assert language() == "en"
