"""The screen tells the truth: idle line, camera dot, offline since when, sync outcome,
the clock's zone, quitting with entries to send, and keys with Caps Lock on."""

from __future__ import annotations

import dataclasses
import datetime as dt

from textual.pilot import Pilot

from kiosk.port import CameraStatus, StatusEvent
from kiosk.ui import lines
from kiosk.ui.screens import ReasonDialog
from kiosk.ui.widgets import StatusBar
from tests.ui import samples
from tests.ui.drive import deliver, drive, make_app, settle


def toasts(app) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(str(t.render()) for t in app.screen.query("Toast"))


def test_the_idle_line_and_the_camera_dot_follow_the_camera() -> None:
    assert lines.idle_hint(CameraStatus(scanner_only=True)).startswith("scan the health code")
    assert "paused" in lines.idle_hint(CameraStatus(connected=True, paused=True))
    assert "not connected" in lines.idle_hint(CameraStatus(connected=False))
    assert lines.camera_text(CameraStatus(scanner_only=True)).plain == "Scanner only (no camera)"
    assert lines.camera_text(CameraStatus(connected=True, fps=0.0)).plain == "Camera ○ no frames"
    assert lines.camera_text(CameraStatus(connected=True, fps=14.8)).plain == "Camera ● 14.8 fps"
    app, port = make_app()

    async def script(pilot: Pilot[None]) -> None:
        status = dataclasses.replace(samples.status(), camera=CameraStatus(scanner_only=True))
        await deliver(pilot, port, StatusEvent(status))
        assert "scan the health code with the hand scanner" in app.verdict_text.plain
        assert "Scanner only" in app.query_one(StatusBar).plain

    drive(app, script)


def test_offline_says_since_when_and_why_and_the_clock_its_zone() -> None:
    sync = samples.status(online=False).sync
    text = lines.sync_text(sync, samples.NOW, samples.SITE).plain
    assert text == "Sync ✗ OFFLINE since 13:00:00 (connection refused), 17 waiting"
    clock = lines.clock_text(samples.status().clock, samples.NOW, samples.SITE).plain
    assert clock == "Clock 16:00:00 UTC+8"
    assert lines.zone_label(dt.timezone(dt.timedelta(hours=-3, minutes=-30)), 0) == "UTC-3:30"


def test_sync_key_reports_how_the_round_went() -> None:
    app, port = make_app()

    async def script(pilot: Pilot[None]) -> None:
        before = samples.status()
        after = dataclasses.replace(
            before,
            sync=dataclasses.replace(before.sync, last_success_ms=(samples.NOW + 5) * 1000),
        )
        port.kiosk_status = after  # the round the key started has come back
        await pilot.press("s")
        for _ in range(100):
            await settle(pilot)
            if "Sync done" in toasts(app):
                break
        assert ("sync_now",) in port.actions
        assert "Sync done" in toasts(app)

    drive(app, script)


def test_quit_with_entries_waiting_says_so_and_sends_them_first() -> None:
    app, port = make_app()

    async def script(pilot: Pilot[None]) -> None:
        await deliver(pilot, port, StatusEvent(samples.status(online=False)))
        await pilot.press("q")
        await pilot.pause()
        assert "Stopping: sending 17 entries" in toasts(app)
        for _ in range(100):
            await settle(pilot)
            if any(a[0] == "drain_backlog" for a in port.actions):
                break
        assert any(a[0] == "drain_backlog" for a in port.actions)

    drive(app, script)


def test_keys_work_with_caps_lock_on() -> None:
    app, port = make_app()

    async def script(pilot: Pilot[None]) -> None:
        await deliver(pilot, port, samples.event(samples.review(), "e7"))
        await pilot.press("M")
        await settle(pilot)
        assert ("observe", "e7", None, True) in port.actions, "M is mask confirmed, as m"
        await pilot.press("A")
        await settle(pilot)
        assert isinstance(app.screen, ReasonDialog)

    drive(app, script)
