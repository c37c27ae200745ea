"""Test-only ways past the journal's database trigger (migration 0002, docs/journal.md).

On PostgreSQL the journal refuses UPDATE, DELETE and TRUNCATE unless the session sets
``vigie.journal_maintenance = on``. Two things in tests need that, and nothing else
may: emptying the test database between transactional tests (Django's flush is one
``TRUNCATE`` of every table), and simulating an attacker who rewrites the journal
behind the application's back. ``test_switch_is_test_only`` checks that no product code
names the setting.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from django.db import DEFAULT_DB_ALIAS, connections, models, transaction

from vigie.audit.models import JournalEntry

MAINTENANCE_SETTING = "vigie.journal_maintenance"
# SET LOCAL: the switch ends with the transaction, so it cannot leak into a later test.
_SWITCH_ON = f"SET LOCAL {MAINTENANCE_SETTING} = 'on'"
# ...and inside an outer transaction (a test's), a released savepoint would keep it on.
_SWITCH_OFF = f"SET LOCAL {MAINTENANCE_SETTING} = 'off'"


@contextmanager
def journal_maintenance(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """A transaction in which the journal may be changed (a simulated DBA attack)."""
    connection = connections[using]
    postgresql = connection.vendor == "postgresql"
    with transaction.atomic(using=using):
        if postgresql:
            with connection.cursor() as cursor:
                cursor.execute(_SWITCH_ON)
        yield
        # Not reached on an exception: the savepoint's rollback undoes the SET already.
        if postgresql:
            with connection.cursor() as cursor:
                cursor.execute(_SWITCH_OFF)


def rewrite(entry_id: int, **values: Any) -> None:
    """Change a stored entry as an attacker with SQL access would (no hash update)."""
    with journal_maintenance():
        # The plain QuerySet.update: JournalEntryQuerySet refuses, on purpose.
        models.QuerySet.update(JournalEntry.objects.filter(pk=entry_id), **values)


def remove(*entry_ids: int) -> None:
    """Delete stored entries as an attacker with SQL access would."""
    with journal_maintenance():
        qs = JournalEntry.objects.filter(pk__in=entry_ids)
        qs._raw_delete(qs.db)


@contextmanager
def flushes_may_empty_the_journal() -> Iterator[None]:
    """Let the test runner's flush (TRUNCATE … CASCADE) through the journal's trigger."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self: DatabaseOperations, sql_list: list[str]) -> None:
        # The flush runs its statements in one transaction: SET LOCAL covers them all.
        original(self, [_SWITCH_ON, *sql_list, _SWITCH_OFF])

    with mock.patch.object(DatabaseOperations, "execute_sql_flush", execute_sql_flush):
        yield
