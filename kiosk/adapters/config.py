"""Kiosk configuration: TOML file -> validated, frozen ``KioskConfig``.

Read once at start.  Every error names the file, the key and what was
expected, so an operator can fix a typo without reading code.  Paths in the
file are relative to the file itself.  Every key is documented in
``config/kiosk.example.toml``.  The site policy has its own file and parser
(``kiosk.core.policy``); this module only reads it from disk.
"""

from __future__ import annotations

import os
import secrets
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kiosk.core.announcements import language_of
from kiosk.core.toml_table import Table


class ConfigError(Exception):
    """A configuration file is missing, unreadable or has a wrong value."""


KIB = 1024
MAX_TOML_BYTES = 1024 * KIB
"""Largest config or policy file read (bytes)."""
MAX_KEY_BYTES = 64 * KIB
"""Largest PEM key file read (bytes)."""
MAX_SALT_BYTES = 4 * KIB
"""Largest holder salt file read (bytes)."""
EXAMPLE_SALTS = frozenset({"", "change-me"})
"""Salts that are not secrets: refused."""
SALT_FILE_NAME = "holder-salt"


def read_capped(path: Path, cap: int, what: str) -> bytes:
    """Read a configured file: a regular file of at most ``cap`` bytes, else ConfigError.

    ``/dev/zero``, a FIFO or a directory is refused before anything is read
    (opened non-blocking, checked with ``fstat``), and a file that grows past
    the cap while being read is refused too: a read never runs unbounded.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found ({what})") from None
    except PermissionError:
        raise ConfigError(f"{path}: permission denied ({what})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the {what}: {exc.strerror}") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise ConfigError(f"{path}: is a directory, expected a {what}")
        if not stat.S_ISREG(st.st_mode):
            raise ConfigError(f"{path}: the {what} must be a regular file (not a device or pipe)")
        if st.st_size > cap:
            raise ConfigError(f"{path}: the {what} is {st.st_size} bytes, more than {cap}")
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = os.read(fd, min(65536, cap + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > cap:
                raise ConfigError(f"{path}: the {what} is more than {cap} bytes")
        return b"".join(chunks)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the {what}: {exc.strerror}") from None
    finally:
        os.close(fd)


@dataclass(frozen=True)
class ServerConfig:
    url: str = ""
    timeout_s: float = 5.0
    deadline_s: float = 30.0
    """Longest a whole request may take, answer included (a drip ends here)."""
    insecure_http: bool = False
    """Allow plain http:// to a host other than loopback (shown in the status bar)."""
    ca_file: Path | None = None
    """PEM CA bundle pinned for https://; None uses the system store."""
    ack_key: Path | None = None
    """The server's ack public key (PEM) pinned here; None: the root-signed /v1/ack-key."""

    @property
    def plain_http(self) -> bool:
        """True when entries would cross the network unencrypted (http:// off loopback)."""
        return bool(self.url) and self.url.startswith("http://") and not is_loopback_url(self.url)


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


def is_loopback_url(url: str) -> bool:
    """Does this URL name this machine (127.0.0.0/8, ::1, localhost)?"""
    host = (urlsplit(url).hostname or "").lower()
    return host in LOOPBACK_HOSTS or host.startswith("127.")


@dataclass(frozen=True)
class SyncConfig:
    enabled: bool = True
    interval_s: float = 10.0
    batch_size: int = 500
    backoff_base_s: float = 1.0
    backoff_max_s: float = 300.0
    lists_interval_s: float = 300.0
    retention_days: int = 28
    clock_warn_s: float = 120.0


@dataclass(frozen=True)
class CameraConfig:
    source: str = ""
    width: int = 1280
    height: int = 720
    fps: float = 30.0
    fallback_after: int = 15
    exposure_ms: float | None = 2.0
    """Manual exposure for cameras by index; None leaves the camera's auto exposure."""


@dataclass(frozen=True)
class ScanConfig:
    presentation_gap_s: float = 1.5
    hold_s: float = 5.0
    repeat_review_min: float = 10.0
    shared_window_min: float = 30.0


@dataclass(frozen=True)
class UiConfig:
    bell: bool = True
    verdict_hold_s: float = 20.0
    review_timeout_s: float = 600.0
    """A visit waiting for the guard this long is logged as left without a decision."""
    language: str = "zh_CN"
    """Language of the guard's screen and of ``kiosk run``'s messages: "zh_CN" or "en"."""


@dataclass(frozen=True)
class SoundConfig:
    """A tone and an optional spoken prompt for each new verdict (``kiosk.adapters.sound``)."""

    enabled: bool = True
    tones: bool = True
    voice: bool = False
    """Speak the prompt after the tone (needs espeak-ng)."""
    language: str = "zh_CN"
    """Language of the spoken prompt: "zh_CN" or "en"."""
    player: str = "auto"
    """"auto" (aplay, paplay or sox's play, the first found), "none", or a program."""
    volume: float = 0.8
    """Loudness of tones and prompts, 0 (silent) to 1 (full scale)."""


@dataclass(frozen=True)
class KioskConfig:
    """Everything the kiosk needs to start, with paths already resolved."""

    path: Path
    kiosk_id: str
    site: str
    data_dir: Path
    root_key: Path
    trust_list: Path
    revocations: Path
    policy: Path
    identity_key: Path
    holder_salt_file: Path = Path(SALT_FILE_NAME)
    foreign_enabled: bool = False
    skew_s: int = 300
    holder_salt: str = ""
    server: ServerConfig = field(default_factory=ServerConfig)
    sync: SyncConfig = field(default_factory=SyncConfig)
    camera: CameraConfig = field(default_factory=CameraConfig)
    scan: ScanConfig = field(default_factory=ScanConfig)
    ui: UiConfig = field(default_factory=UiConfig)
    sound: SoundConfig = field(default_factory=SoundConfig)


class _Reader(Table):
    """``kiosk.core.toml_table.Table`` for the config file: errors are ``ConfigError``s that
    name the file, and relative paths are read from the file's folder."""

    def __init__(self, path: Path, table: Mapping[str, Any], prefix: str = "") -> None:
        super().__init__(table, prefix, " (see config/kiosk.example.toml for the keys there are)")
        self.path = path

    def error(self, message: str) -> ConfigError:
        return ConfigError(f"{self.path}: {message}")

    def _fail(self, key: str, expected: str, got: object) -> Exception:
        return self.fail(key, expected, got)

    def child(self, data: Mapping[str, object], prefix: str) -> _Reader:
        return _Reader(self.path, data, prefix)

    def sub(self, key: str) -> _Reader:
        made = super().sub(key)
        assert isinstance(made, _Reader)
        return made

    def path_value(self, key: str, default: str | None = None) -> Path:
        raw = self.string(key, default, nonempty=True)
        p = Path(raw).expanduser()
        return p if p.is_absolute() else (self.path.parent / p).resolve()


def read_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file, turning every failure into a ConfigError naming the file."""
    data = read_capped(path, MAX_TOML_BYTES, "TOML file")
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def load_config(path: str | Path) -> KioskConfig:
    """Load and validate a kiosk configuration file."""
    p = Path(path).expanduser().resolve()
    r = _Reader(p, read_toml(p))
    kiosk_id = r.string("kiosk_id", nonempty=True)
    if len(kiosk_id) > 64 or not all(c.isalnum() or c in "-_." for c in kiosk_id):
        raise r._fail("kiosk_id", "1-64 letters, digits, '-', '_' or '.'", kiosk_id)
    site = r.string("site", "")
    data_dir = r.path_value("data_dir", "var")
    t = r.sub("trust")
    root_key = t.path_value("root_key")
    trust_list = t.path_value("trust_list", str(data_dir / "trust-list.cose"))
    revocations = t.path_value("revocations", str(data_dir / "revocations.cose"))
    foreign = t.boolean("foreign_enabled", False)
    if foreign:
        raise t._fail(
            "foreign_enabled",
            "false (EU DCC certificates, prefix HC1:, are not read by this version)",
            foreign,
        )
    skew = t.integer("skew_s", 300, low=0, high=3600)
    t.check_unknown()
    policy = r.path_value("policy", "policy.toml")
    identity = r.path_value("identity_key", str(data_dir / "kiosk-identity.pem"))
    salt = r.string("holder_salt", "")
    if r.has("holder_salt") and salt.strip() in EXAMPLE_SALTS:
        raise r._fail(
            "holder_salt",
            "a secret of your own, or no holder_salt at all (then holder_salt_file is used)",
            salt,
        )
    salt_file = r.path_value("holder_salt_file", str(data_dir / SALT_FILE_NAME))
    if data_dir.exists() and not data_dir.is_dir():
        raise r._fail("data_dir", "a directory", str(data_dir))

    s = r.sub("server")
    ca_text = s.string("ca_file", "")
    ack_text = s.string("ack_key", "")
    server = ServerConfig(
        url=s.string("url", ""),
        timeout_s=s.number("timeout_s", 5.0, low=0.1, high=120),
        deadline_s=s.number("deadline_s", 30.0, low=0.1, high=600),
        insecure_http=s.boolean("insecure_http", False),
        ca_file=s.path_value("ca_file") if ca_text else None,
        ack_key=s.path_value("ack_key") if ack_text else None,
    )
    if server.url and not server.url.startswith(("http://", "https://")):
        raise s._fail("url", "an http:// or https:// URL", server.url)
    if server.plain_http and not server.insecure_http:
        raise s._fail(
            "url",
            "https:// (plain http:// only to 127.0.0.1, or with server.insecure_http = true)",
            server.url,
        )
    if server.ca_file is not None and not server.ca_file.is_file():
        raise s._fail("ca_file", "a PEM file of CA certificates that exists", str(server.ca_file))
    s.check_unknown()

    y = r.sub("sync")
    sync = SyncConfig(
        enabled=y.boolean("enabled", True),
        interval_s=y.number("interval_s", 10.0, low=0.05, high=86400),
        batch_size=y.integer("batch_size", 500, low=1, high=10000),
        backoff_base_s=y.number("backoff_base_s", 1.0, low=0.01, high=3600),
        backoff_max_s=y.number("backoff_max_s", 300.0, low=0.01, high=86400),
        lists_interval_s=y.number("lists_interval_s", 300.0, low=1, high=86400),
        retention_days=y.integer("retention_days", 28, low=1, high=3650),
        clock_warn_s=y.number("clock_warn_s", 120.0, low=1, high=86400),
    )
    y.check_unknown()

    c = r.sub("camera")
    camera = CameraConfig(
        source=c.string("source", ""),
        width=c.integer("width", 1280, low=160, high=7680),
        height=c.integer("height", 720, low=120, high=4320),
        fps=c.number("fps", 30.0, low=1, high=240),
        fallback_after=c.integer("fallback_after", 15, low=1, high=10000),
        exposure_ms=c.number_or_auto("exposure_ms", 2.0, low=0.05, high=1000),
    )
    c.check_unknown()

    sc = r.sub("scan")
    scan = ScanConfig(
        presentation_gap_s=sc.number("presentation_gap_s", 1.5, low=0.1, high=60),
        hold_s=sc.number("hold_s", 5.0, low=0, high=3600),
        repeat_review_min=sc.number("repeat_review_min", 10.0, low=0, high=1440),
        shared_window_min=sc.number("shared_window_min", 30.0, low=0, high=1440),
    )
    sc.check_unknown()

    def _language(section: Any, value: str) -> str:
        try:
            return language_of(value)
        except ValueError:
            raise section._fail("language", '"zh_CN" or "en"', value) from None

    u = r.sub("ui")
    ui = UiConfig(
        bell=u.boolean("bell", True),
        verdict_hold_s=u.number("verdict_hold_s", 20.0, low=0, high=3600),
        review_timeout_s=u.number("review_timeout_s", 600.0, low=0, high=86400),
        language=_language(u, u.string("language", "zh_CN")),
    )
    u.check_unknown()

    so = r.sub("sound")
    # The voice speaks the screen's language unless [sound] language says otherwise.
    language = _language(so, so.string("language", ui.language))
    sound = SoundConfig(
        enabled=so.boolean("enabled", True),
        tones=so.boolean("tones", True),
        voice=so.boolean("voice", False),
        language=language,
        player=so.string("player", "auto", nonempty=True).strip(),
        volume=so.number("volume", 0.8, low=0, high=1),
    )
    so.check_unknown()
    r.check_unknown()
    return KioskConfig(
        path=p,
        kiosk_id=kiosk_id,
        site=site,
        data_dir=data_dir,
        root_key=root_key,
        trust_list=trust_list,
        revocations=revocations,
        policy=policy,
        identity_key=identity,
        holder_salt_file=salt_file,
        foreign_enabled=foreign,
        skew_s=skew,
        holder_salt=salt,
        server=server,
        sync=sync,
        camera=camera,
        scan=scan,
        ui=ui,
        sound=sound,
    )


def ensure_data_dir(config: KioskConfig) -> Path:
    """Create ``data_dir`` (mode 0700) if missing; ConfigError if it is not a directory."""
    d = config.data_dir
    try:
        d.mkdir(mode=0o700, parents=True, exist_ok=True)
    except FileExistsError:
        raise ConfigError(f"{config.path}: data_dir {d} exists and is not a directory") from None
    except OSError as exc:
        raise ConfigError(f"{config.path}: data_dir {d}: {exc.strerror}") from None
    if not d.is_dir():
        raise ConfigError(f"{config.path}: data_dir {d} exists and is not a directory")
    return d


def holder_salt(config: KioskConfig, *, create: bool = True) -> bytes:
    """The deployment's secret salt for holder keys.

    ``holder_salt`` in the config wins; otherwise ``holder_salt_file`` is read
    (at most 4 KiB, a regular file).  When that file does not exist and
    ``create`` is set, 32 random bytes (as hex) are written to it, mode 0600,
    never overwriting a file made meanwhile.  Copy it to every kiosk of one
    deployment so that their holder keys agree.
    """
    if config.holder_salt:
        return config.holder_salt.encode("utf-8")
    path = config.holder_salt_file
    if not path.exists() and create:
        if path.parent == config.data_dir:
            ensure_data_dir(config)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except FileExistsError:
            pass
        except OSError as exc:
            raise ConfigError(f"{path}: cannot create the holder salt: {exc.strerror}") from None
        else:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(secrets.token_hex(32) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
    salt = read_capped(path, MAX_SALT_BYTES, "holder salt file").strip()
    if len(salt) < 16:
        raise ConfigError(f"{path}: the holder salt must be at least 16 bytes, got {len(salt)}")
    return salt
