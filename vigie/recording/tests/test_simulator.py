"""Simulated RTSP cameras: real GStreamer server, real FFmpeg clients, 127.0.0.1 only."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from vigie.recording.simulator import FootageError, SimulatedCameras
from vigie.recording.simulator.cameras import camera_specs
from vigie.recording.simulator.footage import Clip

CLIENT_TIMEOUT = 30


def probe(url: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["ffprobe", "-v", "error", "-rtsp_transport", "tcp", "-select_streams", "v:0",
         "-show_entries", "stream=codec_name,width,height", "-of", "json", url],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def probe_result(process: subprocess.Popen[str]) -> dict[str, object]:
    try:
        out, err = process.communicate(timeout=CLIENT_TIMEOUT)
    finally:
        process.kill()
    assert process.returncode == 0, err
    return json.loads(out)["streams"][0]


def pull(
    url: str, target: Path, before: Sequence[str] = (), after: Sequence[str] = ()
) -> subprocess.Popen[str]:
    """FFmpeg copying the stream into ``target`` (``before``/``after``: input/output options)."""
    return subprocess.Popen(
        ["ffmpeg", "-nostdin", "-v", "error", "-rtsp_transport", "tcp", *before, "-i", url,
         "-c", "copy", *after, "-y", str(target)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def finish(process: subprocess.Popen[str], timeout: float = CLIENT_TIMEOUT) -> int:
    try:
        process.wait(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return process.returncode


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0): look at its state.
    state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    return state != "Z"


@pytest.fixture(scope="module")
def cameras() -> Iterator[SimulatedCameras]:
    with SimulatedCameras(3) as started:
        yield started
    assert started.process is None


def test_each_camera_serves_h264_at_the_pattern_size(cameras: SimulatedCameras) -> None:
    assert cameras.urls == [f"rtsp://127.0.0.1:{cameras.port}/cam{i}" for i in (1, 2, 3)]
    probes = [probe(url) for url in cameras.urls]
    for process in probes:
        stream = probe_result(process)
        assert (stream["codec_name"], stream["width"], stream["height"]) == ("h264", 1280, 720)


def test_stream_copy_gives_decodable_video(cameras: SimulatedCameras, tmp_path: Path) -> None:
    target = tmp_path / "out.ts"
    client = pull(cameras.url(1), target, after=("-t", "5"))
    assert finish(client) == 0, client.stderr.read() if client.stderr else ""
    decoded = subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
         "-show_entries", "stream=nb_read_frames,codec_name:format=duration", "-of", "json",
         str(target)],
        capture_output=True, text=True, timeout=CLIENT_TIMEOUT, check=True,
    )  # fmt: skip
    info = json.loads(decoded.stdout)
    assert float(info["format"]["duration"]) >= 4
    assert int(info["streams"][0]["nb_read_frames"]) >= 4 * 25
    errors = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(target), "-f", "null", "-"],
        capture_output=True, text=True, timeout=CLIENT_TIMEOUT,
    )  # fmt: skip
    assert errors.returncode == 0
    assert errors.stderr.strip() == ""


def test_stopped_camera_ends_its_clients_and_comes_back(
    cameras: SimulatedCameras, tmp_path: Path
) -> None:
    client = pull(cameras.url(2), tmp_path / "long.ts")
    wait_for_bytes(tmp_path / "long.ts", client)
    other = pull(cameras.url(3), tmp_path / "other.ts")
    wait_for_bytes(tmp_path / "other.ts", other)
    cameras.stop_camera(2)
    assert finish(client, 10) == 0  # FFmpeg 5.1 sees the end as a normal end
    refused = probe(cameras.url(2))
    _, err = refused.communicate(timeout=CLIENT_TIMEOUT)
    assert refused.returncode != 0
    assert "404" in err
    assert other.poll() is None  # the other cameras are unaffected
    other.kill()
    other.wait()
    cameras.start_camera(2)
    assert probe_result(probe(cameras.url(2)))["codec_name"] == "h264"


def test_frozen_camera_keeps_the_connection_but_sends_nothing(
    cameras: SimulatedCameras, tmp_path: Path
) -> None:
    target = tmp_path / "frozen.ts"
    # -timeout (µs) is FFmpeg's only guard against a silent source: it gives up.
    client = pull(cameras.url(3), target, before=("-timeout", "1000000"))
    wait_for_bytes(target, client)
    cameras.freeze_camera(3)
    try:
        started = time.monotonic()
        finish(client, 15)
        assert time.monotonic() - started >= 1  # it waited on an open connection
    finally:
        cameras.thaw_camera(3)
    assert probe_result(probe(cameras.url(3)))["width"] == 1280


def wait_for_bytes(target: Path, client: subprocess.Popen[str], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not (target.exists() and target.stat().st_size > 0):
        assert client.poll() is None, client.stderr.read() if client.stderr else ""
        assert time.monotonic() < deadline, "no data from the simulated camera"
        time.sleep(0.1)


def test_the_server_is_gone_after_stop_and_when_its_parent_goes() -> None:
    cameras = SimulatedCameras(1)
    with cameras:
        pid = cameras.pid
        assert pid is not None and alive(pid)
    assert not alive(pid)
    with SimulatedCameras(1) as orphan:
        process = orphan.process
        assert process is not None and process.stdin is not None
        process.stdin.close()  # what the child sees when its parent dies
        assert process.wait(timeout=10) == 0


def test_real_footage_keeps_its_size_and_is_cached(tmp_path: Path) -> None:
    folder, cache = tmp_path / "footage", tmp_path / "cache"
    folder.mkdir()
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=15",
         "-t", "3", "-c:v", "mpeg4", str(folder / "clip.avi")],
        check=True, timeout=CLIENT_TIMEOUT,
    )  # fmt: skip
    for codec, name in (("h264", "h264"), ("h265", "hevc")):
        with SimulatedCameras(2, footage=folder, codec=codec, cache=cache) as cams:
            assert cams.clips[0].fps == "15"
            stream = probe_result(probe(cams.url(2)))
            assert (stream["codec_name"], stream["width"], stream["height"]) == (name, 320, 240)
    made = {path: path.stat().st_mtime_ns for path in cache.iterdir()}
    assert len(made) == 4  # one clip and its metadata per codec
    with SimulatedCameras(1, footage=folder, cache=cache) as again:
        assert again.clips[0].path in {str(path) for path in made}
    assert {path: path.stat().st_mtime_ns for path in cache.iterdir()} == made


def test_cameras_sharing_a_clip_are_staggered() -> None:
    clips = [
        Clip("/a.h264", "h264", "25", 1280, 720, 30.0, "a"),
        Clip("/b.h264", "h264", "30", 640, 480, 12.0, "b"),
    ]
    specs = camera_specs(5, clips)
    assert [spec["clip"] for spec in specs] == ["/a.h264", "/b.h264"] * 2 + ["/a.h264"]
    assert [spec["offset"] for spec in specs] == [0.0, 0.0, 10.0, 6.0, 20.0]
    assert [spec["path"] for spec in specs] == [f"/cam{i}" for i in range(1, 6)]


def test_the_command_prints_the_urls_and_stops_on_sigterm() -> None:
    command = subprocess.Popen(
        [sys.executable, "-m", "vigie.cli", "simulate-cameras", "--count", "2", "--port", "0",
         "--user", "viewer", "--password", "s3cret"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert command.stdout is not None
        urls: list[str] = []
        for line in command.stdout:
            if line.startswith("rtsp://"):
                urls.append(line.strip())
            if line.startswith("serving"):
                break
        assert [url.rsplit("/", 1)[1] for url in urls] == ["cam1", "cam2"]
        assert all(url.startswith("rtsp://viewer:s3cret@127.0.0.1:") for url in urls)
        assert probe_result(probe(urls[1]))["codec_name"] == "h264"
        children = Path(f"/proc/{command.pid}/task/{command.pid}/children").read_text().split()
        command.send_signal(signal.SIGTERM)
        assert command.wait(timeout=15) == 0
        assert children and not any(alive(int(child)) for child in children)
    finally:
        if command.poll() is None:
            command.kill()
            command.wait()


def test_the_fixture_starts_cameras_for_other_tests(
    rtsp_cameras: Callable[..., SimulatedCameras],
) -> None:
    cams = rtsp_cameras(2)
    assert cams.pid is not None and alive(cams.pid)
    assert probe_result(probe(cams.url(2)))["codec_name"] == "h264"


# ------------------------------------------------------------------ credentials and variants

USER, PASSWORD = "opérateur", "p@ss:word"  # characters a URL must escape


@pytest.fixture(scope="module")
def varied() -> Iterator[SimulatedCameras]:
    variants = {2: ["aac"], 3: ["h264@640x360", "h265@640x360"], 4: ["h264@640x360+320x180"]}
    with SimulatedCameras(4, auth=(USER, PASSWORD), variants=variants) as started:
        yield started


def streams_of(url: str) -> tuple[int, list[dict[str, object]], str]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-rtsp_transport", "tcp",
         "-show_entries", "stream=codec_type,codec_name,width,height", "-of", "json", url],
        capture_output=True, text=True, timeout=CLIENT_TIMEOUT, check=False,
    )  # fmt: skip
    streams = json.loads(out.stdout or "{}").get("streams", [])
    return out.returncode, streams, out.stderr


def test_cameras_ask_for_credentials(varied: SimulatedCameras) -> None:
    for url in (varied.url(1), varied.url(1, USER, "wrong")):
        code, _, err = streams_of(url)
        assert code != 0 and "401 Unauthorized" in err
    code, streams, err = streams_of(varied.url(1, USER, PASSWORD))
    assert code == 0, err
    assert [(s["codec_name"], s["width"]) for s in streams] == [("h264", 1280)]


def test_an_audio_only_camera_sends_no_video(varied: SimulatedCameras, tmp_path: Path) -> None:
    url = varied.url(2, USER, PASSWORD)
    code, streams, err = streams_of(url)
    assert code == 0, err
    assert [(s["codec_type"], s["codec_name"]) for s in streams] == [("audio", "aac")]
    client = pull(url, tmp_path / "audio.mka", after=("-t", "2"))
    assert finish(client) == 0  # real audio flows, not just a description


def test_a_switched_camera_drops_its_clients_and_comes_back_in_the_other_codec(
    varied: SimulatedCameras, tmp_path: Path
) -> None:
    url = varied.url(3, USER, PASSWORD)
    assert [s["codec_name"] for s in streams_of(url)[1]] == ["h264"]
    target = tmp_path / "before.ts"
    client = pull(url, target)
    wait_for_bytes(target, client)
    varied.switch_camera(3)
    assert finish(client, 10) == 0  # the session ends, as when a camera is reconfigured
    assert [(s["codec_name"], s["width"]) for s in streams_of(url)[1]] == [("hevc", 640)]
    varied.switch_camera(3)  # variants cycle
    assert [s["codec_name"] for s in streams_of(url)[1]] == ["h264"]
    with pytest.raises(ValueError, match="no variants"):
        varied.switch_camera(1)


def test_a_resizing_camera_changes_size_inside_one_session(
    varied: SimulatedCameras, tmp_path: Path
) -> None:
    target = tmp_path / "resize.ts"
    # 6 s per size: 8 s of stream hold a change wherever in its loop the camera is.
    client = pull(varied.url(4, USER, PASSWORD), target, after=("-t", "8"))
    assert finish(client) == 0
    frames = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "frame=width", "-of", "csv=p=0",
         str(target)],
        capture_output=True, text=True, timeout=CLIENT_TIMEOUT, check=True,
    ).stdout.split()  # fmt: skip
    widths = [int(w.strip(",")) for w in frames]
    assert {640, 320} <= set(widths)  # both sizes, decoded without error, one connection
    changes = sum(1 for a, b in itertools.pairwise(widths) if a != b)
    assert 1 <= changes <= 3


def test_unknown_variants_are_refused() -> None:
    for bad in ("vp9", "h264@641x360", "h264@x"):
        with pytest.raises(FootageError):
            SimulatedCameras(1, variants={1: [bad]})
    with pytest.raises(ValueError):
        SimulatedCameras(1, variants={2: ["aac"]})
