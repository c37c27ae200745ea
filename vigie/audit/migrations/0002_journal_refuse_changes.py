"""PostgreSQL itself refuses UPDATE, DELETE and TRUNCATE on the journal.

The trigger function lets a change through only in a session where the custom setting
``vigie.journal_maintenance`` is ``on``, and only for the table's owner, who could drop
the trigger anyway. Product code never sets it: only the test machinery does (to flush
the test database between tests and to simulate an attack), see docs/journal.md. On
SQLite this migration does nothing; the ORM refusal remains.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION vigie_journal_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- The switch only serves who could drop this trigger anyway: the table's owner.
    IF current_setting('vigie.journal_maintenance', true) = 'on'
       AND pg_has_role(
           current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'USAGE'
       ) THEN
        IF TG_LEVEL = 'STATEMENT' THEN
            RETURN NULL;
        ELSIF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the journal is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'journal entries are never changed nor deleted (docs/journal.md)';
END
$$;
"""

TRIGGERS = """
CREATE TRIGGER audit_journalentry_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_journalentry
    FOR EACH ROW EXECUTE FUNCTION vigie_journal_append_only();
CREATE TRIGGER audit_journalentry_no_truncate
    BEFORE TRUNCATE ON audit_journalentry
    FOR EACH STATEMENT EXECUTE FUNCTION vigie_journal_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS audit_journalentry_no_truncate ON audit_journalentry;
DROP TRIGGER IF EXISTS audit_journalentry_no_update_delete ON audit_journalentry;
DROP FUNCTION IF EXISTS vigie_journal_append_only();
"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # params=None: the function's text has bare % signs that are not placeholders.
    schema_editor.execute(FUNCTION, params=None)
    schema_editor.execute(TRIGGERS, params=None)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_triggers, drop_triggers, elidable=False),
    ]
