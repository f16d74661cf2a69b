"""The scan loop: other texts wait for a second frame; health codes and stills do not."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from kiosk.core.pipeline import ScanContext
from kiosk.core.policy import DEFAULT_POLICY
from kiosk.core.replay import ReplayGuard, ReplayRules
from kiosk.scan_loop import FIXTURE_S, OTHER_TEXT_MEMORY, ScanLoop


@dataclass(frozen=True)
class _Read:
    text: str


@dataclass(frozen=True)
class _Frame:
    image: Any  # the texts "seen" in this frame
    t: float
    index: int


def _loop(*, confirm_other: bool = True) -> ScanLoop:
    context = ScanContext(DEFAULT_POLICY, None, None)
    return ScanLoop(
        lambda texts: [_Read(t) for t in texts],
        lambda: context,
        ReplayGuard(ReplayRules(presentation_gap_s=1.5)),
        now=lambda _t: 1_800_000_000,
        confirm_other=confirm_other,
    )


def _run(loop: ScanLoop, frames: list[list[str]], fps: float = 30.0) -> list[tuple[int, str]]:
    out = []
    for i, texts in enumerate(frames):
        for made in loop.process_frame(_Frame(texts, i / fps, i)):
            out.append((made.frame_index, made.decision.reasons[0].code.value))
    return out


def test_a_foreign_code_held_up_is_judged_on_its_second_frame() -> None:
    loop = _loop()
    assert _run(loop, [[], ["WIFI:S:lobby;;"], ["WIFI:S:lobby;;"], ["WIFI:S:lobby;;"]]) == [
        (2, "BAD_PREFIX")
    ]


def test_a_phantom_read_on_one_frame_is_never_judged() -> None:
    loop = _loop()
    frames = [["8128"], [], [], ["0417"], *([[]] * 60), ["8128"]]  # 2 s later: not a second frame
    assert _run(loop, frames) == []
    assert loop.stats.unconfirmed == 3


def test_two_symbols_with_the_same_text_in_one_frame_are_not_two_frames() -> None:
    assert _run(_loop(), [["8128", "8128"]]) == []


def test_health_codes_are_judged_on_their_first_frame() -> None:
    made = _run(_loop(), [["HCK1:NOT-BASE45"]])
    assert made == [(0, "BASE45_INVALID")]


def test_stills_judge_every_foreign_code_at_once() -> None:
    assert _run(_loop(confirm_other=False), [["8128"]]) == [(0, "BAD_PREFIX")]


def test_scanned_texts_are_judged_at_once() -> None:
    made = _loop().process_text("WIFI:S:lobby;;", 0.0)
    assert made is not None and made.decision.reasons[0].code.value == "BAD_PREFIX"


@pytest.mark.parametrize("count", [OTHER_TEXT_MEMORY * 3])
def test_waiting_foreign_texts_are_bounded(count: int) -> None:
    loop = _loop()
    _run(loop, [[f"junk {i}"] for i in range(count)], fps=1000.0)
    assert len(loop._other) <= OTHER_TEXT_MEMORY


def test_a_foreign_text_read_again_is_the_last_to_be_forgotten() -> None:
    loop = _loop()
    frames: list[list[str]] = [["keep"]]
    frames += [[f"junk {i}"] for i in range(OTHER_TEXT_MEMORY // 2)]
    frames += [["keep"]]  # confirmed and judged here; now the newest entry
    frames += [[f"junk {i}"] for i in range(OTHER_TEXT_MEMORY // 2, OTHER_TEXT_MEMORY + 8)]
    made = _run(loop, frames, fps=1000.0)
    assert made == [(OTHER_TEXT_MEMORY // 2 + 1, "BAD_PREFIX")]
    assert "keep" in loop._other


@dataclass(frozen=True)
class _Placed:
    text: str
    corners: tuple[tuple[int, int], ...]


def _placed_loop() -> ScanLoop:
    context = ScanContext(DEFAULT_POLICY, None, None)
    return ScanLoop(
        lambda reads: reads,
        lambda: context,
        ReplayGuard(ReplayRules(presentation_gap_s=1.5)),
        now=lambda _t: 1_800_000_000,
    )


def _square(x: int, y: int, side: int = 100) -> tuple[tuple[int, int], ...]:
    return ((x, y), (x + side, y), (x + side, y + side), (x, y + side))


def test_a_foreign_symbol_fixed_on_the_wall_is_never_judged_one_held_up_is() -> None:
    loop = _placed_loop()
    poster = [[_Placed("VENUE", _square(20 + i % 2, 30))] for i in range(90)]  # 1 px jitter
    assert _run(loop, poster) == []
    held = [[_Placed("WIFI:S:lobby;;", _square(600, 700 - 40 * i))] for i in range(6)]
    assert _run(loop, held) == [(1, "BAD_PREFIX")]


def test_a_foreign_text_beside_a_health_code_is_not_judged_every_health_code_is() -> None:
    loop = _placed_loop()
    frames = [
        [_Placed("VENUE", _square(0, 0 + 30 * i)), _Placed("HCK1:A", _square(300, 300))]
        for i in range(5)  # even a moving other code: the health code is the one presented
    ]
    frames[2].append(_Placed("HCK1:B", _square(500, 300)))
    assert _run(loop, frames) == [(0, "BASE45_INVALID"), (2, "BASE45_INVALID")]


def test_a_still_foreign_code_is_judged_when_it_goes_unless_it_stayed_like_a_poster() -> None:
    loop = _placed_loop()
    photo = [[_Placed("WIFI:S:lobby;;", _square(300, 200))]] * 8  # on a stand for 0.27 s
    poster = [[_Placed("VENUE", _square(20, 30))]] * int(30 * FIXTURE_S + 30)
    frames = photo + [[]] * 60 + poster + [[]] * 60 + poster[:30] + [[]] * 60
    assert _run(loop, frames) == [(8 + 45, "BAD_PREFIX")]  # the gap after it left, only it
