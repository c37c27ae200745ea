"""``vigie audit verify|checkpoint|export`` through call_command, and once through the
real ``vigie`` script for its exit codes."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from vigie import cli
from vigie.audit import checkpoints as cp
from vigie.audit.models import JournalEntry
from vigie.audit.services import journal
from vigie.audit.testing import remove
from vigie.core.testing import make_member, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.storage]


def run(*args: str, **options) -> str:
    out = io.StringIO()
    call_command("audit", *args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def failure(*args: str) -> CommandError:
    with pytest.raises(CommandError) as caught:
        run(*args)
    return caught.value


@pytest.fixture
def two_towns() -> tuple[object, object]:
    a, b = make_member(slug="antony"), make_member(slug="bagneux")
    for i in range(3):
        journal("test.a", member_id=a.pk, details={"i": i, "texte": "été"})
        journal("test.b", member_id=b.pk, details={"i": i})
    return a, b


def exported(tmp_path: Path, *args: str) -> Path:
    out = tmp_path / "journal.jsonl"
    run("export", "--out", str(out), *args)
    return out


def edit_line(path: Path, number: int, old: str, new: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert old in lines[number - 1]
    lines[number - 1] = lines[number - 1].replace(old, new, 1)
    path.write_text("".join(lines), encoding="utf-8")


def test_verify_reports_an_intact_journal(two_towns):
    run("checkpoint")
    out = run("verify")
    assert out.startswith("journal intact: ")
    assert f"{JournalEntry.objects.count()} entries" in out and "1 checkpoint(s)" in out
    report = json.loads(run("verify", "--json"))
    assert report["ok"] and report["checkpoints_checked"] == 1 and report["problem"] is None


def test_verify_exits_1_at_the_first_broken_entry(two_towns):
    run("checkpoint")
    last = JournalEntry.objects.latest("id")
    remove(last.pk)
    error = failure("verify")
    assert error.returncode == 1
    assert "journal broken" in str(error) and "removed from the end" in str(error)
    with pytest.raises(CommandError):
        run("verify", "--json")


def test_verify_exits_2_when_it_cannot_check(two_towns, tmp_path):
    run("checkpoint")
    cp.default_key_file().unlink()
    assert failure("verify").returncode == 2
    assert failure("verify", "--file", str(tmp_path / "missing.jsonl")).returncode == 2


def test_checkpoint_command(two_towns, checkpoint_dir):
    point = json.loads(run("checkpoint", "--json"))
    assert point["count"] == JournalEntry.objects.count()
    assert point["last_id"] == JournalEntry.objects.latest("id").pk
    assert "checkpoint: " in run("checkpoint")
    assert len(cp.files(checkpoint_dir)[0].read_text().splitlines()) == 2


def test_checkpoint_refuses_to_sign_a_cut_journal(two_towns):
    run("checkpoint")
    remove(JournalEntry.objects.latest("id").pk)
    error = failure("checkpoint")
    assert error.returncode == 1 and "no longer matches" in str(error)


def test_checkpoint_loop_writes_until_sigterm_and_once_more(two_towns, checkpoint_dir, monkeypatch):
    written = []
    real = cp.write

    def write(*args, **kwargs):
        written.append(real(*args, **kwargs))
        if len(written) == 2:
            os.kill(os.getpid(), signal.SIGTERM)  # as systemd or the demo would
            journal("while.stopping")
        return written[-1]

    monkeypatch.setattr(cp, "write", write)
    before = signal.getsignal(signal.SIGTERM)
    out = run("checkpoint", "--every", "0.01")
    assert "stopped after 3" in out
    assert written[-1].last_id == JournalEntry.objects.latest("id").pk
    assert signal.getsignal(signal.SIGTERM) == before


def test_audit_is_a_system_task(two_towns):
    person = make_user(is_superuser=True)
    with pytest.raises(CommandError, match="system task"):
        run("verify", acting_as=person.username)


def test_export_then_verify_the_file(two_towns, tmp_path, checkpoint_dir):
    run("checkpoint")
    path = exported(tmp_path)
    lines = path.read_text(encoding="utf-8").splitlines()
    header, first = json.loads(lines[0]), json.loads(lines[1])
    assert header["format"] == "vigie-journal" and header["chain"] == "complete"
    assert {"id", "prev_hash", "hash", "actor_name", "request_id"} <= set(first)
    assert len(lines) - 1 == JournalEntry.objects.count() - 1  # the export journals itself
    assert path.stat().st_mode & 0o777 == 0o600
    assert run("verify", "--file", str(path)).startswith("journal intact: ")
    out = run("verify", "--file", str(path), "--checkpoints", str(checkpoint_dir))
    assert "1 checkpoint(s) checked" in out
    assert JournalEntry.objects.filter(action="audit.journal.export").exists()


def test_an_edited_export_line_fails_at_that_entry(two_towns, tmp_path):
    path = exported(tmp_path)
    third = json.loads(path.read_text(encoding="utf-8").splitlines()[3])
    edit_line(path, 4, '"test.', '"Test.')
    error = failure("verify", "--file", str(path))
    assert error.returncode == 1
    assert f"entry {third['id']} does not match its hash" in str(error)
    assert "(line 4)" in str(error)


def test_a_removed_export_line_fails_at_the_next_entry(two_towns, tmp_path):
    path = exported(tmp_path)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    after = json.loads(lines[3])["id"]
    path.write_text("".join(lines[:2] + lines[3:]), encoding="utf-8")
    error = failure("verify", "--file", str(path))
    assert f"entry {after} does not follow" in str(error)


def test_an_export_cut_short_fails_against_the_checkpoints(two_towns, tmp_path, checkpoint_dir):
    run("checkpoint")
    path = exported(tmp_path)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:-1]), encoding="utf-8")
    assert run("verify", "--file", str(path)).startswith("journal intact")  # alone: unseen
    error = failure("verify", "--file", str(path), "--checkpoints", str(checkpoint_dir))
    assert "removed from the end" in str(error)


def test_partial_exports(two_towns, tmp_path):
    a, _ = two_towns
    path = exported(tmp_path, "--member", "antony")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()[1:]]
    assert {r["member_id"] for r in rows} == {a.pk} and len(rows) >= 3
    assert "(entries only)" in run("verify", "--file", str(path))
    error = failure("verify", "--file", str(path), "--checkpoints", str(tmp_path))
    assert error.returncode == 2
    path = exported(tmp_path, "--from", "2000-01-01", "--to", "2999-12-31")
    assert json.loads(path.read_text(encoding="utf-8").splitlines()[0])["chain"] == "range"
    assert "range only" in run("verify", "--file", str(path))
    path = exported(tmp_path, "--to", "2000-01-01")
    assert len(path.read_text(encoding="utf-8").splitlines()) == 1


def test_csv_export_is_for_reading(two_towns, tmp_path):
    out = tmp_path / "journal.csv"
    run("export", "--out", str(out), "--format", "csv")
    with out.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows and {"prev_hash", "hash", "details"} <= set(rows[0])
    assert json.loads(rows[-1]["details"])["i"] == 2
    error = failure("verify", "--file", str(out))
    assert error.returncode == 2 and "JSON lines" in str(error)


def test_the_command_is_registered():
    assert cli.COMMANDS["audit"][0] == "audit"
    assert "audit" in cli.usage()


def test_the_vigie_script_exits_non_zero_on_a_broken_export(two_towns, tmp_path):
    path = exported(tmp_path)
    script = Path(sys.executable).with_name("vigie")

    def vigie(*args: str) -> subprocess.CompletedProcess[str]:
        # No database is needed to verify a file: the child only reads it.
        return subprocess.run(
            [str(script), "audit", "verify", *args],
            capture_output=True,
            text=True,
            timeout=60,
            env=os.environ.copy(),
            check=False,
        )

    done = vigie("--file", str(path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("journal intact: ")
    edit_line(path, 2, '"reason": ""', '"reason": " "')
    done = vigie("--file", str(path))
    assert done.returncode == 1
    assert "vigie audit: error: journal broken: entry" in done.stderr
    assert vigie("--file", str(tmp_path / "none.jsonl")).returncode == 2
