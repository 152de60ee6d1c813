"""SQLite refuses DELETE on audit entries too, as PostgreSQL does since 0002.

The trigger lets a DELETE through only when `lifeline_audit_may_erase()` says so: inside
Lifeline's own `flush` (lifeline/audit/erasing.py). Any other DELETE is refused, and a
program without the function (the sqlite3 shell) fails on it.
A later migration that makes SQLite rebuild this table (most column changes) drops its
triggers: such a migration must create 0002's and this one's again.
"""
from django.db import migrations

FORWARD = """
CREATE TRIGGER audit_entry_refuses_delete BEFORE DELETE ON audit_auditentry
WHEN NOT lifeline_audit_may_erase()
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: DELETE refused'); END
"""
BACKWARD = "DROP TRIGGER IF EXISTS audit_entry_refuses_delete"


def run(sql):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            schema_editor.execute(sql, params=None)

    return operation


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_trigger")]

    operations = [migrations.RunPython(run(FORWARD), run(BACKWARD))]
