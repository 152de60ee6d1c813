"""Writing to the audit chain, checking it, and reading an object's history."""
from dataclasses import dataclass

from django.db import connections, transaction

from lifeline.audit.models import GENESIS_HASH, AuditEntry
from lifeline.core import clock
from lifeline.core.actor import current_actor

# Any fixed 64-bit number: the PostgreSQL advisory lock that serialises writers of the chain.
CHAIN_LOCK = 0x4C4C_4155_4449_5400  # "LLAUDIT"


def append(action, instance, changes: dict, using="default") -> AuditEntry:
    """Add an entry for `instance` at the head of the chain.

    Runs on the connection and inside the transaction of the change itself, so a
    rolled-back change leaves no entry. The chain lock is held until that transaction
    ends: the next writer must see this entry's hash. On SQLite the write transaction
    (BEGIN IMMEDIATE) already serialises writers.
    """
    user, label = current_actor()
    with transaction.atomic(using=using):
        connection = connections[using]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK])
        head = AuditEntry.objects.using(using).order_by("-seq").values_list("seq", "hash").first()
        seq, prev_hash = (head[0] + 1, head[1]) if head else (1, GENESIS_HASH)
        entry = AuditEntry(
            seq=seq,
            at=clock.now(),
            actor=user,
            actor_label=label[:150],
            action=action,
            object_type=instance._meta.label_lower,
            object_id=str(instance.pk),
            object_repr=str(instance)[:200],
            changes=changes,
            prev_hash=prev_hash,
        )
        entry.hash = entry.compute_hash()
        entry.save(using=using, force_insert=True)
    return entry


@dataclass
class VerifyResult:
    ok: bool
    checked: int  # entries found intact (before the broken one, if any)
    head_hash: str = GENESIS_HASH
    broken_seq: int | None = None
    reason: str = ""


def verify(using="default") -> VerifyResult:
    """Walk the chain from the first entry and report the first row that does not fit.

    Deleting the newest entries cannot be seen from the chain alone; compare the head hash
    with one written down earlier for that.
    """
    expected_seq, prev_hash = 1, GENESIS_HASH
    entries = AuditEntry.objects.using(using).order_by("seq").iterator(chunk_size=2000)
    for checked, entry in enumerate(entries):
        reason = ""
        if entry.seq != expected_seq:
            reason = "gap in sequence (row deleted)"
        elif entry.compute_hash() != entry.hash:
            reason = "hash mismatch (row changed)"
        elif entry.prev_hash != prev_hash:
            reason = "prev_hash does not match"
        if reason:
            return VerifyResult(False, checked, prev_hash, broken_seq=expected_seq, reason=reason)
        expected_seq, prev_hash = entry.seq + 1, entry.hash
    return VerifyResult(True, expected_seq - 1, prev_hash)


def history(obj):
    """The entries about one object, oldest first."""
    return AuditEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)).order_by("seq")
