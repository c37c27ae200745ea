"""The masking core: rasterising, painting the YUV planes, the cache, and
``transcode_masked`` on real MPEG-TS files; ``polygons_for`` on the database."""

from __future__ import annotations

import subprocess
from pathlib import Path

import av
import numpy as np
import pytest

from vigie.core.testing import as_system, make_camera, make_member
from vigie.recording import masking
from vigie.recording.models import PrivacyMask

SQUARE = (((0.25, 0.25), (0.75, 0.25), (0.75, 0.75), (0.25, 0.75)),)
TRIANGLE = (((0.0, 0.0), (0.5, 0.0), (0.0, 0.5)),)


def ffmpeg(*args: str) -> None:
    command = ["ffmpeg", "-nostdin", "-v", "error", "-y", *args]
    subprocess.run(command, check=True, timeout=60, capture_output=True)


@pytest.fixture(scope="module")
def pattern_ts(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two consecutive 2 s MPEG-TS files of a moving test pattern, 320×240 25 fps."""
    folder = tmp_path_factory.mktemp("pattern")
    files = []
    for number in range(2):
        out = folder / f"p{number}.ts"
        ffmpeg(
            "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=2",
            "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p",
            "-output_ts_offset", str(2 * number), "-f", "mpegts", str(out),
        )  # fmt: skip
        files.append(out)
    return files


def pattern_frame(width: int = 64, height: int = 48) -> av.VideoFrame:
    """A yuv420p frame with distinct values per position (never the mask's grey)."""
    y = (np.arange(width * height).reshape(height, width) % 100 + 10).astype(np.uint8)
    u = np.full((height // 2, width // 2), 60, np.uint8)
    v = np.full((height // 2, width // 2), 200, np.uint8)
    data = np.concatenate([y.ravel(), u.ravel(), v.ravel()]).reshape(height * 3 // 2, width)
    return av.VideoFrame.from_ndarray(data, format="yuv420p")


def planes(frame: av.VideoFrame) -> list[np.ndarray]:
    return [masking.plane_array(p).copy() for p in frame.planes]


# --------------------------------------------------------------------------- rasterise


def test_rasterise_square_is_exactly_the_pixels_inside() -> None:
    mask = masking.rasterise(SQUARE, 8, 4)
    expected = np.zeros((4, 8), bool)
    expected[1:3, 2:6] = True
    assert (mask == expected).all()


def test_rasterise_triangle_and_union() -> None:
    mask = masking.rasterise(TRIANGLE, 100, 100)
    assert mask[5, 5] and not mask[60, 60] and not mask[45, 45]
    both = masking.rasterise(TRIANGLE + SQUARE, 100, 100)
    assert both[50, 50] and both[5, 5] and not both[95, 5]
    assert 0.30 < both.mean() < 0.40  # 1/8 + 1/4, minus nothing (they do not overlap)


def test_whole_picture_and_degenerate_polygon() -> None:
    whole = (((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)),)
    assert masking.rasterise(whole, 16, 9).all()
    flat = (((0.1, 0.5), (0.9, 0.5), (0.5, 0.5)),)
    assert not masking.rasterise(flat, 16, 9).any()


# --------------------------------------------------------------------------- painting


def test_paint_sets_yuv_inside_and_leaves_outside() -> None:
    frame = pattern_frame()
    before = planes(frame)
    masking.mask_frame(frame, SQUARE, masking.MaskCache())
    y, u, v = planes(frame)
    # Inside the square (rows 12–35, columns 16–47 in luma): uniform grey.
    assert (y[12:36, 16:48] == masking.MASK_LUMA).all()
    assert (u[6:18, 8:24] == masking.MASK_CHROMA).all()
    assert (v[6:18, 8:24] == masking.MASK_CHROMA).all()
    # Outside: every pixel as it was.
    outside = np.ones_like(y, bool)
    outside[12:36, 16:48] = False
    assert (y[outside] == before[0][outside]).all()
    assert (u[:6] == 60).all() and (v[18:] == 200).all()
    assert (u[:, :8] == 60).all() and (v[:, 24:] == 200).all()


def test_chroma_block_edges_are_widened_never_leaking() -> None:
    # An odd-aligned rectangle: pixel columns 3–8 of a 16-wide picture.
    odd = (((3 / 16, 0.0), (9 / 16, 0.0), (9 / 16, 1.0), (3 / 16, 1.0)),)
    frame = pattern_frame(16, 8)
    masking.mask_frame(frame, odd, masking.MaskCache())
    y, u, _v = planes(frame)
    assert (y[:, 2:10] == masking.MASK_LUMA).all()  # widened to whole 2×2 blocks
    assert (u[:, 1:5] == masking.MASK_CHROMA).all()
    assert (u[:, 0] == 60).all() and (u[:, 5:] == 60).all()


def test_cache_builds_once_per_size_and_polygons() -> None:
    cache = masking.MaskCache(size=2)
    for _ in range(3):
        masking.mask_frame(pattern_frame(), SQUARE, cache)
    assert cache.builds == 1
    masking.mask_frame(pattern_frame(32, 24), SQUARE, cache)
    masking.mask_frame(pattern_frame(), TRIANGLE, cache)
    assert cache.builds == 3
    masking.mask_frame(pattern_frame(), SQUARE, cache)  # evicted (size 2): built again
    assert cache.builds == 4


def test_no_polygons_leaves_the_frame_alone() -> None:
    frame = pattern_frame()
    before = planes(frame)
    assert masking.mask_frame(frame, ()) is frame
    assert all((a == b).all() for a, b in zip(before, planes(frame), strict=True))


def test_mask_key_changes_with_the_polygons() -> None:
    assert masking.mask_key(SQUARE) == masking.mask_key(SQUARE)
    assert masking.mask_key(SQUARE) != masking.mask_key(TRIANGLE)
    assert masking.mask_key(()) != masking.mask_key(SQUARE)


# --------------------------------------------------------------------------- transcoding


def decoded(path: Path) -> list[av.VideoFrame]:
    with av.open(str(path)) as container:
        return list(container.decode(video=0))


def assert_masked(frame: av.VideoFrame) -> None:
    """The square's inside is uniform grey (within the encoder's rounding); outside
    keeps the pattern's detail."""
    y = frame.to_ndarray(format="gray")
    h, w = y.shape
    inside = y[h // 4 + 4 : 3 * h // 4 - 4, w // 4 + 4 : 3 * w // 4 - 4].astype(int)
    assert abs(inside.mean() - masking.MASK_LUMA) < 3 and inside.std() < 2
    assert y[: h // 5].astype(int).std() > 20  # the test pattern, untouched


def test_transcode_masked_ts_two_inputs_continuous(pattern_ts: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "out.ts"
    seen: list[float] = []
    masking.transcode_masked(pattern_ts, out, SQUARE, progress=lambda f, _m: seen.append(f))
    frames = decoded(out)
    assert 95 <= len(frames) <= 101  # 4 s at 25 fps, across both files
    assert frames[-1].time - frames[0].time == pytest.approx(3.96, abs=0.1)
    assert seen[-1] == 1.0
    for frame in (frames[0], frames[50], frames[-1]):
        assert_masked(frame)
    # A keyframe every ~2 s.
    with av.open(str(out)) as container:
        keys = [p.pts for p in container.demux(video=0) if p.is_keyframe and p.pts is not None]
    assert 2 <= len(keys) <= 3


def test_transcode_masked_mp4_range(pattern_ts: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    masking.transcode_masked(pattern_ts, out, SQUARE, start_offset_s=1.5, duration_s=2.0)
    frames = decoded(out)
    assert 48 <= len(frames) <= 51
    assert_masked(frames[len(frames) // 2])


def test_transcode_masked_cancelled_leaves_nothing(pattern_ts: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "out.ts"
    with pytest.raises(masking.MaskingCancelled):
        masking.transcode_masked(pattern_ts, out, SQUARE, cancelled=lambda: True)
    assert not out.exists()


def test_transcode_masked_refuses_unknown_container(pattern_ts: list[Path], tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="container"):
        masking.transcode_masked(pattern_ts, tmp_path / "out.avi", SQUARE)


# --------------------------------------------------------------------------- polygons_for


def test_polygons_for_enabled_masks_only(db: None) -> None:
    camera = make_camera(make_member())
    assert masking.polygons_for(camera) == ()
    with as_system():
        PrivacyMask.objects.create(
            camera=camera, label="Door", polygons=[list(map(list, SQUARE[0]))]
        )
        PrivacyMask.objects.create(
            camera=camera, label="Window", polygons=[list(map(list, TRIANGLE[0]))], enabled=False
        )
    assert masking.polygons_for(camera) == SQUARE
    assert masking.polygons_for(camera.pk) == SQUARE


def test_keep_timestamps_and_masked_jpeg(pattern_ts: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "kept.ts"
    masking.transcode_masked([pattern_ts[1]], out, SQUARE, keep_timestamps=True)
    with av.open(str(pattern_ts[1])) as raw, av.open(str(out)) as masked:
        first_raw = next(iter(raw.decode(video=0))).time
        first_masked = next(iter(masked.decode(video=0))).time
    assert first_masked == pytest.approx(first_raw, abs=0.05)
    data = masking.masked_jpeg(pattern_ts[0], 1.0, SQUARE)
    assert data[:2] == b"\xff\xd8"
    picture = tmp_path / "t.jpg"
    picture.write_bytes(data)
    assert_masked(decoded(picture)[0])
