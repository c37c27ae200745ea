"""``export_item_for``: from the recording index (real Segment and Gap rows) to an
export item, and on to a package that verifies."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone, translation

from vigie.core.testing import as_system, make_camera, make_member
from vigie.evidence.package import PackageError, build_package
from vigie.evidence.plan import AFTER_EXPORT_CAUSE, IN_PROGRESS_CAUSE
from vigie.evidence.sources import export_item_for
from vigie.evidence.tests.package_support import SEGMENT_SECONDS, T0, Footage, footage, request
from vigie.evidence.verify import verify_package
from vigie.inventory.models import Site
from vigie.recording.models import Gap, GapCause, Segment
from vigie.recording.tests.retention_support import file_of, make_pool, make_segment

__all__ = ["footage"]  # fixture

pytestmark = pytest.mark.django_db


def recorded_camera(footage: Footage, root: Path, indices: tuple[int, ...]) -> Any:
    member = make_member()
    with as_system():
        site = Site.objects.create(
            member=member,
            name="Gare",
            address="1 place de la Gare",
            postcode="92160",
            city="Antony",
        )
    camera = make_camera(member, name="ANT-GARE-01", site=site)
    pool = make_pool(root)
    for n in indices:
        segment = make_segment(
            camera, pool, footage.start(n), seconds=SEGMENT_SECONDS, size=0, write=False
        )
        file_of(segment).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(footage.paths[n], file_of(segment))
    return camera


def test_an_item_from_the_index(footage: Footage, tmp_path: Path) -> None:
    camera = recorded_camera(footage, tmp_path / "pool", (0, 1, 3))
    with as_system():
        Gap.objects.create(
            camera=camera,
            start=footage.start(2),
            end=footage.start(3),
            cause=GapCause.CONNECT_FAILED,
            detail="no route to host",
        )
    start, end = T0 + timedelta(seconds=2), T0 + timedelta(seconds=14)
    with translation.override("en"):  # the causes come in the caller's language
        item = export_item_for(camera, start, end)
    assert item.camera_id == camera.pk and item.camera_name == "ANT-GARE-01"
    assert item.camera_location == "Gare, 1 place de la Gare, 92160 Antony"
    assert [s.start for s in item.segments] == [footage.start(n) for n in (0, 1, 3)]
    assert all(s.path.is_file() for s in item.segments)
    assert item.gaps == (
        (footage.start(2), footage.start(3), "Camera unreachable (no route to host)"),
    )
    assert item.masks == ()
    with translation.override("en"):
        result = build_package(request(item), tmp_path / "out", make_zip=True)
    assert result.partial and any("Camera unreachable" in n for n in result.notes)
    assert result.zip_path is not None and verify_package(result.zip_path).ok


def test_the_address_of_the_camera_wins(footage: Footage, tmp_path: Path) -> None:
    camera = recorded_camera(footage, tmp_path / "pool", (0,))
    camera.address = "Angle rue Mounié / av. Aristide Briand"
    item = export_item_for(camera, T0, T0 + timedelta(seconds=3), masks=[[(0, 0), (1, 0), (1, 1)]])
    assert item.camera_location == "Angle rue Mounié / av. Aristide Briand"
    assert item.masks == (((0.0, 0.0), (1.0, 0.0), (1.0, 1.0)),)


@pytest.mark.parametrize(
    ("start_s", "end_s", "message"),
    [
        (100, 200, "no footage between"),
        (-500, -100, "no footage between"),
        (5, 5, "the range is empty"),
        (6, 2, "the range is empty"),
    ],
)
def test_bad_ranges(
    footage: Footage, tmp_path: Path, start_s: int, end_s: int, message: str
) -> None:
    camera = recorded_camera(footage, tmp_path / "pool", (0, 1))
    with pytest.raises(PackageError, match=message) as error:
        export_item_for(camera, T0 + timedelta(seconds=start_s), T0 + timedelta(seconds=end_s))
    if "footage" in message:
        assert "recorded: 20/11/2026 08:00:00" in str(error.value)


def test_a_camera_without_footage_or_unknown(tmp_path: Path) -> None:
    camera = make_camera(make_member(), name="EMPTY")
    with pytest.raises(PackageError, match="nothing is recorded for this camera"):
        export_item_for(camera, T0, T0 + timedelta(hours=1))
    with pytest.raises(PackageError, match="Unknown camera"):
        export_item_for(None, T0, T0 + timedelta(hours=1))


def test_a_range_still_being_recorded_says_so(footage: Footage, tmp_path: Path) -> None:
    camera = recorded_camera(footage, tmp_path / "pool", (0, 1))
    growing_from = footage.start(2)
    pool = Segment.objects.unrestricted().get(camera=camera, start=T0).storage_pool
    make_segment(camera, pool, growing_from, closed=False, write=False)
    end = footage.start(3)
    with translation.override("en"):
        item = export_item_for(camera, T0, end)
    assert item.gaps == ((growing_from, end, IN_PROGRESS_CAUSE),)
    with translation.override("fr"):
        result = build_package(request(item), tmp_path / "out")
    assert result.partial
    assert any("en cours d’enregistrement" in n for n in result.notes), result.notes


def test_a_range_past_now_says_what_has_not_happened(footage: Footage, tmp_path: Path) -> None:
    camera = recorded_camera(footage, tmp_path / "pool", (0,))
    now = timezone.now()
    with translation.override("en"):
        item = export_item_for(camera, T0, now + timedelta(hours=1))
    (start, end, _), *_ = [g for g in item.gaps if g[2] == AFTER_EXPORT_CAUSE]
    assert now <= start <= timezone.now() and end == now + timedelta(hours=1)
    with translation.override("en"):
        result = build_package(request(item), tmp_path / "out")
    # Days with no footage and no recorder gap before now, then what has not happened.
    (note,) = result.notes
    assert note.endswith(f"— {AFTER_EXPORT_CAUSE}; no footage stored (no recorder gap recorded)")
