"""``vigie hold``, ``vigie segments`` and ``vigie retention`` in-process (call_command)."""

from __future__ import annotations

import io
import json
import os
import signal
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from vigie import cli
from vigie.audit.models import JournalEntry
from vigie.core.testing import make_camera, make_member, make_user
from vigie.recording import services
from vigie.recording.models import LegalHold, Segment
from vigie.recording.tests.retention_support import (
    NOW,
    committed,
    fake_disk,
    file_of,
    make_segment,
    world,
)

__all__ = ["committed", "fake_disk", "world"]  # fixtures

pytestmark = pytest.mark.django_db
DAY = timedelta(days=1)


def run(*args: str, **options) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def add_hold(world, *extra: str, **options) -> str:
    return run(
        "hold",
        "add",
        "--member",
        world.member.slug,
        "--camera",
        world.camera.name,
        world.other_camera.name,
        "--from",
        (NOW - 3 * DAY).isoformat(),
        "--until",
        (NOW - 2 * DAY).isoformat(),
        "--reason",
        "Réquisition OPJ",
        "--reference",
        "PV-2026-7",
        *extra,
        **options,
    )


# ------------------------------------------------------------------ hold


def test_hold_add_list_release(world):
    placed = json.loads(add_hold(world, "--json"))
    assert placed["reference"] == "PV-2026-7" and placed["active"]
    assert placed["member"] == world.member.slug
    assert placed["cameras"] == sorted([world.camera.pk, world.other_camera.pk])
    assert placed["placed_by"] is None  # the CLI party, not a person
    listed = json.loads(run("hold", "list", "--active", "--json"))
    assert [h["id"] for h in listed] == [placed["id"]]
    text = run("hold", "list")
    assert "PV-2026-7" in text and world.camera.name in text
    out = run("hold", "release", str(placed["id"]), "--reason", "Procédure close")
    assert f"hold {placed['id']} released" in out
    assert json.loads(run("hold", "list", "--active", "--json")) == []
    [gone] = json.loads(run("hold", "list", "--member", world.member.slug, "--json"))
    assert gone["release_reason"] == "Procédure close" and not gone["active"]
    actions = set(JournalEntry.objects.values_list("action", flat=True))
    assert {"recording.legalhold.place", "recording.legalhold.release"} <= actions
    assert JournalEntry.objects.get(action="recording.legalhold.place").actor_name.startswith(
        "cli:"
    )


def test_hold_add_with_repeated_camera_options_and_local_times(world):
    out = run(
        "hold",
        "add",
        "--member",
        world.member.slug,
        "--camera",
        world.camera.name,
        "--camera",
        world.other_camera.name,
        "--from",
        "2026-11-18T08:00",
        "--until",
        "2026-11-18T12:00+01:00",
        "--reason",
        "Réquisition",
        "--reference",
        "PV-8",
    )
    hold = LegalHold.objects.unrestricted().get()
    assert f"hold {hold.pk} placed" in out
    assert hold.cameras.count() == 2
    assert hold.start.isoformat() == "2026-11-18T07:00:00+00:00"  # Paris in winter: UTC+1
    assert hold.end == hold.start + timedelta(hours=4)


def test_hold_add_refusals(world):
    with pytest.raises(CommandError, match="unknown camera"):
        run(
            "hold",
            "add",
            "--member",
            world.member.slug,
            "--camera",
            "NOPE",
            "--from",
            "2026-11-18T08:00",
            "--until",
            "2026-11-18T09:00",
            "--reason",
            "x",
            "--reference",
            "y",
        )
    with pytest.raises(CommandError, match="reason"):
        add_hold(world, "--reason", " ")
    with pytest.raises(CommandError):
        run("hold", "add", "--member", world.member.slug, "--camera", world.camera.name)
    with pytest.raises(CommandError, match="ISO"):
        run(
            "hold",
            "add",
            "--member",
            world.member.slug,
            "--camera",
            world.camera.name,
            "--from",
            "yesterday",
            "--until",
            "2026-11-18T09:00",
            "--reason",
            "x",
            "--reference",
            "y",
        )
    assert not LegalHold.objects.unrestricted().exists()


def test_hold_follows_the_acting_persons_rights(world):
    viewer = make_user(role="town_viewer", members=[world.member])
    operator = make_user(role="csu_operator", members=[world.member])
    stranger = make_user(role="csu_operator", members=[make_member()])
    with pytest.raises(CommandError):
        add_hold(world, acting_as=viewer.username)
    with pytest.raises(CommandError, match="unknown member"):
        add_hold(world, acting_as=stranger.username)
    placed = json.loads(add_hold(world, "--json", acting_as=operator.username))
    assert placed["placed_by"] == operator.username
    assert [h["id"] for h in json.loads(run("hold", "list", "--json", acting_as=viewer.username))]
    assert json.loads(run("hold", "list", "--json", acting_as=stranger.username)) == []
    with pytest.raises(CommandError, match="unknown hold"):
        run("hold", "release", str(placed["id"]), "--reason", "x", acting_as=stranger.username)
    with pytest.raises(CommandError):
        run("hold", "release", str(placed["id"]), "--reason", "x", acting_as=viewer.username)


# ------------------------------------------------------------------ segments


def test_segments_lists_the_index_with_the_held_flag(world):
    old = make_segment(world.camera, world.pool, NOW - 3 * DAY + timedelta(hours=1))
    new = make_segment(world.camera, world.pool, NOW - DAY)
    make_segment(world.other_camera, world.pool, NOW - DAY)
    add_hold(world)
    rows = json.loads(run("segments", "--camera", world.camera.name, "--json"))
    assert [r["id"] for r in rows] == [old.pk, new.pk]
    assert [r["held"] for r in rows] == [True, False]
    assert rows[0]["path"] == old.path and rows[0]["bytes"] == 1000
    text = run("segments", "--camera", world.camera.name, "--member", world.member.slug)
    assert old.path in text and "HELD" in text


def test_segments_camera_lookup(world):
    other_member = make_member()
    make_camera(other_member, name=world.camera.name)
    with pytest.raises(CommandError, match="--member"):
        run("segments", "--camera", world.camera.name)
    listed = run("segments", "--camera", world.camera.name, "--member", other_member.slug)
    assert listed.splitlines()[1:] == []  # the header only
    with pytest.raises(CommandError, match="unknown camera"):
        run("segments", "--camera", "NOPE")
    viewer = make_user(role="town_viewer", members=[other_member])
    # The viewer sees one camera of that name only: no ambiguity, and not ours.
    assert (
        json.loads(
            run("segments", "--camera", world.camera.name, "--json", acting_as=viewer.username)
        )
        == []
    )


# ------------------------------------------------------------------ retention


def test_retention_run_dry_run_then_for_real(world, fake_disk, committed):
    old = make_segment(world.camera, world.pool, NOW - 10 * DAY)
    young = make_segment(world.camera, world.pool, NOW - timedelta(minutes=10))
    fake_disk.capacity = 1_000_000
    report = json.loads(run("retention", "run", "--dry-run", "--json"))
    assert report["retention"]["dry_run"] and report["retention"]["segments"] == 1
    assert report["pressure"][0]["pool"] == world.pool.name
    assert Segment.objects.unrestricted().filter(pk=old.pk).exists()
    out = committed(run, "retention", "run")
    assert "destroyed 1 segment(s)" in out and world.camera.name in out
    assert f"pool {world.pool.name}" in out and "enough free space" in out
    assert not file_of(old).exists() and file_of(young).is_file()


def test_retention_run_reports_a_full_pool(world, fake_disk, committed):
    make_segment(world.camera, world.pool, NOW - DAY)
    services.place_hold(world.member, [world.camera], NOW - 2 * DAY, NOW, "Réquisition", "PV")
    fake_disk.capacity = 1000
    out = committed(run, "retention", "run")
    assert "ALARM raised" in out and "recording stopped" in out


def test_retention_is_a_system_job(world):
    person = make_user(is_superuser=True)
    with pytest.raises(CommandError, match="system job"):
        run("retention", "run", acting_as=person.username)


def test_retention_loop_carries_on_after_a_failure_and_stops_on_sigterm(
    world, fake_disk, monkeypatch
):
    calls = []
    real = services.run_cleanup_pass

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OSError(28, "No space left on device")
        result = real(*args, **kwargs)
        if len(calls) == 3:
            os.kill(os.getpid(), signal.SIGTERM)  # as systemd would
        return result

    monkeypatch.setattr(services, "run_cleanup_pass", flaky)
    before = signal.getsignal(signal.SIGTERM)
    out = run("retention", "loop", "--interval", "0.01")
    assert len(calls) == 3
    assert "stopped after 2 pass(es)" in out
    assert signal.getsignal(signal.SIGTERM) == before


def test_retention_loop_interval_must_be_positive():
    with pytest.raises(CommandError, match="above 0"):
        run("retention", "loop", "--interval", "0")


# ------------------------------------------------------------------ the vigie script


def test_commands_are_registered():
    for name in ("retention", "hold", "segments"):
        assert name in cli.COMMANDS
        assert name in cli.usage()
    assert {"hold", "segments"} <= cli.ACTING_COMMANDS
    assert "retention" not in cli.ACTING_COMMANDS


def test_vigie_refuses_as_for_retention(capsys):
    assert cli.main(["--as", "someone", "retention", "run"]) == 2
    assert "--as does not apply" in capsys.readouterr().err
