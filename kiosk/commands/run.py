"""``kiosk run``: the kiosk itself — frame source, judging, entry log, sync, guard UI.

    kiosk run --config kiosk.toml [--source VIDEO|DIR|0|rtsp://...|wedge] [--headless]

Builds the adapters from the configuration and wires them into a
``KioskService``; the UI (or, headless, a printer of JSON lines) only
subscribes to it.  Ctrl+C or ``q`` stops everything it started.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from kiosk.adapters.config import (
    ConfigError,
    KioskConfig,
    UiConfig,
    ensure_data_dir,
    load_config,
    read_toml,
)
from kiosk.adapters.list_files import remember_list_versions
from kiosk.adapters.store import EntryStore
from kiosk.commands.decision_output import decision_json_line, decision_lines
from kiosk.core.announcements import SoundStatus, language_of
from kiosk.judgement_setup import Judgement, Overrides, load_judgement
from kiosk.port import CameraStatus, KioskEvent, VisitEvent
from kiosk.service import KioskService
from kiosk.ui.config_words import say_config_error
from kiosk.ui.i18n import _, speaking
from kiosk.ui.notes import say


class NoteHandler(logging.Handler):
    """The kiosk's log lines (WARNING and up) on stderr in the kiosk's language:
    ``kiosk: 声音：未安装 espeak-ng；仅提示音``.  The adapters log in English
    (``kiosk.ui.notes`` knows their templates); a traceback stays as Python wrote it."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self._plain = logging.Formatter()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = kiosk_line(say(record.getMessage()))
            if record.exc_info:
                text += "\n" + self._plain.formatException(record.exc_info)
            print(text, file=sys.stderr, flush=True)
        except Exception:
            self.handleError(record)


def kiosk_line(said: str) -> str:
    """``kiosk: <said>``: a line ``kiosk run`` prints on stderr, in the language in use."""
    return _("kiosk: {note}").format(note=said)


def kiosk_language(config_path: Path) -> str:
    """The kiosk's ``ui.language``, known even when its config is wrong, so that ``kiosk run``
    can say what is wrong in it: read from the TOML as it is when the whole file does not
    load; the default (``zh_CN``) when the key is missing or not a language; English when
    the file cannot be read or is not TOML at all."""
    try:
        return load_config(config_path).ui.language
    except ConfigError:
        pass
    try:
        table = read_toml(Path(config_path).expanduser())
    except ConfigError:
        return "en"
    ui = table.get("ui")
    chosen = ui.get("language") if isinstance(ui, dict) else None
    try:
        return language_of(chosen) if isinstance(chosen, str) else UiConfig.language
    except ValueError:
        return UiConfig.language


def said_error(config_path: Path, error: Exception) -> str:
    """``kiosk: <error>``, the line ``kiosk run`` stops with, in the kiosk's language
    (``kiosk_language``); the language in use is left as it was."""
    with speaking(kiosk_language(config_path)):
        return kiosk_line(say_config_error(str(error)))


@contextlib.contextmanager
def said_in_kiosk_language(config_path: Path, language_name: str | None = None) -> Iterator[None]:
    """While ``kiosk run`` runs: messages in the kiosk's ``ui.language`` (or ``language_name``),
    the kiosk's log lines on stderr through ``NoteHandler``; both undone at the end."""
    handler = NoteHandler()
    logger = logging.getLogger("kiosk")
    with speaking(language_name or kiosk_language(config_path)):
        logger.addHandler(handler)
        try:
            yield
        finally:
            logger.removeHandler(handler)


def _open_frames(
    config: KioskConfig, source: str, *, realtime: bool, loop: bool = False, from_flag: bool = True
) -> Any:
    """Open the frame source; an error names where the source was given (flag or config key).
    It is in English, as every config error is; ``said_error`` says it in the kiosk's language."""
    from kiosk.adapters.camera import SourceError, open_source

    try:
        return open_source(source, config.camera, realtime=realtime, loop=loop)
    except SourceError as exc:
        where = f"--source {source}" if from_flag else f"{config.path}: camera.source = {source!r}"
        raise ConfigError(f"{where}: {exc}") from None


def _sync_loop(config: KioskConfig, judgement: Judgement, store: EntryStore) -> Any:
    if not config.server.url or not config.sync.enabled:
        return None
    from kiosk.adapters.identity import IdentityError, load_registered_identity
    from kiosk.adapters.sync import SyncClient, SyncLoop

    try:
        identity = load_registered_identity(config.identity_key)
    except IdentityError as exc:
        print(kiosk_line(say(str(exc))), file=sys.stderr)
        return FaultedSync(str(exc))
    client = SyncClient(config, store, identity, root_key=judgement.trust_state.root)
    return SyncLoop(client)


class FaultedSync:
    """Stands in for the sync loop when it cannot run; its status says why."""

    def __init__(self, message: str) -> None:
        from kiosk.adapters.sync import SyncStatus

        self._status = SyncStatus(online=False, last_error=message)

    def start(self) -> FaultedSync:
        return self

    def status(self) -> Any:
        return self._status

    def trigger(self) -> None:
        return None

    def stop(self, timeout: float = 10.0) -> None:
        del timeout

    def confirmed_skew(self) -> float | None:
        return None

    def set_on_lists(self, callback: Any) -> None:
        del callback


def build_service(
    config_path: Path,
    source: str | None,
    *,
    realtime: bool,
    loop: bool = False,
    ui_scanner: bool = False,
    frames: Any | None = None,
) -> KioskService:
    """The kiosk's service from its config.  With ``ui_scanner``, a keyboard-wedge
    source is the UI's scanner line (the terminal belongs to the UI), not stdin."""
    now = int(time.time())
    judgement = load_judgement(config_path, Overrides(), now=now)
    config = judgement.config
    assert config is not None
    spec = source or config.camera.source
    if not spec:
        raise ConfigError(f"{config.path}: no frame source: set camera.source or give --source")
    ensure_data_dir(config)
    store = EntryStore(config.data_dir / "entries.sqlite", kiosk_id=config.kiosk_id)
    state = judgement.trust_state  # a first start: the log exists only now
    remember_list_versions(
        config,
        trust=state.trust.version if state.trust else None,
        revocations=state.revocations.version if state.revocations else None,
    )
    sync = _sync_loop(config, judgement, store)
    from kiosk.adapters.camera import WEDGE_SPECS

    if ui_scanner and spec.strip().lower() in WEDGE_SPECS:
        return KioskService(config, judgement.context, store, source_name="scanner", sync=sync)
    if frames is None:
        frames = _open_frames(config, spec, realtime=realtime, loop=loop, from_flag=bool(source))
    from kiosk.adapters.qr import Cascade

    decoder = Cascade.from_config(config.camera, stills=frames.stills)

    def camera_stats() -> CameraStatus:
        stats = frames.stats()
        return CameraStatus(
            source=spec,
            connected=stats.connected,
            fps=round(stats.fps, 1),
            message=stats.error or stats.note or "",
        )

    return KioskService(
        config,
        judgement.context,
        store,
        frames=frames,
        source_name=spec,
        decoder=decoder,
        sync=sync,
        camera_stats=camera_stats,
    )


def run_headless(
    config_path: Path,
    source: str | None,
    *,
    expected: list[str] | None = None,
    as_json: bool = True,
    frames: Any | None = None,
    language: str | None = None,
) -> int:
    """Run until a finite source ends (or Ctrl+C), printing each logged decision.

    ``language`` (with ``as_json=False``): print each decision in the guard's words
    in that language ("zh_CN", "en"), as the screen shows it, instead of codes.
    Notes on stderr are in ``language``, else in the kiosk's ``ui.language``.
    """
    with said_in_kiosk_language(config_path, language):
        return _run_headless(config_path, source, expected, as_json, frames, language)


def _run_headless(
    config_path: Path,
    source: str | None,
    expected: list[str] | None,
    as_json: bool,
    frames: Any | None,
    language: str | None,
) -> int:
    service = build_service(config_path, source, realtime=False, frames=frames)
    words: Callable[[Any, str], str] | None = None
    if language is not None and not as_json:
        from kiosk.ui import lines

        offset = dt.timedelta(hours=service.context().policy.site.utc_offset_hours)
        site = dt.timezone(offset)

        def in_words(decision: Any, where: str) -> str:
            return "\n".join(lines.decision_words(decision, site, where))

        words = in_words

    verdicts: list[str] = []
    lock = threading.Lock()

    def show(event: KioskEvent) -> None:
        if isinstance(event, VisitEvent) and event.opened:
            visit = event.visit
            with lock:
                verdicts.append(visit.verdict.value)
                if as_json:
                    line = decision_json_line(
                        visit.decision,
                        entry_id=visit.visit_id,
                        recorded=visit.recorded,
                        frame_time_s=visit.frame_time_s,
                    )
                else:
                    where = (
                        f"{visit.frame_time_s or 0:.1f} s, logged"
                        if visit.recorded
                        else "NOT YET LOGGED (held until the log can be written)"
                    )
                    if words is not None:
                        where = (
                            _("{s} s, logged").format(s=f"{visit.frame_time_s or 0:.1f}")
                            if visit.recorded
                            else _("NOT YET LOGGED (held until the log can be written)")
                        )
                        line = words(visit.decision, where)
                    else:
                        line = "\n".join(decision_lines(visit.decision, where))
                print(line, flush=True)

    service.subscribe(show)
    service.start()
    try:
        service.wait_source_done()
        service.drain_backlog(timeout=15)
        status = service.status()
        print(
            json.dumps(
                {
                    "summary": {
                        "decisions": len(verdicts),
                        "logged": status.counters.visits,
                        "log_fault": status.log.fault,
                        "sync_online": status.sync.online,
                        "backlog": status.sync.backlog,
                        "expected": expected,
                        "got": verdicts,
                        "as_expected": expected == verdicts if expected is not None else None,
                    }
                }
            ),
            flush=True,
        )
    except KeyboardInterrupt:
        return 130
    finally:
        service.stop()
    return 0


def run_ui(
    config_path: Path,
    source: str | None,
    *,
    realtime: bool = True,
    loop: bool = False,
    frames: Any | None = None,
) -> int:
    with said_in_kiosk_language(config_path):
        return _run_ui(config_path, source, realtime, loop, frames)


def _run_ui(
    config_path: Path, source: str | None, realtime: bool, loop: bool, frames: Any | None
) -> int:
    from kiosk.ui.app import KioskApp

    service = build_service(
        config_path, source, realtime=realtime, loop=loop, ui_scanner=True, frames=frames
    )
    service.start()
    sound = None
    try:
        offset = dt.timedelta(hours=service.context().policy.site.utc_offset_hours)
        ui = service.config.ui
        app = KioskApp(
            service,
            bell=ui.bell,
            tz=dt.timezone(offset),
            verdict_hold_s=ui.verdict_hold_s,
            language=ui.language,
        )
        sound = _start_sound(service, app)
        app.run()
    finally:
        if sound is not None:
            sound.stop()
            if sound.status().note:  # logged while the UI had the terminal: say it again
                print(kiosk_line(say(sound.status().note)), file=sys.stderr)
        service.stop()
    return 0


def _start_sound(service: KioskService, app: Any) -> Any:
    """A tone (and, with ``sound.voice``, a prompt) for each new person; while it is heard
    the terminal bell is quiet, and it rings again when sound is off or failing."""
    from kiosk.adapters.sound import Sound

    config = service.config

    def bell_unless_heard(status: SoundStatus) -> None:
        app.bell_enabled = config.ui.bell and not status.audible
        app.show_sound(status)

    sound = Sound(config.sound, config.data_dir / "sound", on_status=bell_unless_heard)
    bell_unless_heard(sound.status())
    service.subscribe(sound.on_event)
    return sound.start()


def cmd_run(args: argparse.Namespace) -> int:
    if args.headless or not sys.stdout.isatty():
        return run_headless(args.config, args.source)
    return run_ui(args.config, args.source, realtime=True)


def register(subs: Any) -> None:
    p = subs.add_parser("run", help="run the kiosk: camera, judging, log, sync and the guard UI")
    p.add_argument("--config", type=Path, required=True, help="kiosk config file (TOML)")
    p.add_argument("--source", help="frame source (overrides camera.source)")
    p.add_argument("--headless", action="store_true", help="no UI: print decisions as JSON lines")
    p.set_defaults(func=cmd_run, said_error=said_error)
