"""QR decoder adapter: real decoders on generated frames (no mocks of cv2 or zxing-cpp)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import qrcode
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.adapters.qr import (
    BACKENDS,
    BackendUnavailable,
    Cascade,
    QrRead,
    available_backends,
    decode_frame,
    make_decoder,
)
from kiosk_demo.footage import qr_modules, render_still, sample_texts

TEXT = sample_texts(1, seed=5)[0]


def _frame(category: str, seed: int = 0, size: tuple[int, int] = (640, 480)) -> np.ndarray:
    return render_still(TEXT, category, size, np.random.default_rng([seed, 99]))


def _crisp(text_or_bytes: str | bytes, px: int = 6) -> np.ndarray:
    """A clean black-on-white code, as a flatbed scan would give."""
    qr = qrcode.QRCode(border=4)
    qr.add_data(text_or_bytes)
    qr.make(fit=True)
    m = np.array(qr.get_matrix(), dtype=bool)
    img = np.where(m, 0, 255).astype(np.uint8)
    return cv2.resize(img, None, fx=px, fy=px, interpolation=cv2.INTER_NEAREST)


@pytest.fixture(scope="module")
def plain() -> np.ndarray:
    return _frame("plain")


def test_zxing_reads_a_phone_screen_with_corners_inside_the_frame(plain: np.ndarray) -> None:
    reads = decode_frame(plain)
    assert [r.text for r in reads] == [TEXT]
    read = reads[0]
    assert read.backend == "zxing"
    assert read.ms >= 0
    assert len(read.corners) == 4
    h, w = plain.shape[:2]
    assert all(0 <= x < w and 0 <= y < h for x, y in read.corners)


def test_grey_and_bgr_frames_read_the_same(plain: np.ndarray) -> None:
    grey = cv2.cvtColor(plain, cv2.COLOR_BGR2GRAY)
    assert [r.text for r in decode_frame(grey)] == [r.text for r in decode_frame(plain)]
    bgra = cv2.cvtColor(plain, cv2.COLOR_BGR2BGRA)
    assert [r.text for r in decode_frame(bgra)] == [TEXT]


def test_zxing_reads_dark_mode_inverted_codes() -> None:
    assert [r.text for r in decode_frame(_frame("dark", seed=1))] == [TEXT]


def test_an_empty_frame_reads_nothing_with_every_backend() -> None:
    empty = np.full((480, 640), 128, np.uint8)
    for backend in available_backends():
        assert decode_frame(empty, backend) == []


def test_opencv_reads_a_clean_code() -> None:
    reads = decode_frame(_crisp("HCK1:ABC123"), "opencv")
    assert [(r.text, r.backend) for r in reads] == [("HCK1:ABC123", "opencv")]
    assert len(reads[0].corners) == 4


def test_available_backends_lists_zxing_and_opencv_and_zbar_only_if_it_loads() -> None:
    names = available_backends()
    assert names[:1] == ("zxing",)
    assert "opencv" in names
    assert set(names) <= set(BACKENDS)
    try:
        from pyzbar import pyzbar  # noqa: F401
    except (ImportError, OSError):
        assert "zbar" not in names
    else:
        assert "zbar" in names


def test_zbar_is_reported_unavailable_or_reads_dark_mode_by_inverting() -> None:
    dark = cv2.cvtColor(_frame("dark", seed=0), cv2.COLOR_BGR2GRAY)
    if "zbar" not in available_backends():
        with pytest.raises(BackendUnavailable, match="zbar"):
            decode_frame(dark, "zbar")
        return
    assert [r.text for r in decode_frame(dark, "zbar")] == [TEXT]


def test_non_ascii_and_binary_payloads_come_back_as_str_without_crashing() -> None:
    for payload in (b"\xff\xfe\x00\x80binary\xc3", "Wang *ming \u202e[/bold]", b"\x00" * 10):
        frame = _crisp(payload)
        for backend in available_backends():
            for read in decode_frame(frame, backend):
                assert isinstance(read.text, str)


def test_printable_non_alphanumeric_text_is_returned_as_read() -> None:
    assert [r.text for r in decode_frame(_crisp("hck1:lower case & {json}"))] == [
        "hck1:lower case & {json}"
    ]


@pytest.mark.parametrize(
    ("frame", "error"),
    [
        (np.zeros((10, 10), np.float32), ValueError),
        (np.zeros((10, 10, 2), np.uint8), ValueError),
        (np.zeros(10, np.uint8), ValueError),
        ([[0, 0], [0, 0]], TypeError),
    ],
)
def test_a_frame_that_is_not_an_8_bit_image_is_refused(frame: object, error: type) -> None:
    with pytest.raises(error):
        decode_frame(frame)  # type: ignore[arg-type]


def test_an_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown QR backend"):
        decode_frame(np.zeros((8, 8), np.uint8), "quirc")


@settings(max_examples=40, deadline=None)
@given(st.binary(min_size=64 * 48, max_size=64 * 48))
def test_noise_frames_never_crash_any_backend(data: bytes) -> None:
    frame = np.frombuffer(data, np.uint8).reshape(48, 64)
    for backend in available_backends():
        reads = decode_frame(frame, backend)
        assert all(isinstance(r, QrRead) for r in reads)


def test_cascade_runs_the_fallback_only_after_misses_and_on_its_schedule(
    plain: np.ndarray,
) -> None:
    empty = np.full((240, 320), 200, np.uint8)
    cascade = Cascade("zxing", "opencv", fallback_after=3, fallback_every=2)
    for _ in range(9):
        assert cascade.decode(empty) == []
    # misses 3, 5, 7 and 9 are the fallback's turns
    assert (cascade.misses, cascade.fallback_runs) == (9, 4)
    assert [r.backend for r in cascade(plain)] == ["zxing"]
    assert cascade.misses == 0


def test_cascade_returns_the_fallbacks_read_when_the_primary_misses() -> None:
    dark = _frame("dark", seed=1)  # OpenCV does not read inverted codes; zxing-cpp does
    assert decode_frame(dark, "opencv") == []
    cascade = Cascade("opencv", "zxing", fallback_after=1, fallback_every=1)
    assert [(r.text, r.backend) for r in cascade.decode(dark)] == [(TEXT, "zxing")]
    assert cascade.fallback_runs == 1


def test_cascade_drops_an_unavailable_fallback_and_default_is_from_config() -> None:
    from kiosk.adapters.config import CameraConfig

    if "zbar" not in available_backends():
        assert Cascade(fallback="zbar").fallback is None
    cascade = Cascade.from_config(CameraConfig(fallback_after=7))
    assert cascade.fallback_after == 7
    assert cascade.primary == "zxing-rescue"


def test_make_decoder_names() -> None:
    assert isinstance(make_decoder("cascade"), Cascade)
    code = _crisp("HCK1:X")
    assert [r.backend for r in make_decoder("opencv")(code)] == ["opencv"]
    with pytest.raises(ValueError):
        make_decoder("nope")


def test_modules_of_a_sample_text_round_trip() -> None:
    modules = qr_modules(TEXT)
    img = cv2.resize(
        np.where(modules, 0, 255).astype(np.uint8),
        None,
        fx=4,
        fy=4,
        interpolation=cv2.INTER_NEAREST,
    )
    assert [r.text for r in decode_frame(img)] == [TEXT]


def test_rescue_reads_symbols_plain_zxing_finds_but_cannot_read() -> None:
    """Blurred and small codes: the default's second look reads more, never a wrong text."""
    from kiosk_demo.footage import render_frames

    plain = rescued = 0
    for image, label in render_frames(60, 2026, categories=("blur", "small"), sizes=((640, 480),)):
        texts_plain = [r.text for r in decode_frame(image, "zxing")]
        texts_rescue = [r.text for r in decode_frame(image, "zxing-rescue")]
        assert set(texts_plain) <= set(texts_rescue)
        assert all(t == label.text for t in texts_rescue)
        plain += label.text in texts_plain
        rescued += label.text in texts_rescue
    assert rescued > plain


def test_rescue_costs_nothing_extra_on_empty_frames() -> None:
    from kiosk_demo.footage import render_frames

    for image, _ in render_frames(10, 5, categories=("empty",), sizes=((640, 480),)):
        assert decode_frame(image, "zxing-rescue") == []


@pytest.mark.parametrize("sigma", [0.0, 2.0, 4.0, 8.0, 16.0])
def test_noise_sigma_measures_the_noise_and_ignores_edges(sigma: float) -> None:
    from kiosk.adapters.qr import noise_sigma

    rng = np.random.default_rng([7, int(sigma)])
    scene = cv2.resize(_crisp(TEXT, px=4), (1280, 720), interpolation=cv2.INTER_NEAREST)
    scene = (scene.astype(np.float32) * 0.6 + 50).astype(np.float32)  # no clipping at the ends
    noisy = np.clip(scene + rng.normal(0, sigma, scene.shape), 0, 255).astype(np.uint8)
    assert abs(noise_sigma(noisy) - sigma) <= max(0.7, 0.12 * sigma)


def test_noise_sigma_of_tiny_frames_is_zero() -> None:
    from kiosk.adapters.qr import noise_sigma

    assert noise_sigma(np.zeros((1, 2), np.uint8)) == 0.0
    assert noise_sigma(np.zeros((40, 40), np.uint8)) == 0.0


def test_the_default_smooths_a_noisy_frame_and_reads_it_as_before() -> None:
    """A phone held still in a dark room, camera gain up: noise near 4 grey levels."""
    from kiosk.adapters.qr import NOISY_SIGMA, noise_sigma
    from kiosk_demo.footage import Person, exposure, render_video

    people = [Person(TEXT, 0.4)]
    frames, spans, _ = render_video(people, 3, size=(1280, 720), fps=30.0, exposure_ms=2.0)
    images = list(frames)
    assert exposure(2.0, 30.0).gain > 1
    held = [cv2.cvtColor(images[i], cv2.COLOR_BGR2GRAY) for i in range(spans[0].hold_first, spans[0].hold_last + 1)]  # fmt: skip
    assert all(noise_sigma(g) >= NOISY_SIGMA for g in held)
    assert all(TEXT in [r.text for r in decode_frame(g, "zxing-rescue")] for g in held)
    clean = _frame("plain")
    assert noise_sigma(cv2.cvtColor(clean, cv2.COLOR_BGR2GRAY)) < NOISY_SIGMA


def _close_up(size: tuple[int, int], seed: int) -> np.ndarray:
    """A blurred phone held so close that its code fills most of the frame's height."""
    from kiosk_demo.footage import (
        QR_OF_SCREEN,
        Pose,
        add_noise,
        composite,
        render_background,
        render_phone,
    )

    w, h = size
    rng = np.random.default_rng([seed, 5])
    phone_w = 0.8 * h / (QR_OF_SCREEN * 0.92)
    phone = render_phone(TEXT, int(phone_w), dark=False, rng=rng)
    frame, _ = composite(render_background(size, rng), phone, Pose(w / 2, h / 2, phone_w, 3, 5, -4))
    frame = cv2.GaussianBlur(frame, (0, 0), 1.6 * h / 720)
    return cv2.cvtColor(add_noise(frame, 2.0, rng), cv2.COLOR_BGR2GRAY)


def test_downscaled_tries_are_kept_where_close_ups_need_them() -> None:
    import zxingcpp

    qr = zxingcpp.BarcodeFormat.QRCode
    big = _close_up((3840, 2160), 1)  # modules of ~25 pixels, softened
    assert not zxingcpp.read_barcodes(big, formats=qr, try_downscale=False)
    assert [r.text for r in decode_frame(big, "zxing-rescue")] == [TEXT]
    hd = _close_up((1280, 720), 1)  # at 720p the full-size read is enough
    assert [r.text for r in decode_frame(hd, "zxing-rescue")] == [TEXT]


def test_cascade_estimates_a_streams_noise_once_in_noise_every_frames() -> None:
    """The noise is kept between estimates; a new frame size or a reset estimates again."""
    from kiosk.adapters.config import CameraConfig
    from kiosk.adapters.qr import NOISE_EVERY, NOISY_SIGMA
    from kiosk_demo.footage import Person, render_video

    frames, spans, _ = render_video([Person(TEXT, 0.6)], 3, fps=30.0, exposure_ms=2.0)
    images = list(frames)
    held = images[spans[0].hold_first : spans[0].hold_last + 1]
    cascade = Cascade(noise_every=4)
    texts = [[r.text for r in cascade(image)] for image in held[:12]]
    assert texts == [[TEXT]] * 12  # the dark room's noise is smoothed on every frame
    assert cascade.noise is not None and cascade.noise >= NOISY_SIGMA
    assert cascade.noise_estimates == 3
    small = cv2.resize(held[0], (640, 360))
    cascade(small)
    assert cascade.noise_estimates == 4
    cascade.reset()
    assert cascade.noise is None
    cascade(small)
    assert cascade.noise_estimates == 5
    assert Cascade.from_config(CameraConfig()).noise_every == NOISE_EVERY
    assert Cascade.from_config(CameraConfig(), stills=True).noise_every == 1
    plain = Cascade("zxing")  # a primary that does not look at the noise never estimates it
    plain(held[0])
    assert (plain.noise, plain.noise_estimates) == (None, 0)
    with pytest.raises(ValueError):
        Cascade(noise_every=0)


def test_a_known_noise_figure_decides_the_smoothing() -> None:
    """decode_frame(noise=...) trusts the caller's figure instead of estimating again."""
    from kiosk.adapters import qr

    calls = []
    real = qr.noise_sigma
    try:
        qr.noise_sigma = lambda grey: calls.append(grey.shape) or real(grey)  # type: ignore[assignment]
        image = _frame("plain")
        assert [r.text for r in decode_frame(image, "zxing-rescue", noise=0.0)] == [TEXT]
        assert [r.text for r in decode_frame(image, "zxing-rescue", noise=9.0)] == [TEXT]
        assert calls == []
        decode_frame(image, "zxing-rescue")
        assert len(calls) == 1
    finally:
        qr.noise_sigma = real  # type: ignore[assignment]


def _dim_yellow_code(seed: int) -> np.ndarray:
    """A yellow health code on a phone turned down to 30 % contrast, 640x480, BGR."""
    from kiosk_demo.footage import (
        CODE_INKS,
        Pose,
        _phone_width_for_module,
        add_noise,
        composite,
        render_background,
        render_phone,
    )

    rng = np.random.default_rng([seed, 17])
    phone_w = _phone_width_for_module(TEXT, 3.0)
    phone = render_phone(TEXT, int(phone_w), dark=False, rng=rng, code_ink=CODE_INKS["Y"])
    scene = render_background((640, 480), rng)
    frame, _ = composite(scene, phone, Pose(320, 240, phone_w, 4, -6, 5), contrast=0.3)
    return add_noise(cv2.GaussianBlur(frame, (0, 0), 0.6), 2.5, rng)


def test_a_dimmed_yellow_code_is_read_in_the_kiosks_blue_weighted_grey() -> None:
    """Luminance leaves a yellow code little contrast; the kiosk's grey weighs blue more."""
    from kiosk.adapters.qr import GREY_WEIGHTS, to_grey

    frames = [_dim_yellow_code(seed) for seed in range(6)]
    luminance = [cv2.cvtColor(f, cv2.COLOR_BGR2GRAY) for f in frames]
    assert not any(decode_frame(g, "zxing-rescue") for g in luminance)
    assert all([r.text for r in decode_frame(f, "zxing-rescue")] == [TEXT] for f in frames)
    pixel = np.array([[[20, 190, 250]]], np.uint8)  # BGR yellow
    expected = 20 * GREY_WEIGHTS["blue"] + 190 * GREY_WEIGHTS["green"] + 250 * GREY_WEIGHTS["red"]
    assert abs(int(to_grey(pixel)[0, 0]) - expected) <= 1
    grey_pixel = np.full((1, 1, 3), 77, np.uint8)
    assert to_grey(grey_pixel)[0, 0] == 77  # grey stays grey


def test_zxing_reads_qr_codes_only_never_micro_qr() -> None:
    """Micro QR cannot hold a health code; reading it let a blurred finder pattern pass as one."""
    import zxingcpp

    micro = np.asarray(
        zxingcpp.create_barcode("12345", zxingcpp.BarcodeFormat.MicroQRCode).to_image(scale=6)
    )
    micro = cv2.copyMakeBorder(micro, 40, 40, 40, 40, cv2.BORDER_CONSTANT, value=255)
    assert [b.text for b in zxingcpp.read_barcodes(micro)] == ["12345"]  # a readable symbol
    for backend in ("zxing", "zxing-rescue"):
        assert decode_frame(micro, backend) == []
        assert [r.text for r in decode_frame(_crisp("HCK1:ABC"), backend)] == ["HCK1:ABC"]


def test_a_blurred_finder_pattern_is_not_read_as_a_micro_qr_phantom() -> None:
    """bench/grey_weights.py, blur frame 291 of seed 99: luminance once read "49602" there."""
    from kiosk_demo.footage import render_still

    text = sample_texts(64, 99)[291 % 64]
    image = render_still(text, "blur", (640, 480), np.random.default_rng([99, 291]))
    for grey in (cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), image):
        assert {r.text for r in decode_frame(grey, "zxing-rescue")} <= {text}


@pytest.mark.parametrize(
    "turn", [cv2.ROTATE_90_CLOCKWISE, cv2.ROTATE_180, cv2.ROTATE_90_COUNTERCLOCKWISE]
)
def test_the_default_reads_a_phone_turned_any_way_without_zxings_rotate_tries(turn: int) -> None:
    """try_rotate is off in the default stage: QR finder patterns are found at any angle."""
    for category in ("plain", "rotated", "dark"):
        image = np.ascontiguousarray(cv2.rotate(_frame(category, seed=3), turn))
        assert [r.text for r in decode_frame(image, "zxing-rescue")] == [TEXT]


def test_every_symbol_is_returned_in_reading_order_even_two_with_one_text() -> None:
    a, b = _crisp("HCK1:AAA", px=4), _crisp("HCK1:BBB", px=4)
    side = a.shape[0]
    sheet = np.full((2 * side + 40, 2 * side + 40), 255, np.uint8)
    sheet[10 : 10 + side, 10 : 10 + side] = b  # top left
    sheet[10 : 10 + side, 30 + side : 30 + 2 * side] = a  # top right
    sheet[30 + side : 30 + 2 * side, 10 : 10 + side] = a  # bottom left: the same text again
    reads = decode_frame(sheet, "zxing-rescue")
    assert [r.text for r in reads] == ["HCK1:BBB", "HCK1:AAA", "HCK1:AAA"]
    assert len({r.corners for r in reads}) == 3


def test_a_blurred_phone_is_rescued_while_a_sharp_poster_is_read_beside_it() -> None:
    """The rescue used to run only when nothing else in the frame was read."""
    from kiosk_demo.footage import render_frames

    poster = _crisp("https://venue.example/checkin", px=3)
    tried = rescued = 0
    for image, label in render_frames(40, 2026, categories=("blur", "small"), sizes=((640, 480),)):
        grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        alone = [r.text for r in decode_frame(grey, "zxing-rescue")]
        if label.text in [r.text for r in decode_frame(grey, "zxing")] or label.text not in alone:
            continue  # only frames the rescue alone reads
        wide = np.full((480, 640 + poster.shape[1] + 20), 200, np.uint8)
        wide[:, :640] = grey
        wide[10 : 10 + poster.shape[0], 650 : 650 + poster.shape[1]] = poster
        tried += 1
        rescued += label.text in [r.text for r in decode_frame(wide, "zxing-rescue")]
    assert tried >= 3 and rescued == tried


def test_a_stream_makes_the_downscaled_tries_once_in_downscale_every_frames() -> None:
    """A close-up too big for the full-size read is read on a stream's frames with the tries,
    so at most DOWNSCALE_EVERY - 1 frames late; a still is read at once."""
    import zxingcpp

    from kiosk.adapters.qr import DOWNSCALE_EVERY

    big = _close_up((3840, 2160), 1)
    assert not zxingcpp.read_barcodes(
        big, formats=zxingcpp.BarcodeFormat.QRCode, try_downscale=False
    )
    stream = Cascade(noise_every=1)
    read = [bool(stream(big)) for _ in range(2 * DOWNSCALE_EVERY)]
    assert sum(read) == 2 and read.index(True) < DOWNSCALE_EVERY
    assert [r.text for r in Cascade(noise_every=1, stills=True)(big)] == [TEXT]
