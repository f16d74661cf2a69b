"""Replay rules: one decision per presentation, holds, passback, shared screenshots."""

from __future__ import annotations

from kiosk.core.replay import ReplayGuard, ReplayRules, Sighting

RULES = ReplayRules(presentation_gap_s=1.5, hold_s=5, repeat_review_s=600, shared_window_s=1800)


def present(guard: ReplayGuard, text: str, holder: str, t: float):
    if guard.sighting(text, t) is not None:
        return None
    return guard.decided(text, holder, t)


def test_consecutive_frames_are_one_presentation() -> None:
    g = ReplayGuard(RULES)
    first = present(g, "A", "h1", 0.0)
    assert first is not None and first.sighting is Sighting.NEW and first.reasons == ()
    for i in range(1, 60):
        assert present(g, "A", "h1", i / 30) is None
    assert present(g, "A", "h1", 59 / 30 + 1.4) is None  # within the gap: still the same phone


def test_refreshed_code_of_the_same_holder_within_hold_is_not_a_new_entry() -> None:
    g = ReplayGuard(RULES)
    present(g, "A", "h1", 0.0)
    out = present(g, "B", "h1", 4.0)
    assert out is not None and out.sighting is Sighting.HOLD


def test_same_holder_later_is_flagged_passback() -> None:
    g = ReplayGuard(RULES)
    present(g, "A", "h1", 0.0)
    out = present(g, "B", "h1", 120.0)
    assert out is not None and out.sighting is Sighting.NEW
    assert [r.code.value for r in out.reasons] == ["PASSBACK"]
    out = present(g, "C", "h1", 120.0 + 601)
    assert out is not None and out.reasons == ()


def test_same_code_after_the_phone_left_is_a_shared_screenshot() -> None:
    g = ReplayGuard(RULES)
    present(g, "A", "h1", 0.0)
    assert present(g, "A", "h1", 1.0) is None
    out = present(g, "A", "h1", 3.0)  # 2 s gap: another phone showing the same code
    assert out is not None and out.sighting is Sighting.NEW
    assert [r.code.value for r in out.reasons] == ["SHARED_CODE"]


def test_unverified_codes_are_still_one_decision_per_presentation() -> None:
    g = ReplayGuard(RULES)
    assert present(g, "garbage", "", 0.0) is not None
    assert present(g, "garbage", "", 0.5) is None


def test_memory_is_bounded() -> None:
    g = ReplayGuard(ReplayRules(max_tracked=100))
    for i in range(1000):
        present(g, f"T{i}", f"h{i}", float(i) * 10)
    assert len(g._texts) <= 100 and len(g._holders) <= 100
