"""``kiosk decode`` as a real process on generated PNGs and a generated video."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk_demo.footage import Person, read_manifest, sample_texts, write_frames, write_video

KEYS = {"source", "frame", "text", "corners", "backend", "ms"}


def kiosk(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk", "decode", *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=60,
    )


def lines(out: str) -> list[dict[str, object]]:
    rows = [json.loads(line) for line in out.splitlines()]
    assert all(set(row) == KEYS for row in rows)
    return rows


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("frames")
    write_frames(out, 6, seed=11, sizes=[(640, 480)], categories=["plain", "dark", "empty"])
    return out


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("video")
    people = [Person(t, 0.6) for t in sample_texts(2, seed=12)]
    manifest = write_video(out, people, seed=12, size=(640, 480))
    return out / manifest.file


def test_a_folder_prints_each_code_found_with_its_file(frames: Path) -> None:
    done = kiosk(str(frames))
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    expected = {
        str(frames / str(r["file"])): r["text"] for r in read_manifest(frames / "manifest.jsonl")
    }
    rows = lines(done.stdout)
    assert {str(r["source"]): r["text"] for r in rows} == {
        f: t for f, t in expected.items() if t is not None
    }
    for row in rows:
        assert row["frame"] in range(6)
        assert row["backend"] == "zxing-rescue"
        assert len(row["corners"]) == 4  # type: ignore[arg-type]
        assert isinstance(row["ms"], float)


def test_all_prints_frames_without_a_code_as_null(frames: Path) -> None:
    done = kiosk(str(frames / "00002.png"), str(frames / "00000.png"), "--all")
    assert done.returncode == 0, done.stderr
    rows = lines(done.stdout)
    assert [r["text"] is None for r in rows] == [True, False]
    assert rows[0]["corners"] is None and rows[0]["backend"] == "cascade"


def test_a_video_prints_codes_only_while_people_show_them(video: Path) -> None:
    done = kiosk(str(video), "--backend", "zxing")
    assert done.returncode == 0, done.stderr
    spans = read_manifest(video.parent / "manifest.jsonl")
    rows = lines(done.stdout)
    for span in spans:
        mine = [r for r in rows if r["text"] == span["text"]]
        assert mine, f"person {span['person']} never read"
        assert all(
            int(span["first_frame"]) <= int(r["frame"]) <= int(span["last_frame"])  # type: ignore[call-overload]
            for r in mine
        )
    assert {r["text"] for r in rows} == {s["text"] for s in spans}
    assert {r["source"] for r in rows} == {str(video)}


def test_opencv_backend_and_wedge_input(frames: Path) -> None:
    done = kiosk(str(frames / "00000.png"), "--backend", "opencv")
    assert done.returncode == 0, done.stderr
    assert all(r["backend"] == "opencv" for r in lines(done.stdout))
    done = kiosk("-", stdin="HCK1:TYPED\n")
    assert lines(done.stdout)[0]["text"] == "HCK1:TYPED"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.png", "missing.png: no such file or folder"),
        (lambda d: (d / "bad.png").write_bytes(b"\x89PNG no") and d / "bad.png", "not a readable"),
        (
            lambda d: (d / "clip.avi").write_bytes(b"RIFF junk") and d / "clip.avi",
            "not a video or image folder",
        ),
        (lambda d: d, "not a video or image folder"),
    ],
)
def test_bad_inputs_exit_2_with_one_line_and_no_traceback(
    tmp_path: Path, make: object, message: str
) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    done = kiosk(str(path))
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1, done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_a_bad_image_in_a_folder_is_reported_after_the_good_ones(
    tmp_path: Path, frames: Path
) -> None:
    (tmp_path / "a.png").write_bytes((frames / "00000.png").read_bytes())
    (tmp_path / "b.png").write_bytes(b"not an image")
    done = kiosk(str(tmp_path))
    assert done.returncode == 2
    assert len(lines(done.stdout)) == 1
    assert done.stderr.strip().endswith("b.png: not a readable image")


def test_unknown_backend_is_a_usage_error(frames: Path) -> None:
    done = kiosk(str(frames), "--backend", "quirc")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
