"""Several codes in view: a venue's QR poster beside the phone, a family's codes on one phone.

Every frame here is a real file: PNGs written and read back, a video written with
OpenCV and read back frame by frame, judged by the kiosk's decoder and scan loop.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from kiosk.adapters.camera import Frame, VideoFileSource, read_image
from kiosk.adapters.qr import Cascade, decode_frame
from kiosk.core.model import Colour
from kiosk.core.replay import ReplayGuard, ReplayRules
from kiosk.scan_loop import ScanLoop
from kiosk_demo.footage import (
    POSTER_TEXT,
    Person,
    render_family_still,
    render_poster_still,
    write_video,
)
from server_stub.issuer import Issuer, good_certificates
from tests.conftest import NOW, context_for

SIZE = (1280, 720)


def _mint(issuer: Issuer, name: str, colour: Colour = Colour.GREEN) -> str:
    return issuer.mint(
        alg="ES256", name=name, now=NOW - 30, validity_s=3600, colour=colour,
        **good_certificates(NOW),
    )  # fmt: skip


def _loop(issuer: Issuer, *, stills: bool = False) -> ScanLoop:
    context = context_for(issuer)
    return ScanLoop(
        Cascade(noise_every=1 if stills else 10, stills=stills),
        lambda: context,
        ReplayGuard(ReplayRules()),
        now=lambda _t: NOW,
        confirm_other=not stills,
    )


def _png(tmp_path: Path, name: str, image: np.ndarray) -> np.ndarray:
    path = tmp_path / name
    assert cv2.imwrite(str(path), image)
    return read_image(path)


def _judged(loop: ScanLoop, images: list[np.ndarray], fps: float = 30.0) -> list[tuple[int, str, str]]:  # fmt: skip
    """(frame, holder's name, verdict) of every decision, in order."""
    out = []
    for i, image in enumerate(images):
        for made in loop.process_frame(Frame(image, i / fps, i, "test"), "test"):
            out.append((i, made.decision.name, made.decision.verdict.value))
    return out


@pytest.mark.parametrize("stills", [False, True])
def test_a_frame_with_a_poster_and_a_phone_gives_exactly_the_phones_decision(
    issuer: Issuer, tmp_path: Path, stills: bool
) -> None:
    text = _mint(issuer, "Poster *pass", Colour.RED)
    image = _png(tmp_path, "poster.png", render_poster_still(text, SIZE, np.random.default_rng(4)))
    assert {r.text for r in decode_frame(image, "zxing-rescue")} == {POSTER_TEXT, text}
    frames = [image] * (1 if stills else 45)  # a stream: the same scene for 1.5 s
    assert _judged(_loop(issuer, stills=stills), frames) == [(0, "Poster *pass", "DENY")]


def test_a_poster_alone_on_the_wall_is_never_judged(issuer: Issuer, tmp_path: Path) -> None:
    image = _png(tmp_path, "poster.png", render_poster_still("x", SIZE, np.random.default_rng(4)))
    wall = image.copy()
    wall[:, 400:] = image[:, 400:].mean(axis=(0, 1)).astype(np.uint8)  # the phone out of view
    assert [r.text for r in decode_frame(wall, "zxing-rescue")] == [POSTER_TEXT]
    loop = _loop(issuer)
    assert _judged(loop, [wall] * 90) == []
    assert loop.stats.unconfirmed == 90  # read on every frame, never taken for a presentation


def test_a_screen_with_three_codes_gives_three_decisions_left_to_right(
    issuer: Issuer, tmp_path: Path
) -> None:
    texts = [
        _mint(issuer, "Parent *one"),
        _mint(issuer, "Child *two", Colour.YELLOW),
        _mint(issuer, "Elder *three", Colour.RED),
    ]
    for seed in (1, 2):
        image = _png(tmp_path, "family.png", render_family_still(texts, SIZE, np.random.default_rng(seed)))  # fmt: skip
        assert [r.text for r in decode_frame(image, "zxing-rescue")] == texts
        expected = [
            (0, "Parent *one", "ALLOW"),
            (0, "Child *two", "REVIEW"),
            (0, "Elder *three", "DENY"),
        ]
        assert _judged(_loop(issuer), [image] * 30) == expected
        assert _judged(_loop(issuer, stills=True), [image]) == expected


def test_a_walk_up_video_with_a_poster_and_a_family_gives_one_decision_per_code(
    issuer: Issuer, tmp_path: Path
) -> None:
    """People walk up while a venue poster hangs in view: one decision per person and per
    family member, in the order they stand on the screen, every verdict right."""
    family = (_mint(issuer, "Kid *a", Colour.YELLOW), _mint(issuer, "Gran *b"))
    people = [
        (Person(_mint(issuer, "Walker *1"), 1.0), ["ALLOW"]),
        (Person(_mint(issuer, "Parent *2"), 1.2, family=family), ["ALLOW", "REVIEW", "ALLOW"]),
        (Person(_mint(issuer, "Walker *3", Colour.RED), 1.0), ["DENY"]),
    ]
    manifest = write_video(
        tmp_path, [p for p, _ in people], 3, size=SIZE, fps=25.0, exposure_ms=2.0,
        poster=POSTER_TEXT,
    )  # fmt: skip
    with VideoFileSource(tmp_path / manifest.file) as source:
        images = [item.image for item in source if isinstance(item, Frame)]
    assert len(images) == manifest.frames
    assert {r.text for r in decode_frame(images[0], "zxing-rescue")} == {POSTER_TEXT}
    made = _judged(_loop(issuer), images, fps=25.0)
    names = [
        ["Walker *1"],
        ["Parent *2", "Kid *a", "Gran *b"],
        ["Walker *3"],
    ]
    got = []
    for span, (_, verdicts), who in zip(manifest.people, people, names, strict=True):
        mine = [(n, v) for f, n, v in made if span.first_frame <= f <= span.last_frame]
        assert sorted(mine) == sorted(zip(who, verdicts, strict=True)), span.person
        got += mine
    assert len(got) == len(made)  # nothing judged while nobody was there: not the poster
