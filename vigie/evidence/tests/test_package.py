"""The evidence package: its content, the MP4s it holds, gaps, errors and cancelling."""

from __future__ import annotations

import itertools
import json
import subprocess
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import av
import pytest
from django.utils import translation

from vigie.evidence import mp4export
from vigie.evidence import package as pkg
from vigie.evidence.package import ExportCancelled, PackageError, build_package
from vigie.evidence.tests.package_support import (
    FPS,
    T0,
    Built,
    Footage,
    built,
    footage,
    item,
    make_footage,
    request,
)
from vigie.evidence.verify import verify_package

__all__ = ["built", "footage"]  # fixtures
FRAME = 1 / FPS
PROBE = ["ffprobe", "-v", "error"]
OPENSSL_VERIFY = ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", "public-key.pem", "-rawin"]


def probe(path: Path) -> dict[str, Any]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out)


def packet_times(path: Path) -> list[float]:
    out = subprocess.run(
        [
            *PROBE,
            "-select_streams",
            "v",
            "-show_entries",
            "packet=pts_time",
            "-of",
            "csv=p=0",
            str(path),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return sorted(float(x) for x in out.split())


def subtitles(path: Path) -> str:
    return subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-map", "0:s", "-f", "srt", "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def manifest(directory: Path) -> dict[str, Any]:
    return json.loads((directory / pkg.MANIFEST).read_text())


def test_the_package_holds_every_part_and_passes_both_checks(built: Built) -> None:
    result = built.result
    assert result.directory.is_dir()
    assert result.zip_path is not None and result.zip_path.is_file()
    assert result.iso_path is not None and result.iso_path.is_file()
    names = set(result.files)
    assert set(pkg.FIXED_FILES) <= names
    assert len([n for n in names if n.endswith(".mp4")]) == 2
    assert (result.directory / pkg.MANIFEST_SIG).stat().st_size == 64
    check = subprocess.run(
        ["sha256sum", "-c", pkg.SUMS], cwd=result.directory, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count(": OK") == len(names) - 2  # all but SHA256SUMS and its .sig
    for form in (result.directory, result.zip_path, result.iso_path):
        report = verify_package(form)
        assert report.ok, (form, report.problems)
        assert any("expected key" in line for line in report.checked)


def test_the_signature_checks_with_openssl_alone(built: Built) -> None:
    # openssl is installed for the tests (scripts/install-system.sh --test).
    d = built.result.directory
    for signed, sig in ((pkg.MANIFEST, pkg.MANIFEST_SIG), (pkg.SUMS, pkg.SUMS_SIG)):
        out = subprocess.run(
            [*OPENSSL_VERIFY, "-in", signed, "-sigfile", sig],
            cwd=d,
            capture_output=True,
            text=True,
        )
        assert out.returncode == 0, out.stdout + out.stderr


def test_the_zip_unpacks_to_the_package_directory(built: Built, tmp_path: Path) -> None:
    assert built.result.zip_path is not None
    with zipfile.ZipFile(built.result.zip_path) as zf:
        infos = {i.filename: i for i in zf.infolist()}
        zf.extractall(tmp_path)
    name = built.result.directory.name
    videos = [i for n, i in infos.items() if n.endswith(".mp4")]
    assert videos and all(i.compress_type == zipfile.ZIP_STORED for i in videos)
    assert all(n.startswith(f"{name}/") for n in infos)
    out = subprocess.run(["sha256sum", "-c", pkg.SUMS], cwd=tmp_path / name, capture_output=True)
    assert out.returncode == 0


def test_the_manifest_says_what_was_asked_and_what_is_in(built: Built) -> None:
    data = manifest(built.result.directory)
    assert data["hash_algorithm"] == "SHA-256"
    assert data["requisition"]["procedure_number"] == "2026/00123"
    assert data["member"]["insee_code"] == "92002"
    assert data["operator"] == "Claire Dupont (cdupont)"
    assert data["software_version"] == "vigie 0.test"
    first = data["items"][0]
    location = "Place de la Gare, Antony"
    assert first["camera"] == {"id": 7, "name": "ANT-GARE-01", "location": location}
    assert first["asked"]["start"] == {
        "utc": "2026-11-20T07:00:02.500Z",
        "europe_paris": "2026-11-20T08:00:02.500+01:00",
    }
    # Cut at the keyframe before the start (every 2 s), up to the asked end.
    assert first["included"]["start"]["utc"] == "2026-11-20T07:00:02.000Z"
    assert first["included"]["end"]["utc"] >= "2026-11-20T07:00:09.000Z"
    assert first["method"].startswith("stream copy")
    listed = {f["name"]: f for f in data["files"]}
    assert first["file"] in listed and pkg.README in listed and pkg.PUBLIC_KEY in listed
    assert [s["sha256"][-1] for s in first["source_segments"]] == ["0", "1", "2"]


def test_the_report_is_a_pdf(built: Built) -> None:
    assert (built.result.directory / pkg.REPORT).read_bytes().startswith(b"%PDF-")
    readme = (built.result.directory / pkg.README).read_text()
    assert "sha256sum -c SHA256SUMS" in readme and "vigie evidence verify" in readme


def test_the_mp4_plays_with_video_and_timestamp_subtitles(built: Built) -> None:
    data = manifest(built.result.directory)
    path = built.result.directory / data["items"][0]["file"]
    info = probe(path)
    kinds = {s["codec_type"]: s for s in info["streams"]}
    assert kinds["video"]["codec_name"] == "h264"
    assert kinds["video"]["width"] == 160
    assert kinds["subtitle"]["codec_name"] == "mov_text"
    # Asked 6.5 s from 2.5 s: starts at the keyframe of 2 s, so about 7 s.
    assert 6.5 <= float(kinds["video"]["duration"]) <= 6.5 + 2 + 0.2
    assert path.read_bytes()[:64].find(b"moov") > 0  # faststart: the index comes first
    text = subtitles(path)
    assert "2026-11-20 08:00:02 Europe/Paris — ANT-GARE-01, Place de la Gare, Antony" in text
    assert "2026-11-20 08:00:08 Europe/Paris" in text
    decode = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-f", "null", "-"],
        capture_output=True,
        text=True,
    )
    assert decode.returncode == 0 and decode.stderr == ""


def test_a_cut_across_two_segments_is_continuous(footage: Footage, tmp_path: Path) -> None:
    result = build_package(request(item(footage, 2.5, 6.5)), tmp_path)
    data = manifest(result.directory)
    path = result.directory / data["items"][0]["file"]
    times = packet_times(path)
    steps = {round(b - a, 3) for a, b in itertools.pairwise(times)}
    assert steps == {round(FRAME, 3)}, steps  # no hole, no repeat at the segment boundary
    assert len(times) >= (6.5 - 2.0) * FPS - 3  # B-frames at the very end may go
    assert [p["source"] for p in data["items"][0]["pieces"]] == ["seg000.ts", "seg001.ts"]
    seconds = [line[11:19] for line in subtitles(path).splitlines() if "Europe/Paris" in line]
    assert seconds[0] == "08:00:02" and seconds[-1] == "08:00:06"
    assert data["partial"] is False and data["notes"] == []


def test_gaps_are_stated_with_their_cause(footage: Footage, tmp_path: Path) -> None:
    gap = (T0 + timedelta(seconds=8), T0 + timedelta(seconds=12), "Camera unreachable")
    result = build_package(
        request(item(footage, 5.0, 15.0, segments=(0, 1, 3), gaps=(gap,))), tmp_path
    )
    data = manifest(result.directory)
    entry = data["items"][0]
    assert data["partial"] is True and result.partial
    at8 = {"utc": "2026-11-20T07:00:08.000Z", "europe_paris": "2026-11-20T08:00:08.000+01:00"}
    at12 = {"utc": "2026-11-20T07:00:12.000Z", "europe_paris": "2026-11-20T08:00:12.000+01:00"}
    assert entry["gaps"] == [
        {"start": at8, "end": at12, "seconds": 4.0, "cause": "Camera unreachable"}
    ]
    assert entry["recorder_gaps"][0]["cause"] == "Camera unreachable"
    assert any("no footage from" in n and "Camera unreachable" in n for n in data["notes"])
    assert len(result.notes) == len(data["notes_fr"]) == len(data["notes"])
    # The subtitles jump over the hole: the images keep their true time.
    text = subtitles(result.directory / entry["file"])
    assert "08:00:07 Europe" in text and "08:00:12 Europe" in text
    assert "08:00:09 Europe" not in text
    assert verify_package(result.directory).ok


def test_a_range_beyond_the_footage_is_clipped_and_said(footage: Footage, tmp_path: Path) -> None:
    result = build_package(request(item(footage, 14.0, 30.0)), tmp_path)
    data = manifest(result.directory)
    assert data["items"][0]["gaps"][0]["cause"].startswith("no footage stored")
    assert any("footage ends at" in n for n in data["notes"])
    assert data["items"][0]["included"]["end"]["utc"] <= "2026-11-20T07:00:20.100Z"


def test_an_item_without_footage_is_stated_beside_one_with(
    footage: Footage, tmp_path: Path
) -> None:
    result = build_package(
        request(item(footage, 0.0, 4.0), item(footage, 0.0, 4.0, segments=(), name="CAM-2")),
        tmp_path,
    )
    data = manifest(result.directory)
    assert data["items"][1]["file"] is None and data["items"][1]["included"] is None
    assert any("CAM-2: no footage at all" in n for n in data["notes"])


@pytest.mark.parametrize(
    ("segments", "start", "end", "message"),
    [
        ((), 0.0, 4.0, "No recorded footage in the asked range"),
        (None, 4.0, 4.0, "the range is empty"),
        (None, 6.0, 3.0, "the range is empty"),
    ],
)
def test_bad_ranges_are_refused_clearly(
    footage: Footage,
    tmp_path: Path,
    segments: tuple[int, ...] | None,
    start: float,
    end: float,
    message: str,
) -> None:
    with pytest.raises(PackageError, match=message):
        build_package(request(item(footage, start, end, segments=segments)), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_missing_segment_file_is_a_stated_hole(footage: Footage, tmp_path: Path) -> None:
    gone = item(footage, 0.0, 8.0)
    lost = pkg.SegmentFile(tmp_path / "gone.ts", footage.start(1), footage.start(2), "")
    broken = pkg.ExportItem(**{**gone.__dict__, "segments": (gone.segments[0], lost)})
    with translation.override("en"):  # PackageResult.notes: in the caller's language
        result = build_package(request(broken), tmp_path / "out")
    assert any("gone.ts" in n and "missing" in n for n in result.notes)
    assert result.partial and result.notes == tuple(manifest(result.directory)["notes"])


def test_no_package_at_all_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PackageError, match="names no camera"):
        build_package(request(), tmp_path)


def test_cancelling_at_any_point_leaves_nothing(footage: Footage, tmp_path: Path) -> None:
    def build(out: Path, stop_at: int | None) -> int:
        calls = 0

        def cancelled() -> bool:
            nonlocal calls
            calls += 1
            return stop_at is not None and calls >= stop_at

        request_ = request(item(footage, 0.0, 20.0), item(footage, 0.0, 20.0, name="B"))
        build_package(request_, out, cancelled=cancelled, make_iso=True)
        return calls

    total = build(tmp_path / "whole", None)
    assert total > 4
    for stop_at in (1, 2, total // 2):
        out = tmp_path / f"cancel-{stop_at}"
        with pytest.raises(ExportCancelled):
            build(out, stop_at)
        assert list(out.iterdir()) == [], stop_at
    # Near the end the items' worker threads may ask a few times less than in the whole
    # run: a cancel then either leaves nothing or comes too late, after a whole package.
    for stop_at in (total - 1, total):
        out = tmp_path / f"cancel-{stop_at}"
        try:
            build(out, stop_at)
        except ExportCancelled:
            assert list(out.iterdir()) == [], stop_at
        else:
            assert verify_package(next(out.iterdir())).ok, stop_at


def test_an_error_midway_leaves_nothing(
    footage: Footage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> bytes:
        raise RuntimeError("PDF engine down")

    monkeypatch.setattr("vigie.evidence.report.render_report", broken)
    with pytest.raises(RuntimeError, match="PDF engine down"):
        build_package(request(item(footage, 0.0, 4.0)), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_progress_runs_from_zero_to_one(footage: Footage, tmp_path: Path) -> None:
    seen: list[tuple[float, str]] = []
    build_package(
        request(item(footage, 0.0, 20.0), item(footage, 0.0, 8.0, name="B")),
        tmp_path,
        progress=lambda f, t: seen.append((f, t)),
    )
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert any("Footage: 2/2 cameras done" in t for _, t in seen)


def test_package_names_are_safe_and_unique(footage: Footage, tmp_path: Path) -> None:
    request_ = request(item(footage, 0.0, 4.0), reference="../../etc/passwd PV 12")
    first = build_package(request_, tmp_path)
    second = build_package(request_, tmp_path)
    assert first.directory.parent == tmp_path
    assert first.directory.name.startswith("etc-passwd-PV-12-")
    assert second.directory != first.directory
    # No zip unless asked: it is made from the directory when downloaded.
    assert first.zip_path is None
    assert {p.name for p in tmp_path.iterdir()} == {first.directory.name, second.directory.name}


SQUARE = (((0.0, 0.0), (0.5, 0.0), (0.5, 0.5), (0.0, 0.5)),)


def test_a_masked_item_is_reencoded_with_the_mask_and_the_subtitles(
    footage: Footage, tmp_path: Path
) -> None:
    pytest.importorskip("vigie.recording.masking")
    gap = (T0 + timedelta(seconds=8), T0 + timedelta(seconds=12), "Camera unreachable")
    result = build_package(
        request(item(footage, 1.3, 14.0, segments=(0, 1, 3), gaps=(gap,), masks=SQUARE)),
        tmp_path,
    )
    data = manifest(result.directory)
    entry = data["items"][0]
    assert entry["method"].startswith("masked re-encode") and entry["masks"] == [
        [[0.0, 0.0], [0.5, 0.0], [0.5, 0.5], [0.0, 0.5]]
    ]
    path = result.directory / entry["file"]
    kinds = {s["codec_type"]: s for s in probe(path)["streams"]}
    assert kinds["video"]["codec_name"] == "h264" and kinds["subtitle"]["codec_name"] == "mov_text"
    # 1.3 → 8 then 12 → 14: 8.7 s of footage, the hole closed up.
    assert 8.5 <= float(kinds["video"]["duration"]) <= 8.9
    assert entry["included"]["start"]["utc"] == "2026-11-20T07:00:01.320Z"  # first frame ≥ 1.3 s
    assert [p["start"]["utc"][17:23] for p in entry["pieces"]] == ["01.320", "12.000"]
    text = subtitles(path)
    assert "08:00:01 Europe" in text and "08:00:12 Europe" in text and "08:00:09" not in text
    assert not list(tmp_path.glob("**/.masked-*"))
    assert verify_package(result.directory).ok
    frame = next(av.open(str(path)).decode(video=0)).to_ndarray(format="gray")
    masked = frame[: frame.shape[0] // 2 - 2, : frame.shape[1] // 2 - 2]
    assert masked.std() < 1.0 and frame[frame.shape[0] // 2 + 4 :, :].std() > 10


def test_the_remux_stops_midway_when_asked(footage: Footage, tmp_path: Path) -> None:
    asked: list[int] = []

    def cancelled() -> bool:
        asked.append(1)
        return len(asked) >= 3

    pieces = [mp4export.Piece(p, footage.start(n)) for n, p in enumerate(footage.paths)]
    with pytest.raises(mp4export.RemuxCancelled):
        mp4export.remux(pieces, tmp_path / "out.mp4", str, cancelled=cancelled)
    assert len(asked) == 3  # asked once per piece at least, and it stopped at once


def test_an_unreadable_or_different_segment_is_left_out_and_said(
    footage: Footage, tmp_path: Path
) -> None:
    junk = tmp_path / "junk.ts"
    junk.write_bytes(b"\x47" + b"\x00" * 5000)
    other = make_footage(tmp_path / "other", size="320x240", count=1).paths[0]
    base = item(footage, 0.0, 16.0)
    files = list(base.segments)
    files[1] = pkg.SegmentFile(junk, files[1].start, files[1].end, "")
    files[2] = pkg.SegmentFile(other, files[2].start, files[2].end, "")
    broken = pkg.ExportItem(**{**base.__dict__, "segments": tuple(files)})
    result = build_package(request(broken), tmp_path / "out")
    data = manifest(result.directory)
    assert result.partial and data["partial"]
    notes = " ".join(data["notes"])
    assert "junk.ts left out" in notes and "seg000.ts left out" in notes, notes
    assert "differs from the first piece" in notes
    assert [p["source"] for p in data["items"][0]["pieces"]] == ["seg000.ts", "seg003.ts"]
    assert verify_package(result.directory).ok


def test_the_report_lists_the_requisition_the_files_and_the_key(built: Built) -> None:
    from django.template.loader import render_to_string
    from django.utils import translation

    from vigie.evidence import report

    d = built.result.directory
    data = manifest(d)
    sums: dict[str, str] = {}
    for line in (d / pkg.SUMS).read_text().splitlines():
        sha, name = line.split("  ", 1)
        sums[name] = sha
    hashes = {n: ((d / n).stat().st_size, sha) for n, sha in sums.items() if n != pkg.REPORT}
    with translation.override("fr"):
        context = report.report_context(data, built.result.manifest_sha256, hashes)
        html = render_to_string(report.TEMPLATE, {"print_css": "", **context})
    for text in (
        "2026/00123",
        "Brigadier Martin",
        "Vol à l&#x27;arraché",
        "Antony",
        "92002",
        "Claire Dupont (cdupont)",
        "vigie 0.test",
        "ANT-GARE-02",
        "2026-11-20T08:00:02.500+01:00",
        "2026-11-20T07:00:02.500Z",
        built.result.manifest_sha256,
        data["signature"]["public_key_sha256"],
        *[sha for n, sha in sums.items() if n.endswith(".mp4")],
    ):
        assert text in html, text
