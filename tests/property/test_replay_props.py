"""Properties of the replay rules over random streams of sightings."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.core.replay import ReplayGuard, ReplayRules, Sighting

RULES = ReplayRules(
    presentation_gap_s=1.5, hold_s=5, repeat_review_s=600, shared_window_s=1800, max_tracked=50
)

streams = st.lists(
    st.tuples(st.sampled_from("ABCDE"), st.floats(0.0, 3.0, allow_nan=False)),
    min_size=1,
    max_size=200,
)


def run(stream: list[tuple[str, float]]) -> list[tuple[str, float, object]]:
    guard = ReplayGuard(RULES)
    t = 0.0
    out = []
    for text, step in stream:
        t += step
        if guard.sighting(text, t) is not None:
            out.append((text, t, Sighting.SAME_PRESENTATION))
            continue
        outcome = guard.decided(text, f"holder-{text}", t)
        out.append((text, t, outcome))
    return out


@settings(max_examples=300, deadline=None)
@given(streams)
def test_a_code_seen_continuously_is_decided_once(stream: list[tuple[str, float]]) -> None:
    """Between two decisions of one text there is a gap longer than the presentation gap."""
    last_seen: dict[str, float] = {}
    for text, t, outcome in run(stream):
        if outcome is not Sighting.SAME_PRESENTATION and text in last_seen:
            assert t - last_seen[text] > RULES.presentation_gap_s
        last_seen[text] = t


@settings(max_examples=300, deadline=None)
@given(streams)
def test_a_code_back_after_a_gap_is_never_silently_admitted(
    stream: list[tuple[str, float]],
) -> None:
    """A text that made a decision and comes back after the phone left is flagged, not dropped."""
    decided: set[str] = set()
    for text, _t, outcome in run(stream):
        if outcome is Sighting.SAME_PRESENTATION:
            continue
        assert outcome.sighting is Sighting.NEW  # same text, same holder: never a silent HOLD
        if text in decided:
            assert [r.code.value for r in outcome.reasons] == ["SHARED_CODE"]
        else:
            assert outcome.reasons == ()
        decided.add(text)
