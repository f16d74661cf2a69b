"""`kiosk run` wires the sound to the real service: one sound per new person, in order;
a player that hangs never holds the scan loop; the terminal bell rings only when no
sound is heard."""

from __future__ import annotations

import stat
from pathlib import Path
from types import SimpleNamespace

from kiosk.adapters.config import load_config
from kiosk.adapters.store import EntryStore
from kiosk.commands.run import _start_sound
from kiosk.core.model import Verdict
from kiosk.port import KioskEvent, VisitEvent
from kiosk.service import KioskService
from server_stub.issuer import Issuer, good_certificates
from tests.conftest import NOW, context_for
from tests.integration.text_frames import TextFrame, TextStream
from tests.waiting import wait_for


def _player(tmp_path: Path, *, held: bool) -> tuple[Path, Path, Path]:
    played, release = tmp_path / "played.txt", tmp_path / "release"
    script = tmp_path / "player"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$1" >> "{played}"\n'
        "n=0\n"
        f'while [ ! -e "{release}" ] && [ $n -lt 2000 ]; do sleep 0.01; n=$((n+1)); done\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    if not held:
        release.touch()
    return script, played, release


def _frames(issuer: Issuer) -> list[TextFrame]:
    good = good_certificates(NOW)
    a = issuer.mint(name="Wang *ming", now=NOW - 60, **good)
    b = issuer.mint(name="Chen *gang", now=NOW - 60, colour="R", **good)
    frames = [TextFrame(a, i / 30, i) for i in range(30)]
    frames += [TextFrame(b, 4 + i / 30, 200 + i) for i in range(30)]
    frames += [TextFrame(a, 10 + i / 30, 400 + i) for i in range(30)]  # a screenshot: REVIEW
    return frames


def _service(tmp_path: Path, issuer: Issuer, sound: str) -> tuple[KioskService, list[KioskEvent]]:
    path = tmp_path / "kiosk.toml"
    path.write_text(
        'kiosk_id = "gate-test"\ndata_dir = "var"\n[trust]\nroot_key = "root.pub.pem"\n'
        f"[sync]\nenabled = false\n[sound]\n{sound}\n"
    )
    config = load_config(path)
    config.data_dir.mkdir(parents=True, exist_ok=True)
    store = EntryStore(config.data_dir / "entries.sqlite", kiosk_id=config.kiosk_id)
    service = KioskService(
        config,
        context_for(issuer),
        store,
        frames=TextStream(_frames(issuer)),
        source_name="test",
        clock=lambda: float(NOW),
    )
    events: list[KioskEvent] = []
    service.subscribe(events.append)
    return service, events


def test_each_new_person_is_heard_once_in_order_and_the_bell_stays_quiet(
    tmp_path: Path, issuer: Issuer
) -> None:
    script, _, _ = _player(tmp_path, held=False)
    service, events = _service(tmp_path, issuer, f'player = "{script}"')
    app = SimpleNamespace(bell_enabled=True, show_sound=lambda _status: None)
    sound = _start_sound(service, app)
    try:
        assert app.bell_enabled is False  # a tone is heard instead
        service.start()
        assert service.wait_source_done(timeout=20)
        # Three people in well under a second: a sound still waiting when two newer ones
        # come is dropped (the queue holds 2); the last person is always heard.
        assert wait_for(lambda: len(sound.played) + sound.dropped == 3)
        opened = [e.visit.verdict for e in events if isinstance(e, VisitEvent) and e.opened]
        assert opened == [Verdict.ALLOW, Verdict.DENY, Verdict.REVIEW]
        assert sound.played[-1] is Verdict.REVIEW
        heard = iter(opened)
        assert all(v in heard for v in sound.played)  # in order, none twice
    finally:
        sound.stop()
        service.stop()


def test_a_player_that_hangs_never_holds_the_scan_loop(tmp_path: Path, issuer: Issuer) -> None:
    script, played, release = _player(tmp_path, held=True)
    service, events = _service(tmp_path, issuer, f'player = "{script}"')
    app = SimpleNamespace(bell_enabled=True, show_sound=lambda _status: None)
    sound = _start_sound(service, app)
    try:
        assert app.bell_enabled is False  # the probe is held: a tone is expected, not the bell
        service.start()
        assert service.wait_source_done(timeout=20)
        assert wait_for(lambda: sum(isinstance(e, VisitEvent) and e.opened for e in events) == 3)
        # All three people judged and logged while the first sound (the probe) is still held.
        assert not release.exists() and len(played.read_text().splitlines()) == 1
        assert [r.name for r in service.recent(10)][::-1] == [
            "Wang *ming",
            "Chen *gang",
            "Wang *ming",
        ]
    finally:
        release.touch()
        sound.stop()
        service.stop()


def test_without_a_player_the_bell_rings_and_nothing_fails(tmp_path: Path, issuer: Issuer) -> None:
    service, events = _service(tmp_path, issuer, 'player = "none"')
    told: list[object] = []
    app = SimpleNamespace(bell_enabled=False, show_sound=told.append)
    sound = _start_sound(service, app)
    try:
        assert app.bell_enabled is True
        assert sound.status().note == "sound: player = none; off"
        assert told == [sound.status()]  # the screen's status bar says why it is silent
        service.start()
        assert service.wait_source_done(timeout=20)
        assert wait_for(lambda: sum(isinstance(e, VisitEvent) and e.opened for e in events) == 3)
        assert sound.played == []
    finally:
        sound.stop()
        service.stop()


def test_a_failing_device_gives_the_bell_back(tmp_path: Path, issuer: Issuer) -> None:
    script = tmp_path / "broken"
    script.write_text("#!/bin/sh\necho 'no soundcards found' >&2\nexit 1\n")
    script.chmod(0o755)
    service, _ = _service(tmp_path, issuer, f'player = "{script}"')
    app = SimpleNamespace(bell_enabled=True, show_sound=lambda _status: None)
    sound = _start_sound(service, app)
    try:
        # (the bell is off only while the probe runs, which may already be over here)
        assert sound.wait_idle(10)  # the silent probe at start failed
        assert app.bell_enabled is True
        assert "no soundcards found" in sound.status().note
    finally:
        sound.stop()
        service.stop()
