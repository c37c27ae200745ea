"""Each way of tampering with the journal is caught, at the entry where it happened."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from django.db import connection

from vigie.audit import checkpoints as cp
from vigie.audit.integrity import verify_database
from vigie.audit.models import JournalEntry
from vigie.audit.services import (
    GENESIS,
    HASHED_FIELDS,
    entry_hash,
    hashed_fields,
    journal,
    verify_chain,
)
from vigie.audit.testing import journal_maintenance, remove, rewrite
from vigie.core.testing import make_member

pytestmark = [pytest.mark.django_db, pytest.mark.storage]


def entries(n: int = 6) -> list[JournalEntry]:
    member = make_member()
    return [
        journal("test.action", objects=[member], member_id=member.pk, details={"i": i})
        for i in range(n)
    ]


def problem_of(**kwargs):
    report = verify_database(**kwargs)
    assert not report.ok
    return report.problem


def test_hashed_fields_are_named_once():
    assert tuple(hashed_fields(JournalEntry.objects.first() or journal("x"))) == HASHED_FIELDS


def test_an_intact_journal_passes_with_its_checkpoints(checkpoint_dir: Path):
    assert verify_database().ok  # empty, no checkpoint yet
    cp.write()
    made = entries()
    cp.write()
    journal("after.the.checkpoint")
    report = verify_database()
    assert report.ok, report.problem
    assert report.entries == JournalEntry.objects.count() >= len(made) + 1
    assert report.checkpoints == 2
    assert report.newest_checkpoint is not None
    assert report.newest_checkpoint.last_id == made[-1].pk
    assert report.head == JournalEntry.objects.latest("id").hash
    assert report.warnings == []


def test_without_checkpoints_a_warning_says_what_cannot_be_seen():
    entries(2)
    report = verify_database()
    assert report.ok and "cut from the end" in report.warnings[0]


def test_a_byte_changed_in_a_field_is_found_at_that_entry():
    made = entries()
    target = made[3]
    with journal_maintenance(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {JournalEntry._meta.db_table} SET source_address = %s WHERE id = %s",  # noqa: S608
            [target.source_address + "1", target.pk],
        )
    problem = problem_of()
    assert (problem.kind, problem.entry_id) == ("hash", target.pk)


def test_a_changed_json_detail_is_found_at_that_entry():
    made = entries()
    rewrite(made[1].pk, details={"i": 99})
    problem = problem_of()
    assert (problem.kind, problem.entry_id) == ("hash", made[1].pk)


def test_a_row_deleted_in_the_middle_is_found_at_the_next_entry():
    made = entries()
    remove(made[2].pk)
    problem = problem_of()
    assert (problem.kind, problem.entry_id) == ("link", made[3].pk)
    assert f"entry {made[1].pk}" in problem.message


def test_the_first_rows_deleted_are_found():
    made = entries()
    remove(made[0].pk, made[1].pk)
    problem = problem_of()
    assert (problem.kind, problem.entry_id) == ("link", made[2].pk)


def test_rows_cut_from_the_tail_are_caught_by_the_checkpoint():
    made = entries()
    cp.write()
    remove(made[-1].pk, made[-2].pk)
    assert verify_chain() is None  # the chain alone cannot see it
    problem = problem_of()
    assert (problem.kind, problem.entry_id) == ("cut", made[-1].pk)
    assert f"ends at entry {made[-3].pk}" in problem.message


def test_two_rows_swapped_are_found_at_the_first_of_them():
    made = entries()
    a, b = made[2].pk, made[3].pk
    columns = [*HASHED_FIELDS, "prev_hash", "hash"]
    row_a = JournalEntry.objects.filter(pk=a).values(*columns).get()
    row_b = JournalEntry.objects.filter(pk=b).values(*columns).get()
    rewrite(a, hash="moving")  # the hash is unique
    rewrite(b, **row_a)
    rewrite(a, **row_b)
    problem = problem_of()
    assert (problem.kind, problem.entry_id) == ("link", a)


def test_a_journal_rewritten_and_rehashed_is_caught_by_the_checkpoint():
    made = entries()
    cp.write()
    # The attacker changes entry 2 and recomputes every hash after it: the chain holds.
    prev = made[1].hash
    for entry in JournalEntry.objects.filter(pk__gte=made[2].pk).order_by("id"):
        if entry.pk == made[2].pk:
            entry.reason = "rewritten"
        new = entry_hash(prev, hashed_fields(entry))
        rewrite(entry.pk, reason=entry.reason, prev_hash=prev, hash=new)
        prev = new
    assert verify_chain() is None
    problem = problem_of()
    assert (problem.kind, problem.entry_id) == ("checkpoint", made[-1].pk)


def _lines(directory: Path) -> list[str]:
    [path] = cp.files(directory)
    return path.read_text().splitlines()


def _append(directory: Path, point: cp.Checkpoint) -> None:
    [path] = cp.files(directory)
    with path.open("a") as f:
        f.write(point.line() + "\n")


def test_a_forged_checkpoint_is_refused(checkpoint_dir: Path):
    made = entries()
    good = cp.write()
    # Claims more entries than there are, with the genuine checkpoint's signature.
    _append(checkpoint_dir, replace(good, count=good.count + 5, last_id=made[-1].pk + 5))
    problem = problem_of()
    assert problem.kind == "signature" and "bad signature" in problem.message
    assert problem.message.startswith("checkpoint journal-")


def test_a_checkpoint_of_another_key_is_refused(checkpoint_dir: Path):
    entries(2)
    good = cp.write()
    other = cp.Key.from_secret(b"\x01" * 32)
    forged = replace(good, key_id=other.id)
    _append(checkpoint_dir, replace(forged, sig=other.sign(forged.message())))
    problem = problem_of()
    assert problem.kind == "signature" and "not signed with this key" in problem.message


def test_a_mangled_checkpoint_line_is_refused(checkpoint_dir: Path):
    entries(2)
    cp.write()
    [path] = cp.files(checkpoint_dir)
    path.write_text(path.read_text() + "{not json\n")
    problem = problem_of()
    assert problem.kind == "signature" and ":2" in problem.message


def test_a_later_checkpoint_with_fewer_entries_shows_a_cut(checkpoint_dir: Path):
    made = entries()
    first = cp.write()
    key = cp.load_key()
    shorter = replace(first, count=first.count - 1, last_id=made[-2].pk, head=made[-2].hash)
    _append(checkpoint_dir, replace(shorter, sig=key.sign(shorter.message())))
    problem = problem_of()
    assert problem.kind == "signature" and "cut before it was written" in problem.message


def test_a_checkpoint_is_not_written_over_a_cut_journal():
    made = entries()
    cp.write()
    remove(made[-1].pk)
    with pytest.raises(cp.CheckpointRefused, match="no longer matches"):
        cp.write()


def test_a_checkpoint_is_not_written_over_a_middle_deletion():
    made = entries()
    cp.write()
    journal("one.more")
    remove(made[2].pk)
    with pytest.raises(cp.CheckpointRefused):
        cp.write()


def test_the_key_is_private_and_made_once(tmp_path: Path, checkpoint_dir: Path):
    journal("x")
    first = cp.write()
    key_file = cp.default_key_file()
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert cp.write().key_id == first.key_id
    assert json.loads(_lines(checkpoint_dir)[0])["count"] == 1


def test_verifying_without_the_key_is_an_error(checkpoint_dir: Path):
    journal("x")
    cp.write()
    cp.default_key_file().unlink()
    with pytest.raises(cp.CheckpointError, match="no checkpoint key"):
        verify_database()


def test_an_empty_journal_checkpoint_holds():
    point = cp.write()
    assert (point.count, point.last_id, point.head) == (0, None, GENESIS)
    journal("x")
    assert verify_database().ok


def test_an_auditor_verifies_with_the_public_key_only(checkpoint_dir: Path):
    entries(3)
    cp.write()
    public = cp.public_key_file(cp.default_key_file())
    assert public.exists()
    report = verify_database(key_file=public)
    assert report.problem is None and report.checkpoints == 1
    with pytest.raises(cp.CheckpointError, match="cannot sign"):
        cp.load_key(public).sign(b"anything")
