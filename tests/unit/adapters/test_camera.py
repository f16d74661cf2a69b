"""Frame sources on real generated files; the grabber on a real ``cv2.VideoCapture``."""

from __future__ import annotations

import io
import itertools
import json
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from kiosk.adapters.camera import (
    MAX_WEDGE_LINE,
    Frame,
    ImageFilesSource,
    LatestFrameGrabber,
    ScannedText,
    SourceError,
    VideoFileSource,
    WedgeSource,
    _Pacer,
    camera_index,
    open_source,
)
from kiosk.adapters.config import CameraConfig
from kiosk.core.backoff import backoff_delay
from kiosk_demo.footage import Person, sample_texts, write_frames, write_video
from tests.waiting import wait_for

SMALL = (320, 240)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("frames")
    write_frames(out, 4, seed=3, sizes=[SMALL], categories=["plain", "empty"])
    return out


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("video")
    manifest = write_video(out, [Person(sample_texts(1, 4)[0], 0.2)], seed=4, size=SMALL)
    return out / manifest.file


def _frames(source: object) -> list[Frame]:
    items = list(source)  # type: ignore[call-overload]
    assert all(isinstance(i, Frame) for i in items)
    return items


def test_a_folder_gives_its_images_sorted_with_index_and_media_time(folder: Path) -> None:
    source = open_source(str(folder), CameraConfig(fps=20))
    assert isinstance(source, ImageFilesSource)
    frames = _frames(source)
    assert [Path(f.source).name for f in frames] == [f"{i:05d}.png" for i in range(4)]
    assert [f.index for f in frames] == [0, 1, 2, 3]
    assert [f.t for f in frames] == pytest.approx([0, 0.05, 0.1, 0.15])
    assert frames[0].image.shape == (240, 320, 3)
    assert source.stats().frames == 4


def test_a_single_image_is_one_frame(folder: Path) -> None:
    frames = _frames(open_source(str(folder / "00000.png")))
    assert len(frames) == 1
    assert frames[0].source == str(folder / "00000.png")


def test_a_video_gives_every_frame_at_its_media_time(video: Path) -> None:
    source = open_source(str(video))
    assert isinstance(source, VideoFileSource)
    frames = _frames(source)
    rows = [line for line in (video.parent / "manifest.jsonl").read_text().splitlines() if line]
    assert len(frames) == int(json.loads(rows[0])["frames"])
    assert frames[1].t == pytest.approx(1 / 25)
    assert [f.index for f in frames] == list(range(len(frames)))


def test_loop_starts_again_and_keeps_counting(folder: Path) -> None:
    source = open_source(str(folder), CameraConfig(fps=10), loop=True)
    frames = []
    for item in source:
        frames.append(item)
        if len(frames) == 10:
            source.close()
    assert [f.index for f in frames] == list(range(10))
    assert Path(frames[4].source).name == "00000.png"
    assert frames[9].t == pytest.approx(0.9)


class _RecordingStop(threading.Event):
    """A stop event whose waits move a fake clock instead of sleeping."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 100.0
        self.waits: list[float] = []

    def wait(self, timeout: float | None = None) -> bool:
        assert timeout is not None
        self.waits.append(timeout)
        self.now += timeout
        return False


def test_realtime_pacing_waits_until_each_frames_media_time() -> None:
    stop = _RecordingStop()
    pacer = _Pacer(True, stop, monotonic=lambda: stop.now)
    for i in range(4):
        pacer.wait(i / 20)  # frames at 0, 50, 100, 150 ms
    assert stop.waits == pytest.approx([0.05, 0.05, 0.05])
    stop.now += 1.0  # the consumer was slow: a late frame is delivered at once
    pacer.wait(4 / 20)
    assert len(stop.waits) == 3


def test_file_sources_are_not_paced_unless_realtime(folder: Path) -> None:
    stop = _RecordingStop()
    pacer = _Pacer(False, stop, monotonic=lambda: stop.now)
    for i in range(4):
        pacer.wait(i)
    assert stop.waits == []
    source = open_source(str(folder), CameraConfig(fps=1))
    assert not source._pacer.realtime  # type: ignore[attr-defined]
    assert len(_frames(source)) == 4


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("/no/such/place.avi", "no such file"),
        ("", "no frame source given"),
        ("cam:7", "cannot open camera 7"),
        ("rtsp://127.0.0.1:9/none", "cannot open stream"),
    ],
)
def test_open_errors_name_the_source_and_the_problem(spec: str, message: str) -> None:
    if spec == "cam:7" and cv2.VideoCapture(7).isOpened():
        pytest.skip("this machine has a camera 7")
    with pytest.raises(SourceError, match=message) as info:
        open_source(spec)
    assert spec in str(info.value) or not spec or spec.startswith("cam:")


def test_a_folder_without_images_and_a_non_video_file_are_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a picture")
    with pytest.raises(SourceError, match="not a video or image folder"):
        open_source(str(tmp_path))
    with pytest.raises(SourceError, match=r"notes\.txt: not a video or image folder"):
        open_source(str(tmp_path / "notes.txt"))
    (tmp_path / "broken.png").write_bytes(b"\x89PNG broken")
    with pytest.raises(SourceError, match=r"broken\.png: not a readable image"):
        open_source(str(tmp_path / "broken.png"))


def test_an_unreadable_image_in_a_folder_fails_when_reached(tmp_path: Path) -> None:
    write_frames(tmp_path, 1, seed=1, sizes=[SMALL], categories=["plain"])
    (tmp_path / "00001.png").write_bytes(b"garbage")
    source = open_source(str(tmp_path))
    items = iter(source)
    assert isinstance(next(items), Frame)
    with pytest.raises(SourceError, match=r"00001\.png: not a readable image"):
        next(items)


def test_wedge_yields_scanned_text_lines() -> None:
    stream = io.StringIO("HCK1:AAA\n\n  \nHCK1:BBB\r\n" + "X" * (MAX_WEDGE_LINE + 50) + "\nLAST")
    source = open_source("wedge", stdin=stream)
    assert isinstance(source, WedgeSource)
    items = list(source)
    assert all(isinstance(i, ScannedText) for i in items)
    texts = [i.text for i in items]  # type: ignore[union-attr]
    assert texts[:2] == ["HCK1:AAA", "HCK1:BBB"]
    assert len(texts[2]) == MAX_WEDGE_LINE  # capped, and the rest of that line skipped
    assert texts[3] == "LAST"
    assert [i.index for i in items] == [0, 1, 2, 3]
    assert open_source("-", stdin=io.StringIO("")).name == "wedge"


def test_camera_specs() -> None:
    assert camera_index("0") == 0
    assert camera_index("cam:2") == 2
    assert camera_index("CAM:12") == 12
    assert camera_index("cam:") is None
    assert camera_index("frames") is None
    assert camera_index("12345") is None


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff_delay(n, 0.5, 3.0) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_grabber_keeps_the_newest_frame_and_reopens_a_lost_source(video: Path) -> None:
    """A video file stands in for a camera: at its end the "camera" is lost and reopened."""

    def open_capture() -> cv2.VideoCapture | None:
        capture = cv2.VideoCapture(str(video))
        return capture if capture.isOpened() else None

    grabber = LatestFrameGrabber(open_capture, "test-cam", backoff_base=0.01).start()
    try:
        assert wait_for(lambda: grabber.stats().reconnects >= 2)
        stats = grabber.stats()
        assert stats.dropped > 0  # nobody took frames: all but the newest were dropped
        assert stats.fps > 0
        frame = grabber.get(timeout=2.0)
        assert frame is not None and frame.source == "test-cam"
        newer = grabber.get(timeout=2.0)
        assert newer is not None and newer.index > frame.index
        assert newer.t >= frame.t
    finally:
        grabber.stop()
    assert grabber.get(timeout=0.05) is None or grabber.stopped


def test_grabber_never_raises_when_the_source_cannot_open_or_throws(tmp_path: Path) -> None:
    calls = []

    def failing() -> None:
        calls.append(time.monotonic())
        if len(calls) % 2:
            raise RuntimeError("driver exploded")

    grabber = LatestFrameGrabber(failing, "cam:9", backoff_base=0.02, backoff_max=0.08).start()
    try:
        assert wait_for(lambda: len(calls) >= 5)
        stats = grabber.stats()
        assert not stats.connected
        assert stats.error is not None and "cam:9: cannot open" in stats.error
        assert grabber.get(timeout=0.05) is None
        gaps = [b - a for a, b in itertools.pairwise(calls)]
        assert gaps[-1] >= 0.05  # backed off
    finally:
        grabber.stop()
        assert not grabber._thread.is_alive()  # stop() returns with the capture thread ended


def test_a_live_source_iterates_until_closed(video: Path) -> None:
    from kiosk.adapters.camera import LiveSource

    def open_capture() -> cv2.VideoCapture | None:
        capture = cv2.VideoCapture(str(video))
        return capture if capture.isOpened() else None

    source = LiveSource("fake-live", open_capture, poll_s=0.05, backoff_base=0.01)
    seen = []
    for item in source:
        seen.append(item)
        if len(seen) == 3:
            source.close()
    assert len(seen) == 3
    assert [f.index for f in seen] == sorted(f.index for f in seen)
    assert source.live


def test_exposure_controls_speak_each_backends_unit() -> None:
    from kiosk.adapters.camera import exposure_controls

    assert exposure_controls("V4L2", 2.0) == [
        (cv2.CAP_PROP_AUTO_EXPOSURE, 1),  # V4L2_EXPOSURE_MANUAL
        (cv2.CAP_PROP_EXPOSURE, 20),  # 100 µs units
    ]
    assert exposure_controls("V4L2", 0.05)[1] == (cv2.CAP_PROP_EXPOSURE, 1)  # never 0
    assert exposure_controls("MSMF", 2.0) == [
        (cv2.CAP_PROP_AUTO_EXPOSURE, 0.25),
        (cv2.CAP_PROP_EXPOSURE, -9),  # log2 s: 1/512 s
    ]
    assert exposure_controls("DSHOW", 16.0)[1] == (cv2.CAP_PROP_EXPOSURE, -6)
    assert exposure_controls("FFMPEG", 2.0) is None
    assert exposure_controls("GSTREAMER", 2.0) is None


class _Camera:
    """A capture that records what was set on it and accepts or refuses each property."""

    def __init__(self, backend: str, refuse: frozenset[int] = frozenset()) -> None:
        self.backend = backend
        self.refuse = refuse
        self.set_calls: list[tuple[int, float]] = []

    def getBackendName(self) -> str:  # OpenCV's name
        return self.backend

    def set(self, prop: int, value: float) -> bool:
        self.set_calls.append((prop, value))
        return prop not in self.refuse

    def read(self) -> tuple[bool, None]:
        return False, None

    def release(self) -> None:
        pass


def test_apply_exposure_sets_it_or_says_why_not(video: Path) -> None:
    from kiosk.adapters.camera import apply_exposure

    camera = _Camera("V4L2")
    assert apply_exposure(camera, 2.0) is None
    assert camera.set_calls == [(cv2.CAP_PROP_AUTO_EXPOSURE, 1), (cv2.CAP_PROP_EXPOSURE, 20)]

    untouched = _Camera("V4L2")
    assert apply_exposure(untouched, None) is None and untouched.set_calls == []

    stubborn = _Camera("V4L2", refuse=frozenset({cv2.CAP_PROP_AUTO_EXPOSURE}))
    note = apply_exposure(stubborn, 2.0)
    assert note == "exposure 2 ms refused by the camera (V4L2); auto exposure"

    real = cv2.VideoCapture(str(video))  # a real capture whose backend has no exposure
    try:
        note = apply_exposure(real, 2.0)
    finally:
        real.release()
    assert note is not None and note.startswith("exposure 2 ms not set: backend ")


def test_a_live_source_carries_its_openers_note(video: Path) -> None:
    from kiosk.adapters.camera import LiveSource

    def open_capture() -> cv2.VideoCapture | None:
        capture = cv2.VideoCapture(str(video))
        return capture if capture.isOpened() else None

    note = "exposure 2 ms refused by the camera (V4L2); auto exposure"
    source = LiveSource("cam", open_capture, poll_s=0.05, backoff_base=0.01, note=lambda: note)
    try:
        assert source.stats().note == note
    finally:
        source.close()


def test_a_generated_source_draws_frames_as_they_play_and_loops() -> None:
    from kiosk.adapters.camera import GeneratedSource

    passes = []

    def one_pass():  # type: ignore[no-untyped-def]
        passes.append(len(passes))
        for i in range(3):
            yield np.full((4, 4, 3), i, dtype=np.uint8)

    source = GeneratedSource("drawn", one_pass, fps=10, loop=True)
    frames = []
    for frame in source:
        frames.append(frame)
        if len(frames) == 5:
            source.close()
    assert [f.index for f in frames] == [0, 1, 2, 3, 4]
    assert [int(f.image[0, 0, 0]) for f in frames] == [0, 1, 2, 0, 1]
    assert frames[4].t == pytest.approx(0.4) and passes == [0, 1]
    assert not source.stills and source.stats().frames == 5
