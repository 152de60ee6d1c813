"""The audit chain is signed with a key kept outside the database and anchored outside it:
a rewritten row whose hash was recomputed, a cut-off tail and a changed anchor are all found."""
import io
import json
import stat

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from lifeline.audit import keys, services, tasks
from lifeline.audit.models import GENESIS_HASH, AuditEntry
from lifeline.audit.services import checkpoint, verify
from lifeline.core import alarms
from tests.audit.test_chain import drop_append_only_trigger

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(db, clock):
    for n in range(10):
        Group.objects.create(name=f"team {n}")
    return list(AuditEntry.objects.order_by("seq"))


def rewrite(entry, hash_of, **values):
    """What an attacker with the database but without the key does: change a row, give it a new hash."""
    for name, value in values.items():
        setattr(entry, name, value)
    entry.hash = hash_of(entry)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET object_repr = %s, actor_label = %s, prev_hash = %s, hash = %s "
                       "WHERE seq = %s", [entry.object_repr, entry.actor_label, entry.prev_hash, entry.hash, entry.seq])
    return entry


def rewrite_from(entries, index, hash_of, **values):
    """Change entries[index] and recompute every hash after it, so every link fits again."""
    drop_append_only_trigger()
    previous = entries[index - 1].hash if index else GENESIS_HASH
    for n, entry in enumerate(entries[index:]):
        entry.prev_hash = previous
        previous = rewrite(entry, hash_of, **(values if n == 0 else {})).hash


def verify_output():
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def test_a_rewritten_row_with_every_hash_recomputed_is_found(chain):
    target = len(chain) - 4
    rewrite_from(chain, target, lambda e: e.legacy_hash(), object_repr="someone else")
    result = verify()
    assert (result.ok, result.broken_seq) == (False, chain[target].seq)
    assert "recomputed without the audit key" in result.reason
    with pytest.raises(CommandError, match=f"BROKEN at entry {chain[target].seq}"):
        verify_output()


def test_a_row_signed_with_a_guessed_key_is_found(chain):
    target = len(chain) - 4
    rewrite_from(chain, target, lambda e: e.compute_hash(b"guessed-key-guessed-key-guessed-key"), actor_label="x")
    result = verify()
    assert (result.broken_seq, result.reason) == (chain[target].seq, "hash mismatch (row changed)")


def test_the_whole_chain_rewritten_without_the_key_is_found_by_its_anchor(chain, clock):
    checkpoint(clock.now())
    rewrite_from(chain, 0, lambda e: e.legacy_hash(), object_repr="rewritten")  # all "written before the key"
    result = verify()
    assert result.ok is False and result.broken_seq == chain[-1].seq
    assert "does not match the anchor" in result.reason


def test_a_cut_off_tail_is_found_up_to_the_last_anchor(chain, clock):
    anchor = checkpoint(clock.now())
    assert (anchor.seq, anchor.hash) == (chain[-1].seq, chain[-1].hash)
    drop_append_only_trigger()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE seq > %s", [chain[-4].seq])

    result = verify()
    assert (result.ok, result.broken_seq) == (False, chain[-3].seq)
    assert f"the chain ends at {chain[-4].seq}, but was anchored at entry {chain[-1].seq}" in result.reason
    with pytest.raises(CommandError, match="entries deleted from the end"):
        verify_output()


def test_a_cut_off_tail_replaced_by_new_entries_is_found(chain, clock):
    checkpoint(clock.now())
    drop_append_only_trigger()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE seq > %s", [chain[-4].seq])
    for n in range(5):
        Group.objects.create(name=f"cover {n}")  # signed properly, but not the anchored entries
    result = verify()
    assert (result.ok, result.broken_seq) == (False, chain[-1].seq)
    assert "does not match the anchor" in result.reason


def test_entries_after_the_last_anchor_are_reported_as_not_anchored(chain, clock):
    checkpoint(clock.now())
    Group.objects.create(name="later")
    result = verify()
    assert (result.ok, result.last_anchor.seq, result.unanchored) == (True, chain[-1].seq, 1)
    assert "1 newer entries not anchored yet" in verify_output()


def test_a_changed_anchor_line_is_found(chain, clock, anchor_file):
    checkpoint(clock.now())
    line = json.loads(anchor_file.read_text())
    line["seq"] = chain[-5].seq  # pretend the log was shorter then
    anchor_file.write_text(json.dumps(line) + "\n")
    result = verify()
    assert result.ok is False and "signature does not match" in result.reason


def test_anchor_lines_are_appended_signed_and_private(chain, clock, anchor_file):
    checkpoint(clock.now())
    clock.advance(minutes=10)
    assert checkpoint(clock.now()) is None  # not due: one a day
    clock.advance(days=1)
    assert checkpoint(clock.now()).seq == chain[-1].seq
    lines = [json.loads(x) for x in anchor_file.read_text().splitlines()]
    assert [sorted(x) for x in lines] == [["at", "hash", "mac", "seq", "v"]] * 2
    assert stat.S_IMODE(anchor_file.stat().st_mode) == 0o600
    assert len(verify().anchors) == 2


def test_a_broken_chain_is_not_anchored(chain, clock, anchor_file):
    rewrite_from(chain, len(chain) - 2, lambda e: e.legacy_hash(), object_repr="x")
    with pytest.raises(services.ChainBroken):
        checkpoint(clock.now())
    assert not anchor_file.exists() or anchor_file.read_text() == ""
    with pytest.raises(CommandError, match="not anchored"):
        call_command("audit", "anchor", stdout=io.StringIO())


class InlineThread:
    """The job's thread, run on the test's own thread (and its database transaction)."""

    def __init__(self, target, args, **kwargs):
        self.target, self.args = target, args

    def start(self):
        self.target(*self.args)


def test_the_worker_anchors_once_a_day_and_alarms_on_a_broken_chain(chain, clock, anchor_file, monkeypatch):
    raised = []

    def receiver(sender, **alarm):
        raised.append((alarm["fingerprint"], alarm["firing"]))

    monkeypatch.setattr(tasks.threading, "Thread", InlineThread)
    monkeypatch.setattr(tasks.connection, "close", lambda: None)
    alarms.alarm.connect(receiver)
    try:
        assert tasks.anchor_audit_chain(clock.now()) is not None
        assert len(anchor_file.read_text().splitlines()) == 1
        assert tasks.anchor_audit_chain(clock.now()) is None  # not due again today
        clock.advance(hours=25)
        rewrite_from(chain, len(chain) - 1, lambda e: e.legacy_hash(), object_repr="x")
        tasks.anchor_audit_chain(clock.now())
    finally:
        alarms.alarm.disconnect(receiver)
    assert len(anchor_file.read_text().splitlines()) == 1
    assert raised == [("audit-chain-broken", False), ("audit-chain-broken", True)]


def test_entries_written_before_the_key_verify_as_the_start_of_the_chain(db, clock):
    """An upgraded database: its old entries carry plain SHA-256; new ones are signed after them."""
    drop_append_only_trigger()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry")
    previous = GENESIS_HASH
    for seq in range(1, 4):
        entry = AuditEntry(seq=seq, at=clock.now(), actor_label="old", action="create", object_type="auth.group",
                           object_id=str(seq), object_repr=f"old {seq}", changes={}, prev_hash=previous)
        entry.hash = previous = entry.legacy_hash()
        entry.save(force_insert=True)
    Group.objects.create(name="new")
    result = verify()
    assert (result.ok, result.checked, result.legacy) == (True, 4, 3)
    assert "entries 1-3: written before the audit key" in verify_output()

    # The old entries are pinned by the first signed one after them.
    old = list(AuditEntry.objects.order_by("seq"))
    rewrite_from(old[:3], 1, lambda e: e.legacy_hash(), object_repr="changed")
    assert (verify().broken_seq, verify().reason) == (4, "prev_hash does not match")


def test_without_the_key_signed_entries_cannot_be_checked(chain, settings, tmp_path):
    settings.AUDIT_KEY, settings.AUDIT_KEY_FILE = "", tmp_path / "nowhere" / "audit_key"
    result = verify()
    assert result.ok is False and "does not have" in result.reason
    assert not settings.AUDIT_KEY_FILE.exists()  # verify never makes up a key


def test_the_key_file_is_created_once_private(settings, tmp_path):
    settings.AUDIT_KEY, settings.DATA_DIR, settings.AUDIT_KEY_FILE = "", tmp_path, None
    first = keys.chain_key()
    path = tmp_path / "audit_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(first) == 64
    keys._loaded.clear()
    assert keys.chain_key() == first
    settings.AUDIT_KEY = "short"
    with pytest.raises(ImproperlyConfigured, match="at least 32"):
        keys.chain_key()


def test_anchor_command_and_verify_report(chain, clock):
    out = io.StringIO()
    call_command("audit", "anchor", stdout=out)
    assert f"anchored entry {chain[-1].seq}" in out.getvalue()
    clock.advance(minutes=1)
    report = verify_output()
    assert report.startswith(f"OK: {len(chain)} entries, chain intact")
    assert f"newest at entry {chain[-1].seq}" in report and "0 newer entries not anchored yet" in report
