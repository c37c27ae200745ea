"""``vigie requisition``, ``vigie export``, ``vigie export-worker`` and ``vigie stats``
in-process (call_command)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from vigie.core import actors
from vigie.core.testing import as_system
from vigie.evidence import exports
from vigie.evidence.models import ExportJob, JobStatus, Requisition
from vigie.evidence.tests.conftest import ReqWorld, file_one, move
from vigie.evidence.tests.export_support import index_footage
from vigie.evidence.tests.package_support import T0, Footage
from vigie.evidence.verify import verify_package


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def add(rw: ReqWorld, *extra: str) -> tuple[str, str]:
    return run(
        "requisition",
        "add",
        "--member",
        rw.a.slug,
        "--service",
        "gendarmerie",
        "--officer",
        "Adjudant Leroy",
        "--officer-id",
        "G-77",
        "--procedure",
        "PV-CLI-1",
        "--received",
        "2026-11-21",
        "--facts",
        "Rixe devant la gare",
        *extra,
    )


def test_add_with_two_ranges_holds_them(rw: ReqWorld) -> None:
    out, _err = add(
        rw,
        "--camera",
        "ANT-GARE-01",
        "--from",
        "2026-11-20T08:00",
        "--until",
        "2026-11-20T09:00",
        "--camera",
        "ANT-GARE-02",
        "--from",
        "2026-11-20T08:30",
        "--until",
        "2026-11-20T08:45",
        "--json",
    )
    data = json.loads(out)
    assert data["status"] == "received" and len(data["holds"]) == 2
    assert [r["camera_name"] for r in data["ranges"]] == ["ANT-GARE-01", "ANT-GARE-02"]
    # Local time (Paris, winter): 08:00 is 07:00 UTC.
    assert data["ranges"][0]["start"] == "2026-11-20T07:00:00Z"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--camera", "NOPE", "--from", "2026-11-20T08:00", "--until", "2026-11-20T09:00"],
            "unknown camera",
        ),
        (
            [
                "--camera",
                "SCX-MAIRIE-01",
                "--from",
                "2026-11-20T08:00",
                "--until",
                "2026-11-20T09:00",
            ],
            "unknown camera",
        ),
        (["--camera", "ANT-GARE-01", "--from", "2026-11-20T08:00"], "--until"),
        (
            [
                "--camera",
                "ANT-GARE-01",
                "--from",
                "2026-11-01T08:00",
                "--until",
                "2026-11-20T09:00",
            ],
            "retention",
        ),
        (
            [
                "--camera",
                "ANT-GARE-01",
                "--from",
                "2026-11-20T09:00",
                "--until",
                "2026-11-20T08:00",
            ],
            "end must follow",
        ),
    ],
)
def test_add_bad_input(rw: ReqWorld, extra: list[str], message: str) -> None:
    with pytest.raises((CommandError, SystemExit)) as exc:
        add(rw, *extra)
    if isinstance(exc.value, CommandError):
        assert message in str(exc.value)
    assert not Requisition.objects.unrestricted().exists()


def test_list_late_and_close(rw: ReqWorld) -> None:
    late = file_one(rw.a, [rw.cam_a], received_on=date(2020, 1, 1), procedure_number="OLD")
    file_one(rw.a, [rw.cam_a2], received_on=date.today(), procedure_number="NEW")
    file_one(rw.b, [rw.cam_b], procedure_number="OTHER")
    out, _ = run("requisition", "list", "--late", "--json")
    assert [r["procedure_number"] for r in json.loads(out)] == ["OLD"]
    out, _ = run("requisition", "list", "--member", rw.a.slug)
    assert "OLD" in out and "NEW" in out and "OTHER" not in out
    out, _ = run("requisition", "--as", rw.viewer_b.username, "list", "--json")
    assert [r["procedure_number"] for r in json.loads(out)] == ["OTHER"]
    with pytest.raises(CommandError, match="cannot become 'closed'"):
        run("requisition", "close", str(late.pk), "--reason", "done")
    run("requisition", "step", str(late.pk), "under_review", "--reason", "looking")
    run("requisition", "step", str(late.pk), "negative", "--reason", "nothing seen")
    out, _ = run("requisition", "close", str(late.pk), "--reason", "nothing to hand over")
    assert "closed" in out
    late.refresh_from_db()
    assert late.status == "closed"
    with pytest.raises(CommandError, match="unknown requisition"):
        run("requisition", "--as", rw.operator_b.username, "close", str(late.pk), "--reason", "x")


def test_export_cli_makes_a_verified_package(
    rw: ReqWorld, footage: Footage, tmp_path: Path
) -> None:
    index_footage(rw.cam_a, footage, tmp_path / "pool")
    req = move(
        file_one(rw.a, [rw.cam_a], start=T0, end=T0 + timedelta(seconds=10)),
        "under_review",
        "positive",
    )
    out, err = run(
        "export",
        "--requisition",
        str(req.pk),
        "--out",
        str(tmp_path / "out"),
        "--zip",
        "--as",
        rw.operator_a.username,
    )
    assert "100.0%" in err
    package = Path(out.split("package: ")[1].splitlines()[0])
    assert package.parent == tmp_path / "out"
    assert verify_package(package).ok
    zip_file = Path(out.split("zip: ")[1].splitlines()[0])
    assert zip_file == tmp_path / "out" / f"{package.name}.zip"
    assert verify_package(zip_file).ok
    job = ExportJob.objects.unrestricted().get()
    assert job.status == JobStatus.DONE and job.requested_by == rw.operator_a
    assert job.zip_path == str(zip_file)
    with pytest.raises(CommandError, match="may not export"):
        run(
            "export",
            "--requisition",
            str(req.pk),
            "--out",
            str(tmp_path),
            "--as",
            rw.admin_a.username,
        )
    with pytest.raises(CommandError, match="unknown requisition"):
        run(
            "export",
            "--requisition",
            str(req.pk),
            "--out",
            str(tmp_path),
            "--as",
            rw.operator_b.username,
        )


def test_export_cli_cancel_and_worker_once(rw: ReqWorld, settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path
    req = move(file_one(rw.a, [rw.cam_a]), "under_review", "positive")
    with as_system():
        first = exports.start_export(req, actors.current(), reason="PV")
        exports.start_export(req, actors.current(), reason="PV again")
    out, _ = run("export", "--cancel", str(first.pk), "--reason", "duplicate")
    assert "cancel" in out
    out, _ = run("export_worker", "--once")
    # No footage is indexed: the remaining job fails, clearly.
    assert "failed" in out and "no footage" in out and "stopped after 1 job" in out
    with pytest.raises(CommandError, match="system job"):
        run("export_worker", "--once", "--as", rw.operator_a.username)


def test_stats_cli(rw: ReqWorld) -> None:
    move(file_one(rw.a, [rw.cam_a], received_on=date(2025, 3, 1)), "under_review", "positive")
    from vigie.evidence.models import YearlyStatistics

    with as_system():
        YearlyStatistics(member=rw.a, year=2025, offences=12).save()
    out, _ = run("stats", "--year", "2025")
    assert "(syndicate)" in out and "12*" in out
    out, _ = run("stats", "--year", "2025", "--member", rw.a.slug, "--csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[1][:4] == ["2025", rw.a.name, "12", ""]
    assert rows[1][-1] == "offences"
    out, _ = run("stats", "--year", "2025", "--json", "--as", rw.viewer_a.username)
    assert [r["member"] for r in json.loads(out)] == [rw.a.slug]
    with pytest.raises(CommandError, match="unknown member"):
        run("stats", "--member", rw.b.slug, "--as", rw.viewer_a.username)
    with pytest.raises(CommandError, match="do not show"):
        run("stats", "--as", rw.technician_a.username)
