"""The footage generator: reproducible, labelled, decodable, and videos that read back."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import qrcode.constants
import qrcode.util

from kiosk.adapters.qr import decode_frame
from kiosk.core import base45
from kiosk_demo.footage import (
    CATEGORIES,
    VIDEO_FOURCC,
    Person,
    main,
    qr_symbol,
    read_manifest,
    render_frames,
    sample_texts,
    write_frames,
    write_video,
)

SMALL = (320, 240)


def test_sample_texts_are_seeded_base45_health_code_texts() -> None:
    texts = sample_texts(5, seed=9)
    assert texts == sample_texts(5, seed=9)
    assert texts != sample_texts(5, seed=10)
    for text in texts:
        assert text.startswith("HCK1:")
        assert 260 <= len(text) <= 380
        base45.decode(text[5:])


def test_codes_are_alphanumeric_mode_with_error_correction_m() -> None:
    qr = qr_symbol(sample_texts(1, seed=1)[0])
    assert qr.error_correction == qrcode.constants.ERROR_CORRECT_M
    assert [d.mode for d in qr.data_list] == [qrcode.util.MODE_ALPHA_NUM]
    assert [d.mode for d in qr_symbol("lower case").data_list] == [qrcode.util.MODE_8BIT_BYTE]


def test_frames_are_reproducible_from_seed_and_index() -> None:
    a = [img for img, _ in render_frames(4, seed=2, sizes=[SMALL])]
    b = [img for img, _ in render_frames(4, seed=2, sizes=[SMALL])]
    c = [img for img, _ in render_frames(4, seed=3, sizes=[SMALL])]
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.array_equal(a[0], c[0])


def test_every_category_and_size_is_labelled() -> None:
    count = 2 * len(CATEGORIES)
    labels = [label for _, label in render_frames(count, seed=1, sizes=[SMALL, (400, 300)])]
    assert {lab.category for lab in labels} == set(CATEGORIES)
    assert {lab.size for lab in labels} == {"320x240", "400x300"}
    for lab in labels:
        assert (lab.text is None) == (lab.category == "empty")


def test_write_frames_writes_pngs_and_a_manifest_zxing_reads(tmp_path: Path) -> None:
    texts = ["HCK1:" + "ABC123" * 40, "HCK1:" + "XYZ789" * 45]
    categories = ["plain", "dark", "close", "empty"]
    labels = write_frames(
        tmp_path, 8, seed=5, sizes=[(640, 480)], texts=texts, categories=categories
    )
    rows = read_manifest(tmp_path / "manifest.jsonl")
    assert [r["file"] for r in rows] == [lab.file for lab in labels]
    assert set(rows[0]) == {"file", "text", "category", "size"}
    for row in rows:
        image = cv2.imread(str(tmp_path / str(row["file"])))
        assert image.shape == (480, 640, 3)
        reads = [r.text for r in decode_frame(image)]
        assert reads == ([] if row["text"] is None else [row["text"]]), row


@pytest.mark.parametrize("name", sorted(f"clip{suffix}" for suffix in VIDEO_FOURCC))
def test_videos_read_back_frame_for_frame_with_people_where_the_manifest_says(
    tmp_path: Path, name: str
) -> None:
    people = [Person(t, 0.4) for t in sample_texts(2, seed=8)]
    manifest = write_video(tmp_path, people, seed=8, size=SMALL, fps=20, name=name)
    capture = cv2.VideoCapture(str(tmp_path / name))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    assert len(frames) == manifest.frames
    assert frames[0].shape == (240, 320, 3)
    assert capture.get(cv2.CAP_PROP_FPS) == pytest.approx(20)
    spans = manifest.people
    assert [s.text for s in spans] == [p.text for p in people]
    assert spans[0].first_frame > 0  # empty frames before the first person
    for before, after in itertools.pairwise(spans):
        assert before.last_frame < after.first_frame - 1  # empty frames between people
    assert spans[-1].last_frame < manifest.frames - 1
    for span in spans:
        assert span.first_frame < span.hold_first <= span.hold_last < span.last_frame
        assert span.hold_last - span.hold_first + 1 == 8  # 0.4 s at 20 fps
        held = [
            {r.text for r in decode_frame(frames[i])}
            for i in range(span.hold_first, span.hold_last + 1)
        ]
        assert any(span.text in texts for texts in held)
    before_anyone = frames[: spans[0].first_frame]
    assert all(decode_frame(f) == [] for f in before_anyone)
    rows = read_manifest(tmp_path / "manifest.jsonl")
    assert [r["text"] for r in rows] == [p.text for p in people]
    assert rows[0]["video"] == name and rows[0]["frames"] == manifest.frames


def test_video_names_must_have_a_known_container(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="avi"):
        write_video(tmp_path, [Person("HCK1:A")], seed=1, size=SMALL, name="x.mkv")


def test_command_line_writes_frames_and_video(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    texts = tmp_path / "texts.txt"
    texts.write_text("HCK1:ONE\n\nHCK1:TWO\n")
    assert (
        main(
            [
                "--out",
                str(tmp_path / "f"),
                "--count",
                "3",
                "--size",
                "320x240",
                "--texts-file",
                str(texts),
            ]
        )
        == 0
    )
    rows = read_manifest(tmp_path / "f" / "manifest.jsonl")
    assert [r["text"] for r in rows] == ["HCK1:ONE", "HCK1:TWO", "HCK1:ONE"]
    assert (
        main(
            [
                "--out",
                str(tmp_path / "v"),
                "--kind",
                "video",
                "--count",
                "1",
                "--size",
                "320x240",
                "--hold",
                "0.2",
                "--seed",
                "3",
            ]
        )
        == 0
    )
    row = json.loads((tmp_path / "v" / "manifest.jsonl").read_text().splitlines()[0])
    assert row["size"] == "320x240"
    assert (tmp_path / "v" / "footage.avi").stat().st_size > 0
    assert "1 people" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["--out", str(tmp_path), "--size", "big"])


def test_exposure_model_auto_is_the_old_camera_and_short_costs_light() -> None:
    from kiosk_demo.footage import AUTO_SHUTTER, SCREEN_HEADROOM, Exposure, exposure

    assert exposure(None, 30.0) == Exposure(AUTO_SHUTTER, 1.0, 1.0)
    assert exposure(20.0, 30.0) == Exposure(0.6, 1.0, 1.0)
    ten = exposure(10.0, 30.0)  # half the light: the room darkens, no gain needed yet
    assert ten.shutter == pytest.approx(0.3) and ten.gain == 1.0 and ten.room == pytest.approx(0.5)
    two = exposure(2.0, 30.0)  # beyond the screen's headroom: gain (and noise) go up
    assert two.shutter == pytest.approx(0.06)
    assert two.gain == pytest.approx(AUTO_SHUTTER / (0.06 * SCREEN_HEADROOM))
    assert two.room == pytest.approx(1 / SCREEN_HEADROOM)
    assert exposure(100.0, 30.0).shutter == 1.0  # never longer than a frame
    with pytest.raises(ValueError, match="exposure must be positive"):
        exposure(0.0, 30.0)


def test_a_short_exposure_reads_a_rising_phone_before_it_stops() -> None:
    """At auto exposure the phone smears on its way up and is first read as it comes to
    rest; at 2 ms it is read while still moving, with the whole code just in view."""
    from kiosk_demo.footage import render_video

    texts = sample_texts(2, 21)
    people = [Person(t, 0.5) for t in texts]
    first_read: dict[float | None, list[int]] = {}
    for exposure_ms in (None, 2.0):
        frames, spans, _ = render_video(people, 5, size=(1280, 720), fps=30.0, exposure_ms=exposure_ms)  # fmt: skip
        reads = [{r.text for r in decode_frame(f, "zxing-rescue")} for f in frames]
        first_read[exposure_ms] = [
            next(i for i in range(s.first_frame, s.last_frame + 1) if s.text in reads[i])
            - s.hold_first
            for s in spans
        ]
    assert all(lead >= -1 for lead in first_read[None])  # read at rest (or a frame before)
    assert all(lead <= -3 for lead in first_read[2.0])  # read at least 100 ms sooner


def test_coloured_codes_are_drawn_in_their_colour_on_a_light_screen() -> None:
    from kiosk_demo.footage import CODE_INKS, render_phone

    text = sample_texts(1, seed=3)[0]
    for ink in CODE_INKS.values():
        phone = render_phone(text, 300, dark=False, rng=np.random.default_rng(1), code_ink=ink)
        cx, cy = (int(v) for v in phone.qr_center)
        region = phone.image[cy - 60 : cy + 60, cx - 60 : cx + 60].reshape(-1, 3)
        colours = {tuple(int(c) for c in px) for px in region}
        assert ink in colours and (240, 240, 240) in colours
        assert not any(max(px) - min(px) < 10 and max(px) < 100 for px in colours)  # no black
        assert [r.text for r in decode_frame(phone.image)] == [text]
    dark = render_phone(text, 300, dark=True, rng=np.random.default_rng(1), code_ink=(20, 190, 250))
    grey = render_phone(text, 300, dark=True, rng=np.random.default_rng(1))
    assert np.array_equal(dark.image, grey.image)  # dark mode draws light modules, as before
