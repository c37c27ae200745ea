import itertools

import pytest

from vigie.audit.models import AppendOnlyError, JournalEntry
from vigie.audit.services import journal, verify_chain
from vigie.audit.testing import journal_maintenance
from vigie.core import actors
from vigie.core.testing import make_member

pytestmark = pytest.mark.django_db


def test_entries_chain_and_verify():
    m = make_member()
    for i in range(3):
        journal("test.action", objects=[m], member_id=m.pk, details={"i": i})
    assert verify_chain() is None
    entries = list(JournalEntry.objects.all())
    assert all(e.prev_hash == p.hash for p, e in itertools.pairwise(entries))


def test_entries_cannot_be_changed_or_deleted():
    entry = journal("test.action")
    entry.reason = "rewritten"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        JournalEntry.objects.filter(pk=entry.pk).update(reason="x")
    with pytest.raises(AppendOnlyError):
        JournalEntry.objects.all().delete()


def test_tampering_is_detected_at_the_altered_entry():
    from django.db import connection

    first = journal("a")
    second = journal("b")
    journal("c")
    # Raw SQL, as an attacker would; on PostgreSQL past the trigger (docs/journal.md).
    with journal_maintenance(), connection.cursor() as cursor:
        table = JournalEntry._meta.db_table
        cursor.execute(f"UPDATE {table} SET reason = 'forged' WHERE id = %s", [second.pk])  # noqa: S608
    broken = verify_chain()
    assert broken is not None and broken.pk == second.pk
    assert first.pk != broken.pk


def test_an_actor_is_required():
    with actors.acting_as(None), pytest.raises(PermissionError):
        journal("anonymous")


def test_journal_names_job_actors():
    with actors.acting_as(actors.system("job:retention")):
        entry = journal("recording.segment.delete")
    assert entry.actor_name == "job:retention" and entry.actor_system
