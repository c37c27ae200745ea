"""Pure parts of playback: ranges, planning byte ranges, the playlist text, spans,
reason tokens and live names (table-tested, no database)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from django.core import signing
from django.utils import translation

from vigie.recording import playback as pb
from vigie.recording.tsindex import Keyframe, TsIndex

T0 = datetime(2025, 3, 14, 8, 0, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Messages are checked in English, their msgids (the UI speaks French)."""
    with translation.override("en"):
        yield


def s(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def index(duration: float, keyframes: list[tuple[int, float]], size: int, origin: int) -> TsIndex:
    return TsIndex(
        size=size,
        mtime_ns=0,
        video_pid=256,
        stream_type=0x1B,
        duration=duration,
        pts_origin=origin,
        keyframes=[Keyframe(o, p) for o, p in keyframes],
    )


# Two contiguous 10 s segments (keyframes every 4 s; timestamps follow on), then a
# third one after a 30 s hole.
SEG1 = pb.SegmentRef(1, s(0), s(10), 1000, index(10, [(0, 0), (400, 4), (800, 8)], 1000, 9000))
SEG2 = pb.SegmentRef(
    2, s(10), s(20), 1000, index(10, [(0, 0), (400, 4), (800, 8)], 1000, 9000 + 900_000)
)
SEG3 = pb.SegmentRef(3, s(50), s(60), 500, index(10, [(0, 0), (250, 5)], 500, 5))
WHOLE = pb.SegmentRef(4, s(60), s(70), 700, None)  # no index: listed whole


@pytest.mark.parametrize(
    ("segment", "min_part", "expected"),
    [
        # (offset, length, start seconds, duration)
        (SEG1, 2.0, [(0, 400, 0, 4), (400, 400, 4, 4), (800, 200, 8, 2)]),
        # Short keyframe groups are merged; a short tail joins the range before it.
        (SEG1, 5.0, [(0, 1000, 0, 10)]),
        (SEG1, 9.0, [(0, 1000, 0, 10)]),
        (WHOLE, 2.0, [(0, 700, 60, 10)]),
    ],
)
def test_segment_parts(segment: pb.SegmentRef, min_part: float, expected: list) -> None:
    parts = pb.segment_parts(segment, min_part)
    got = [(p.offset, p.length, (p.start - T0).total_seconds(), p.duration) for p in parts]
    assert got == expected
    assert sum(p.length for p in parts) == segment.size


def test_short_tail_folds_into_previous_range() -> None:
    seg = pb.SegmentRef(9, s(0), s(8.5), 900, index(8.5, [(0, 0), (400, 4), (850, 8)], 900, 0))
    parts = pb.segment_parts(seg, 2.0)
    assert [(p.offset, p.length, p.duration) for p in parts] == [(0, 400, 4), (400, 500, 4.5)]


def plan(start: float, end: float) -> list[tuple[int, int, bool, bool]]:
    parts = pb.plan_parts([SEG3, SEG1, WHOLE, SEG2], s(start), s(end))
    return [(p.segment_id, p.offset, p.discontinuity, p.date_time) for p in parts]


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # Within one keyframe group: just that byte range.
        (5, 6, [(1, 400, False, True)]),
        # Across a segment boundary with continuous timestamps: no discontinuity.
        (9, 11, [(1, 800, False, True), (2, 0, False, True)]),
        # Across the 30 s hole: a discontinuity where the footage resumes.
        (15, 52, [(2, 400, False, True), (2, 800, False, False), (3, 0, True, True)]),
        # Into a segment without an index.
        (58, 61, [(3, 250, False, True), (4, 0, False, True)]),
        # Inside the hole only: nothing.
        (25, 45, []),
        # Range ends exactly where a part starts: that part is not included.
        (0, 4, [(1, 0, False, True)]),
    ],
)
def test_plan_parts(start: float, end: float, expected: list) -> None:
    assert plan(start, end) == expected


def test_timestamp_reset_without_a_hole_is_a_discontinuity() -> None:
    restarted = pb.SegmentRef(5, s(10), s(20), 1000, index(10, [(0, 0)], 1000, 123))
    parts = pb.plan_parts([SEG1, restarted], s(0), s(20))
    assert [p.discontinuity for p in parts] == [False, False, False, True]


def test_render_playlist() -> None:
    gaps = [pb.GapRef(s(20), s(50), "stalled", "No data (stalled)")]
    parts = pb.plan_parts([SEG1, SEG2, SEG3], s(5), s(55))
    text = pb.render_playlist(parts, lambda i: f"/seg/{i}.ts?t=x", s(5), s(55), gaps)
    lines = text.splitlines()
    assert lines[:6] == [
        "#EXTM3U",
        "#EXT-X-VERSION:4",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        "#EXT-X-TARGETDURATION:5",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-INDEPENDENT-SEGMENTS",
    ]
    assert "# gap 2025-03-14T08:00:20.000Z/2025-03-14T08:00:50.000Z stalled" in lines
    # The range starts 1 s into the first byte range: the player starts there.
    assert "#EXT-X-START:TIME-OFFSET=1.000,PRECISE=YES" in lines
    first = lines.index("#EXT-X-PROGRAM-DATE-TIME:2025-03-14T08:00:04.000Z")
    assert lines[first + 1 : first + 4] == [
        "#EXTINF:4.000000,",
        "#EXT-X-BYTERANGE:400@400",
        "/seg/1.ts?t=x",
    ]
    disc = lines.index("#EXT-X-DISCONTINUITY")
    assert lines[disc + 1] == "#EXT-X-PROGRAM-DATE-TIME:2025-03-14T08:00:50.000Z"
    assert lines.count("#EXT-X-DISCONTINUITY") == 1
    assert lines.count("#EXT-X-PROGRAM-DATE-TIME:2025-03-14T08:00:10.000Z") == 1
    assert lines[-1] == "#EXT-X-ENDLIST"
    assert sum(1 for line in lines if line.startswith("#EXTINF")) == 6


def test_empty_playlist_says_so() -> None:
    gaps = [pb.GapRef(s(20), None, "connect_failed")]
    text = pb.render_playlist([], str, s(25), s(45), gaps)
    assert "# no footage in this range" in text
    assert "# gap 2025-03-14T08:00:20.000Z/ connect_failed" in text
    assert "#EXTINF" not in text and text.endswith("#EXT-X-ENDLIST\n")


RECORDED = (s(0), s(3600))


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2025-03-14T08:10:00Z", "2025-03-14T08:05:00Z", "must come after"),
        ("2025-03-14T08:10:00Z", "2025-03-14T08:10:00Z", "must come after"),
        ("2025-03-14T00:00:00Z", "2025-03-15T00:00:01Z", "may not exceed 24 hours"),
        ("yesterday", "2025-03-14T08:05:00Z", "is not a date"),
        ("", "2025-03-14T08:05:00Z", "Give a date and time"),
        ("2025-03-14T09:00:00Z", "2025-03-14T10:00:00Z", "outside the recorded period"),
        ("2025-03-14T06:00:00Z", "2025-03-14T08:00:00Z", "outside the recorded period"),
    ],
)
def test_parse_range_refuses(start: str, end: str, message: str) -> None:
    with pytest.raises(pb.RangeError, match=message):
        pb.parse_range(start, end, RECORDED)


def test_parse_range_accepts() -> None:
    # Offsets, a "+" decoded as a space, naive times in the server's zone (Paris).
    got = pb.parse_range("2025-03-14T09:30:00 01:00", "2025-03-14T08:45:00+00:00", RECORDED)
    assert got == (s(30 * 60), s(45 * 60))
    naive = pb.parse_range("2025-03-14T09:10:00", "2025-03-14T09:20", RECORDED)
    assert naive == (s(600), s(1200))
    with pytest.raises(pb.RangeError, match="Nothing has been recorded"):
        pb.parse_range("2025-03-14T09:10:00", "2025-03-14T09:20", None)


def test_merge_and_clip_spans() -> None:
    intervals = [(s(10), s(20)), (s(0), s(10.2)), (s(20.3), s(30)), (s(40), s(50))]
    assert pb.merge_spans(intervals) == [(s(0), s(30)), (s(40), s(50))]
    assert pb.clip(pb.merge_spans(intervals), s(5), s(45)) == [(s(5), s(30)), (s(40), s(45))]


def test_reason_tokens() -> None:
    token = pb.issue_token(7, 3, "Réquisition 2025/123")
    grant = pb.read_token(token, 7, 3)
    assert grant is not None and grant.reason == "Réquisition 2025/123"
    assert pb.read_token(token, 8, 3) is None  # someone else's
    assert pb.read_token(token, 7, 4) is None  # another camera
    assert pb.read_token(token[:-2] + "xx", 7, 3) is None  # forged
    assert pb.read_token("", 7, 3) is None
    assert pb.read_token(token, 7, 3, max_age=timedelta(seconds=-1)) is None  # expired
    short = signing.dumps({"u": 7, "c": 3, "r": "x", "n": "1"}, salt=pb.TOKEN_SALT)
    assert pb.read_token(short, 7, 3) is None  # a reason too short to count
    other_salt = signing.dumps({"u": 7, "c": 3, "r": "long enough", "n": "1"})
    assert pb.read_token(other_salt, 7, 3) is None


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("part00012.ts", True),
        ("index.m3u8", True),
        ("../index.m3u8", False),
        ("..", False),
        ("part.ts.m3u8", False),
        ("part/../../x.ts", False),
        (".hidden.ts", False),
        ("x" * 81 + ".ts", False),
        ("part 1.ts", False),
    ],
)
def test_live_part_names(name: str, ok: bool, tmp_path: object) -> None:
    valid = name == pb.LIVE_PLAYLIST or bool(pb.LIVE_PART_NAME.fullmatch(name))
    assert valid is ok


def test_live_session_window() -> None:
    seen: dict[str, float] = {}
    assert pb.live_session_starts(seen, 1, 1000.0)
    assert not pb.live_session_starts(seen, 1, 1004.0)  # the player polling
    assert pb.live_session_starts(seen, 2, 1005.0)  # another camera
    assert not pb.live_session_starts(seen, 1, 1004.0 + 290)
    assert pb.live_session_starts(seen, 1, 1294.0 + 301)  # came back later
