"""Each town sees only its own holds, segments, destruction register, storage alarms
and recording policy (three cases per model, from IsolationCases)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from vigie.core.testing import IsolationCases, as_system, make_camera
from vigie.recording import services
from vigie.recording.models import (
    DestructionRecord,
    LegalHold,
    MemberRecordingPolicy,
    Segment,
    StorageAlarm,
)
from vigie.recording.tests.retention_support import NOW, make_pool, make_segment

NOWHERE = Path("/nonexistent/vigie-isolation-pool")  # rows only: no file is written


class TestLegalHoldIsolation(IsolationCases):
    model = LegalHold

    def make(self, member):
        camera = make_camera(member)
        with as_system():
            return services.place_hold(
                member, [camera], NOW - timedelta(days=1), NOW, "Réquisition", "PV-1"
            )


class TestSegmentIsolation(IsolationCases):
    model = Segment

    def make(self, member):
        pool = make_pool(NOWHERE, create=False)
        return make_segment(make_camera(member), pool, NOW, write=False)


class TestDestructionRecordIsolation(IsolationCases):
    model = DestructionRecord
    viewer_role = "auditor"

    def make(self, member):
        camera = make_camera(member)
        with as_system():
            return DestructionRecord.objects.create(
                member=member,
                camera=camera,
                camera_name=camera.name,
                period_start=NOW - timedelta(days=15),
                period_end=NOW - timedelta(days=14),
                segment_count=60,
                bytes=60_000,
                cause="retention",
            )


class TestStorageAlarmIsolation(IsolationCases):
    model = StorageAlarm
    viewer_role = "technician"

    def make(self, member):
        pool = make_pool(NOWHERE, member=member, create=False)
        with as_system():
            alarm, created = services.raise_storage_alarm(pool, "full")
        assert created
        return alarm


class TestMemberRecordingPolicyIsolation(IsolationCases):
    model = MemberRecordingPolicy

    def make(self, member):
        with as_system():
            return services.set_recording_policy(member, 3)
