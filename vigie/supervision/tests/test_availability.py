"""Availability from a synthetic state history: exact rates, cameras added and removed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from vigie.supervision.availability import Change, Rate, by_group, camera_rate, daily, rates, total

T0 = datetime(2026, 3, 1, tzinfo=UTC)
END = T0 + timedelta(days=30)
H = timedelta(hours=1)
D = timedelta(days=1)


def c(offset: timedelta, state: str) -> Change:
    return Change(T0 + offset, state)


CASES = [
    # history, expected up hours, expected existing hours, outages
    ([c(0 * H, "ok")], 720, 720, 0),
    ([c(-5 * D, "ok")], 720, 720, 0),  # the state the period opens in
    ([c(-5 * D, "down")], 0, 720, 0),  # down since before: not a new outage
    ([c(0 * H, "ok"), c(10 * H, "down"), c(16 * H, "ok")], 714, 720, 1),
    ([c(0 * H, "degraded"), c(24 * H, "down"), c(48 * H, "degraded")], 696, 720, 1),
    # Added on day 10: exists 20 days.
    ([c(10 * D, "ok")], 480, 480, 0),
    # Added on day 10, removed (no longer supervised) on day 20: 10 days.
    ([c(10 * D, "ok"), c(20 * D, "unsupervised")], 240, 240, 0),
    # Removed on day 5, back on day 25, down 1 day after.
    ([c(0 * H, "ok"), c(5 * D, "unsupervised"), c(25 * D, "ok"), c(26 * D, "down")], 144, 240, 1),
    # Changes after the end are ignored.
    ([c(0 * H, "ok"), c(31 * D, "down")], 720, 720, 0),
    ([], 0, 0, 0),
]


@pytest.mark.parametrize(("history", "up_h", "existing_h", "outages"), CASES)
def test_camera_rate(history, up_h, existing_h, outages) -> None:
    rate = camera_rate(history, T0, END)
    assert rate.up_s == up_h * 3600
    assert rate.existing_s == existing_h * 3600
    assert rate.outages == outages
    assert rate.rate == (up_h / existing_h if existing_h else None)


def test_antony_579_cameras_6_out_of_order() -> None:
    history = {i: [c(-D, "ok")] for i in range(573)}
    history.update({573 + i: [c(-D, "down")] for i in range(6)})
    rate = total(rates(history, T0, END).values())
    assert rate.rate == pytest.approx(573 / 579)
    assert f"{rate.rate:.2%}" == "98.96%"


def test_member_and_syndicate_are_time_weighted() -> None:
    history = {
        1: [c(0 * H, "ok")],  # member 10, all month up
        2: [c(15 * D, "down")],  # member 10, added mid-month, down since
        3: [c(0 * H, "ok"), c(6 * D, "down"), c(12 * D, "ok")],  # member 20
    }
    per_camera = rates(history, T0, END)
    members = by_group(per_camera, {1: 10, 2: 10, 3: 20})
    # Member 10: 30 days up out of 45 existing; member 20: 24 out of 30.
    assert members[10].rate == pytest.approx(30 / 45)
    assert members[20].rate == pytest.approx(24 / 30)
    # Syndicate: 54 up out of 75, not the mean of the members' rates.
    assert total(per_camera.values()).rate == pytest.approx(54 / 75)


def test_daily_series() -> None:
    history = {1: [c(0 * H, "ok"), c(D + 6 * H, "down"), c(D + 12 * H, "ok")]}
    series = daily(history, T0, T0 + 3 * D)
    assert [round(r.rate or 0, 4) for _, r in series] == [1.0, 0.75, 1.0]
    assert Rate().rate is None
