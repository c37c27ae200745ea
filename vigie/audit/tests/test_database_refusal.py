"""On PostgreSQL the database itself refuses to change or erase the journal."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import DatabaseError, connection, transaction

from vigie.audit.integrity import TRIGGERS, missing_triggers, verify_database
from vigie.audit.models import JournalEntry
from vigie.audit.services import journal
from vigie.audit.testing import MAINTENANCE_SETTING, journal_maintenance

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the trigger is PostgreSQL's; on SQLite only the ORM refuses (test_journal.py)",
)
TABLE = JournalEntry._meta.db_table


def refused(sql: str, params: list[int] | None = None) -> bool:
    try:
        # A savepoint, so that the test's transaction survives the error.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except DatabaseError as exc:
        assert "append-only" in str(exc)
        return True
    return False


@postgresql_only
@pytest.mark.parametrize(
    "sql",
    [
        f"UPDATE {TABLE} SET action = 'x' WHERE id = %s",  # noqa: S608
        f"UPDATE {TABLE} SET action = 'x'",  # noqa: S608
        f"DELETE FROM {TABLE} WHERE id = %s",  # noqa: S608
        f"DELETE FROM {TABLE}",  # noqa: S608
        f"TRUNCATE {TABLE}",
        f"TRUNCATE {TABLE} RESTART IDENTITY CASCADE",
    ],
)
def test_raw_sql_cannot_change_or_erase_the_journal(sql):
    entry = journal("kept")
    assert refused(sql, [entry.pk] if "%s" in sql else None)
    assert JournalEntry.objects.get(pk=entry.pk).action == "kept"


@postgresql_only
def test_appending_still_works_and_the_switch_is_scoped():
    entry = journal("a")
    with journal_maintenance(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET action = 'b' WHERE id = %s", [entry.pk])  # noqa: S608
    assert JournalEntry.objects.get(pk=entry.pk).action == "b"
    # Off again after the block, although the test's transaction goes on.
    assert refused(f"UPDATE {TABLE} SET action = 'c' WHERE id = %s", [entry.pk])  # noqa: S608
    journal("appended")


@postgresql_only
def test_the_trigger_is_in_place():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
            [TABLE],
        )
        names = {row[0] for row in cursor.fetchall()}
    assert names == TRIGGERS
    assert missing_triggers() == set()


@postgresql_only
def test_verify_warns_when_a_trigger_was_disabled():
    journal("x")
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER audit_journalentry_no_truncate")
    report = verify_database()
    assert report.ok
    assert any("audit_journalentry_no_truncate" in w for w in report.warnings)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="what the migration does on SQLite")
def test_the_migration_does_nothing_on_sqlite():
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        assert cursor.fetchall() == []


def test_switch_is_test_only():
    """Product code never names the maintenance setting: only the migration that reads it,
    the test helpers that set it, the root conftest and the tests."""
    package = Path(__file__).resolve().parents[2]
    allowed = {
        package / "audit" / "testing.py",
        package / "audit" / "migrations" / "0002_journal_refuse_changes.py",
    }
    users = {
        path
        for path in package.rglob("*.py")
        if MAINTENANCE_SETTING in path.read_text(encoding="utf-8") and "tests" not in path.parts
    }
    assert users <= allowed


@pytest.mark.django_db(transaction=True)
def test_the_test_runners_flush_may_still_empty_the_journal():
    """Transactional tests end with a flush (one TRUNCATE of every table): the root
    conftest lets that one through, and nothing else."""
    from django.core.management.color import no_style

    journal("before.flush")
    sql = connection.ops.sql_flush(no_style(), [TABLE], allow_cascade=True)
    connection.ops.execute_sql_flush(sql)
    assert not JournalEntry.objects.exists()
    if connection.vendor == "postgresql":
        journal("after.flush")
        assert refused(f"TRUNCATE {TABLE}")
