"""Database triggers that refuse changes to audit entries, even by raw SQL.

PostgreSQL refuses UPDATE and DELETE. TRUNCATE stays possible: Django's `flush` (and so
every transactional test) empties tables with it, and an empty log is plain to see.
SQLite refuses UPDATE only: its `flush` empties tables with DELETE, which a trigger cannot
tell from a deletion of single rows. `lifeline audit verify` finds a deleted row on both.
"""
from django.db import migrations

FORWARD = {
    "postgresql": [
        """
        CREATE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION USING MESSAGE = 'the audit log is append-only: ' || TG_OP || ' refused';
        END $$
        """,
        """
        CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_auditentry
        FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()
        """,
    ],
    "sqlite": [
        """
        CREATE TRIGGER audit_entry_append_only BEFORE UPDATE ON audit_auditentry
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: UPDATE refused'); END
        """,
    ],
}
BACKWARD = {
    "postgresql": [
        "DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_auditentry",
        "DROP FUNCTION IF EXISTS audit_entry_append_only()",
    ],
    "sqlite": ["DROP TRIGGER IF EXISTS audit_entry_append_only"],
}


def run(statements):
    def operation(apps, schema_editor):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)

    return operation


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(run(FORWARD), run(BACKWARD))]
