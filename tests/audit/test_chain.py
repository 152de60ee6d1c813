"""The log cannot be changed quietly: the model and the database refuse, and verify finds what slipped past
(against the audit key and the anchors kept outside the database)."""
import io
import os
import subprocess
import sys

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from lifeline.audit.models import AppendOnlyError, AuditEntry
from lifeline.audit.services import verify

LIFELINE = [sys.executable, "-m", "lifeline.cli"]
COUNT = "from lifeline.audit.models import AuditEntry; print(AuditEntry.objects.count())"


def drop_append_only_trigger():
    """What an attacker with rights on the database does first."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_auditentry")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS audit_entry_append_only")
            cursor.execute("DROP TRIGGER IF EXISTS audit_entry_refuses_delete")


@pytest.fixture
def chain(db):
    """Ten entries besides those the migrations wrote."""
    for n in range(10):
        Group.objects.create(name=f"team {n}")
    return list(AuditEntry.objects.order_by("seq"))


def run_verify():
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def test_intact_chain_verifies(chain):
    result = verify()
    assert (result.ok, result.checked, result.head_hash) == (True, len(chain), chain[-1].hash)
    assert run_verify().startswith(f"OK: {len(chain)} entries, chain intact")


def test_row_changed_by_raw_sql_is_found(chain):
    target = chain[-4]
    drop_append_only_trigger()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET actor_label = 'nobody' WHERE seq = %s", [target.seq])

    result = verify()
    assert (result.ok, result.broken_seq, result.reason) == (False, target.seq, "hash mismatch (row changed)")
    assert result.checked == len(chain) - 4
    with pytest.raises(CommandError, match=f"BROKEN at entry {target.seq}: hash mismatch \\(row changed\\)"):
        run_verify()


def test_row_deleted_by_raw_sql_is_found(chain):
    target = chain[-4]
    drop_append_only_trigger()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE seq = %s", [target.seq])

    result = verify()
    assert (result.ok, result.broken_seq, result.reason) == (False, target.seq, "gap in sequence (row deleted)")
    with pytest.raises(CommandError, match=f"BROKEN at entry {target.seq}: gap in sequence"):
        run_verify()


def test_database_refuses_raw_update(chain):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE audit_auditentry SET actor_label = 'nobody' WHERE seq = %s", [chain[0].seq])
    assert verify().ok


def test_database_refuses_raw_delete_on_every_database(chain):
    for sql in ("DELETE FROM audit_auditentry WHERE seq = %s", "DELETE FROM audit_auditentry WHERE seq >= %s"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, [chain[-1].seq])
    assert AuditEntry.objects.count() == len(chain)
    assert verify().ok


def test_model_refuses_to_change_or_delete_entries(chain):
    entry = chain[0]
    entry.actor_label = "nobody"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(seq=entry.seq).update(actor_label="nobody")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.count() == len(chain)
    assert verify().ok


WRITER = """
from django.contrib.auth.models import Group
for n in range(150):
    Group.objects.create(name=f"writer {WHO} team {n}")
"""


@pytest.mark.django_db(transaction=True)
def test_concurrent_processes_keep_one_chain(tmp_path):
    """Four processes write at once to the test database (PostgreSQL) or a database file (SQLite)."""
    db = connection.settings_dict
    env = {**os.environ, "LIFELINE_DATA_DIR": str(tmp_path)}
    if connection.vendor == "postgresql":
        env["LIFELINE_DATABASE_URL"] = (f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:"
                                        f"{db['PORT'] or 5432}/{db['NAME']}")
    else:
        env["LIFELINE_DATABASE_URL"] = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
        subprocess.run([*LIFELINE, "migrate", "-v0"], env=env, check=True)
    before = int(subprocess.run([*LIFELINE, "shell", "-v0", "-c", COUNT], env=env, check=True,
                                capture_output=True, text=True).stdout)

    writers = [subprocess.Popen([*LIFELINE, "shell", "-v0", "-c", WRITER.replace("WHO", str(w))], env=env,
                                stderr=subprocess.PIPE, text=True) for w in range(4)]
    errors = [w.communicate()[1] for w in writers]
    assert [w.returncode for w in writers] == [0] * 4, errors

    verified = subprocess.run([*LIFELINE, "audit", "verify"], env=env, capture_output=True, text=True)
    assert verified.stdout.startswith(f"OK: {before + 600} entries, chain intact"), verified.stderr
