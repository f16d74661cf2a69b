"""The service end to end on real parts: text frames -> decisions -> SQLite log -> events."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from kiosk.adapters.config import load_config
from kiosk.adapters.store import EntryStore
from kiosk.adapters.sync import SyncStatus
from kiosk.core.model import Verdict
from kiosk.core.pipeline import scan
from kiosk.port import ActionError, KioskEvent, VisitEvent
from kiosk.service import KioskService
from server_stub.issuer import Issuer, good_certificates
from tests.conftest import NOW, context_for
from tests.integration.text_frames import TextFrame, TextStream


def _config(tmp_path: Path):
    path = tmp_path / "kiosk.toml"
    path.write_text(
        'kiosk_id = "gate-test"\ndata_dir = "var"\n[trust]\nroot_key = "root.pub.pem"\n[sync]\nenabled = false\n'
    )
    return load_config(path)


def _service(tmp_path: Path, issuer: Issuer, frames, **kw) -> tuple[KioskService, list[KioskEvent]]:
    config = _config(tmp_path)
    config.data_dir.mkdir(parents=True, exist_ok=True)
    store = EntryStore(config.data_dir / "entries.sqlite", kiosk_id=config.kiosk_id)
    events: list[KioskEvent] = []
    service = KioskService(
        config,
        context_for(issuer),
        store,
        frames=TextStream(frames) if frames is not None else None,
        source_name="test",
        clock=lambda: float(NOW),
        **kw,
    )
    service.subscribe(events.append)
    return service, events


def test_each_person_is_one_logged_decision(tmp_path: Path, issuer: Issuer) -> None:
    good = good_certificates(NOW)
    a = issuer.mint(name="Wang *ming", now=NOW - 60, **good)
    b = issuer.mint(name="Chen *gang", now=NOW - 60, colour="R", **good)
    frames = [TextFrame(a, i / 30, i) for i in range(60)] + [
        TextFrame(b, 4 + i / 30, 200 + i) for i in range(60)
    ]
    frames += [
        TextFrame(a, 10 + i / 30, 400 + i) for i in range(30)
    ]  # the first code again: a screenshot
    service, events = _service(tmp_path, issuer, frames)
    service.start()
    assert service.wait_source_done(timeout=20)
    service.stop()
    decisions = [e.visit for e in events if isinstance(e, VisitEvent) and e.opened]
    assert [d.verdict for d in decisions] == [Verdict.ALLOW, Verdict.DENY, Verdict.REVIEW]
    assert "SHARED_CODE" in decisions[2].decision.reason_codes
    assert all(d.recorded and d.visit_id for d in decisions)
    assert [r.name for r in service.recent(10)][::-1] == ["Wang *ming", "Chen *gang", "Wang *ming"]
    assert service.store.verify_chain().ok


def test_guard_actions_are_logged(tmp_path: Path, issuer: Issuer) -> None:
    good = good_certificates(NOW)
    text = issuer.mint(name="Sun *yan", now=NOW - 60, colour="Y", **good)
    service, events = _service(tmp_path, issuer, None)
    done = threading.Event()
    service.subscribe(lambda e: done.set() if isinstance(e, VisitEvent) else None)
    service.start()
    service.submit_text(text)
    assert done.wait(10)
    event = next(e for e in events if isinstance(e, VisitEvent))
    visit_id = event.visit.visit_id
    assert event.visit.verdict is Verdict.REVIEW
    with pytest.raises(ActionError):
        service.override(visit_id, Verdict.ALLOW, "   ")
    hot = service.observe(visit_id, temperature_c=38.0)
    assert hot.verdict is Verdict.DENY and "TEMPERATURE_HIGH" in hot.decision.reason_codes
    with pytest.raises(ActionError, match="TEMPERATURE_HIGH"):
        service.override(visit_id, Verdict.ALLOW, "yellow code checked with the health office")
    again = service.observe(visit_id, temperature_c=36.7)  # measured again: no fever
    assert "TEMPERATURE_HIGH" not in again.decision.reason_codes
    approved = service.override(visit_id, Verdict.ALLOW, "yellow code checked with the office")
    assert approved.verdict is Verdict.ALLOW and approved.recorded
    service.stop()
    entries = service.store.visit_entries(visit_id)
    assert [e.kind.value for e in entries] == ["scan", "observation", "observation", "override"]
    assert [e.verdict for e in entries] == ["REVIEW", "DENY", "REVIEW", "ALLOW"]
    assert [r.kind for r in service.recent(10)] == ["visit"]
    counters = service.status().counters
    assert (counters.visits, counters.allowed, counters.overruled) == (1, 1, 1)


class ConfirmedSync:
    """A sync loop whose last signed server time put the kiosk clock ``skew`` s off."""

    def __init__(self, skew: float | None) -> None:
        self.skew = skew

    def set_on_lists(self, callback: object) -> None:
        pass

    def confirmed_skew(self) -> float | None:
        return self.skew

    def status(self) -> SyncStatus:
        return SyncStatus()

    def start(self) -> None:
        pass

    def stop(self, timeout: float = 0) -> None:
        pass

    def trigger(self) -> None:
        pass


@pytest.mark.parametrize("skew", [None, 29 * 86400.0])
def test_purge_waits_for_a_clock_the_server_confirmed(
    tmp_path: Path, issuer: Issuer, skew: float | None
) -> None:
    """Unconfirmed, or confirmed 29 days off: acknowledged entries stay."""
    service, _ = _service(tmp_path, issuer, None, sync=ConfirmedSync(skew))
    store = service.store
    text = issuer.mint(name="Old *one", now=NOW - 60, **good_certificates(NOW))
    decision = scan(text, context_for(issuer), NOW)
    old = NOW - 40 * 86400
    sent = [store.record_decision(decision, at_ms=(old + i) * 1000) for i in range(3)]
    store.mark_sent([e.id for e in sent], batch_id="b1", acked_at_ms=old * 1000)
    assert service.purge() == 0
    assert len(store.recent(10)) == 3


def test_purge_keeps_unsent_and_recent_entries(tmp_path: Path, issuer: Issuer) -> None:
    service, _ = _service(tmp_path, issuer, None, sync=ConfirmedSync(0.4))
    store = service.store
    old = NOW - 40 * 86400
    text = issuer.mint(name="Old *one", now=NOW - 60, **good_certificates(NOW))
    decision = scan(text, context_for(issuer), NOW)
    sent = [store.record_decision(decision, at_ms=(old + i) * 1000) for i in range(3)]
    store.mark_sent([e.id for e in sent[:2]], batch_id="b1", acked_at_ms=old * 1000)
    store.record_decision(decision, at_ms=NOW * 1000)
    assert service.purge() == 2
    assert store.backlog() == 2
    assert store.verify_chain().ok


def test_a_clock_that_went_backwards_is_flagged(tmp_path: Path, issuer: Issuer) -> None:
    good = good_certificates(NOW)
    config = _config(tmp_path)
    config.data_dir.mkdir(parents=True, exist_ok=True)
    store = EntryStore(config.data_dir / "entries.sqlite", kiosk_id=config.kiosk_id)
    clock = [float(NOW)]
    service = KioskService(config, context_for(issuer), store, clock=lambda: clock[0])
    events: list[KioskEvent] = []
    done = threading.Event()
    service.subscribe(
        lambda e: (events.append(e), done.set()) if isinstance(e, VisitEvent) and e.opened else None
    )
    service.start()
    try:
        service.submit_text(issuer.mint(name="Early *bird", now=NOW - 60, **good))
        assert done.wait(10)
        done.clear()
        clock[0] = NOW - 3600.0  # someone set the kiosk clock back an hour
        service.submit_text(issuer.mint(name="Late *comer", now=NOW - 3660, **good))
        assert done.wait(10)
    finally:
        service.stop()
    first, second = (e.visit.decision for e in events if isinstance(e, VisitEvent))
    assert "CLOCK_BACKWARDS" not in first.reason_codes
    assert "CLOCK_BACKWARDS" in second.reason_codes
    assert second.verdict is Verdict.REVIEW
