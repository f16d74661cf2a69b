"""What stops ``kiosk run`` at start, and what the sync's status says, in the kiosk's language.

A broken config still has a language: ``kiosk run`` reads ``ui.language`` from
the TOML as it is, and says the error with ``kiosk.ui.config_words`` (the file,
the key and the value as written, the words around them translated).  The
sync's status texts (``last_error``, its notes, the clock's warnings) have
templates in ``kiosk.ui.notes``, so the Chinese status bar keeps only what a
server or the operating system wrote in English.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.adapters.sync_reports import ListOutcome
from kiosk.commands.run import kiosk_language, said_error
from kiosk.core.clock import clock_reasons
from kiosk.ui.config_words import say_config_error
from kiosk.ui.i18n import language, set_language
from kiosk.ui.notes import say_all, template_of
from server_stub.issuer import Issuer

ROOT = Path(__file__).resolve().parents[2]
ENGLISH_WORD = re.compile(r"\b[a-z]{3,}\b")


@pytest.fixture(autouse=True)
def english_after() -> Iterator[None]:
    yield
    set_language("en")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text('kiosk_id = "gate-1"\n[trust]\nroot_key = "root.pub.pem"\n' + text)
    return path


def _kiosk_run(config: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk", "run", "--config", str(config), "--headless"],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
        check=False,
    )


def test_kiosk_run_says_a_config_error_in_chinese_in_one_line(tmp_path: Path) -> None:
    """The real command on a config with a wrong value: exit 2, one Chinese line, the
    file, key and value as written, no traceback."""
    config = _write(tmp_path, '[camera]\nwidth = "wide"\n[ui]\nlanguage = "zh_CN"\n')
    done = _kiosk_run(config, tmp_path)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines == [
        f"kiosk：{config}：键 'camera.width'：应为 160 到 7680 之间的整数，实际为 'wide'"
    ]


def test_kiosk_run_says_a_missing_root_key_in_chinese(tmp_path: Path) -> None:
    """The config loads; a file it names is missing (``trust_store``)."""
    config = _write(tmp_path, '[ui]\nlanguage = "zh_CN"\n')
    done = _kiosk_run(config, tmp_path)
    assert done.returncode == 2, done.stderr
    root = tmp_path / "root.pub.pem"
    assert done.stderr.strip() == f"kiosk：{root}：找不到根密钥文件（trust.root_key）"


def test_kiosk_run_in_english_when_the_config_is_not_toml(tmp_path: Path) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text("kiosk_id = = 1\n")
    done = _kiosk_run(config, tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith(f"kiosk: {config}: not valid TOML: ")
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("ui", "expected"),
    [
        ('[ui]\nlanguage = "en"\n', "en"),
        ('[ui]\nlanguage = "zh-CN"\n', "zh_CN"),
        ('[ui]\nlanguage = "fr"\n', "zh_CN"),  # not a language: the default
        ("[ui]\nlanguage = 7\n", "zh_CN"),
        ("ui = 3\n", "zh_CN"),
        ("", "zh_CN"),  # no [ui]: the default
    ],
)
def test_the_kiosks_language_is_read_from_a_config_that_does_not_load(
    tmp_path: Path, ui: str, expected: str
) -> None:
    config = _write(tmp_path, "[camera]\nwidth = -1\n" + ui)
    assert kiosk_language(config) == expected


def test_no_language_from_a_file_that_cannot_be_read(tmp_path: Path) -> None:
    assert kiosk_language(tmp_path / "missing.toml") == "en"
    (tmp_path / "bad.toml").write_bytes(b"\xff\xfe")
    assert kiosk_language(tmp_path / "bad.toml") == "en"


def test_the_error_line_leaves_the_language_as_it_was(tmp_path: Path) -> None:
    from kiosk.adapters.config import ConfigError

    config = _write(tmp_path, '[ui]\nlanguage = "fr"\n')
    error = ConfigError(f"{config}: key 'ui.language': expected \"zh_CN\" or \"en\", got 'fr'")
    assert said_error(config, error) == (
        f"kiosk：{config}：键 'ui.language'：应为 \"zh_CN\" 或 \"en\"，实际为 'fr'"
    )
    assert language() == "en"


def test_a_frame_source_that_cannot_be_opened_is_said_at_the_edge(
    tmp_path: Path, issuer: Issuer
) -> None:
    """The error stays English (logs and tests match it); ``kiosk run``'s line is Chinese,
    the camera's words inside it too."""
    from kiosk.adapters.config import ConfigError
    from kiosk.commands.run import run_headless

    (tmp_path / "root.pub.pem").write_bytes(issuer.root_public_pem)
    (tmp_path / "policy.toml").write_bytes((ROOT / "config" / "policy.toml").read_bytes())
    config = tmp_path / "kiosk.toml"
    config.write_text(
        'kiosk_id = "gate-1"\ndata_dir = "var"\n[trust]\nroot_key = "root.pub.pem"\n'
        '[sync]\nenabled = false\n[ui]\nlanguage = "zh_CN"\n'
    )
    video = tmp_path / "gate.mp4"
    with pytest.raises(ConfigError) as caught:
        run_headless(config, str(video))
    assert str(caught.value) == f"--source {video}: {video}: no such file or folder"
    assert (
        said_error(config, caught.value)
        == f"kiosk：--source {video}：{video}：没有这个文件或文件夹"
    )


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        (
            "/k/kiosk.toml: unknown key 'ui.colour' (see config/kiosk.example.toml for the"
            " keys there are)",
            "/k/kiosk.toml：未知的键 'ui.colour'（可用的键见 config/kiosk.example.toml）",
        ),
        (
            "/k/policy.toml: key 'mask.action': expected one of deny, review, got 'allow'",
            "/k/policy.toml：键 'mask.action'：应为 deny, review 之一，实际为 'allow'",
        ),
        (
            "/k/policy.toml: key 'guard.never_approve': expected a list of reason codes"
            " (e.g. \"NAT_POSITIVE\"); 'NOPE' is not a reason code, got 'NOPE'",
            "/k/policy.toml：键 'guard.never_approve'：应为 原因代码列表（如 \"NAT_POSITIVE\"）"
            "；'NOPE' 不是原因代码，实际为 'NOPE'",
        ),
        ("/k/kiosk.toml: file not found (TOML file)", "/k/kiosk.toml：找不到文件（TOML 文件）"),
        (
            "/k/kiosk.toml: camera.source = 'cam:0': camera 0: cannot open camera 0",
            "/k/kiosk.toml：camera.source = 'cam:0'：摄像头 0：无法打开摄像头 0",
        ),
        (
            "/k/var/holder-salt: the holder salt must be at least 16 bytes, got 3",
            "/k/var/holder-salt：持码人盐值至少要 16 字节，实际为 3",
        ),
        (  # the TOML parser's own words stay as it wrote them
            "/k/kiosk.toml: not valid TOML: Invalid value (at line 1, column 12)",
            "/k/kiosk.toml：不是有效的 TOML：Invalid value (at line 1, column 12)",
        ),
    ],
)
def test_config_errors_in_chinese(english: str, chinese: str) -> None:
    set_language("zh_CN")
    assert say_config_error(english) == chinese
    set_language("en")
    assert say_config_error(english) == english


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        (
            "http://10.0.0.5:8443/v1/batches: connection refused (is the server running?)",
            "http://10.0.0.5:8443/v1/batches：连接被拒绝（服务器是否在运行？）",
        ),
        (
            "http://s/v1/batches: server busy (429): slow down",
            "http://s/v1/batches：服务器繁忙（429）：slow down",
        ),
        (
            "server refused kiosk gate-1: unknown kiosk"
            " (register it: server-stub admin register-kiosk)",
            "服务器拒绝终端 gate-1：unknown kiosk（请注册：server-stub admin register-kiosk）",
        ),
        (
            "http://s/v1/batches: the ack's signature does not verify with the server ack key;"
            " nothing marked sent",
            "http://s/v1/batches：确认回执的签名无法用服务器确认密钥验证；未标记任何记录为已发送",
        ),
        (
            "plain http:// to the server: entries cross the network unencrypted; "
            "3 entries parked (refused by the server: 422 BAD_ENTRY: no name);"
            " kiosk sync --retry-parked after a fix",
            "以明文 http:// 连接服务器：记录未加密在网络上传输; "
            "3 条记录已搁置（服务器拒绝：422 BAD_ENTRY: no name）；修正后运行 kiosk sync --retry-parked",
        ),
        (  # a refusal with the address in front, inside a note
            "http://s/v1/ack-key: server ack key: expired at 1700000000;"
            " nothing can be marked sent",
            "http://s/v1/ack-key：服务器确认密钥：已于 1700000000 过期; 无法标记任何记录为已发送",
        ),
        (  # a server's own words stay as they came, colons and all
            "3 entries parked: 422 BAD_ENTRY: name: too long",
            "3 条记录已搁置：422 BAD_ENTRY: name: too long",
        ),
        (
            "http://s/: server answered 302 (a redirect to http://x/); redirects are never followed",
            "http://s/：服务器返回 302（重定向到 http://x/）; 不跟随重定向",
        ),
    ],
)
def test_sync_status_texts_in_chinese(english: str, chinese: str) -> None:
    set_language("zh_CN")
    assert say_all(english) == chinese
    set_language("en")
    assert say_all(english) == english


@pytest.mark.parametrize("state", ["failed", "refused"])
@pytest.mark.parametrize("version", [None, 12])
@pytest.mark.parametrize("name", ["trust list", "revocation list", "site policy"])
def test_a_lists_outcome_in_the_status_has_no_english_words_of_the_kiosk(
    name: str, version: int | None, state: str
) -> None:
    """``trust list: refused (version 12): …; keeping the old one`` as the sync joins it
    into ``last_error``: only the server's words (here ``HTTP``) stay English."""
    message = (
        "server 500: HTTP"
        if state == "failed"
        else f"{name}: version 3 is older than the version 7 already held; keeping the old one"
    )
    text = "batch too large; sending 50 entries at a time; " + str(
        ListOutcome(name, state, version, message)
    )
    set_language("zh_CN")
    said = say_all(text)
    assert not ENGLISH_WORD.findall(said), said


def test_a_refused_list_in_chinese() -> None:
    text = (
        "trust list: refused (version 12): trust list: signature does not verify against"
        " the pinned root key; keeping the old one"
    )
    set_language("zh_CN")
    assert (
        say_all(text)
        == "信任名单：已拒绝（版本 12）：信任名单：签名与预置的根密钥不符; 保留原有版本"
    )


@pytest.mark.parametrize("skew", [-600.0, 600.0])
@pytest.mark.parametrize("confirmed", [True, False])
def test_every_clock_warning_has_a_template_and_a_chinese_form(
    skew: float, confirmed: bool
) -> None:
    reasons = clock_reasons(
        1_000_000,
        2_000_000,  # the newest entry is later than now: the clock went backwards
        None if confirmed else skew,
        120,
        confirmed_skew_s=skew if confirmed else None,
    )
    assert reasons
    set_language("zh_CN")
    for reason in reasons:
        assert template_of(reason.message) is not None, reason.message
        said = say_all(reason.message)
        assert not ENGLISH_WORD.findall(said.replace("Date", "")), said
