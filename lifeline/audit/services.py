"""Writing to the audit chain, checking it against the key and the anchors, anchoring it, and
reading an object's history."""
import hmac
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from lifeline.audit import anchors
from lifeline.audit.anchors import Anchor
from lifeline.audit.keys import KeyMissing, chain_key
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
        entry.hash = entry.compute_hash(chain_key())
        entry.save(using=using, force_insert=True)
    return entry


@dataclass
class VerifyResult:
    ok: bool
    checked: int  # entries found intact (before the broken one, if any)
    head_hash: str = GENESIS_HASH
    broken_seq: int | None = None
    reason: str = ""
    legacy: int = 0  # entries at the start with the old unkeyed SHA-256 (written before the key)
    anchors: list[Anchor] = field(default_factory=list)

    @property
    def last_anchor(self) -> Anchor | None:
        return max(self.anchors, key=lambda a: (a.seq, a.at), default=None)

    @property
    def unanchored(self) -> int:
        """Newest entries no anchor covers yet: cutting them off would not be seen."""
        return self.checked - (self.last_anchor.seq if self.last_anchor else 0)


def verify(using="default") -> VerifyResult:
    """Walk the chain from the first entry and report the first thing that does not fit.

    Every entry must be signed with the audit key (HMAC), except a run of entries at the start
    written before the chain was keyed, which carry the old plain SHA-256. Every anchor must
    name an entry that still has the anchored hash, and the chain must reach the newest
    anchor: that finds a rewritten row even when its hash was recomputed, and a cut-off tail
    up to the last anchor. Entries after the last anchor can be cut off unseen.
    """
    try:
        key = chain_key(create=False)
    except KeyMissing:
        key = None
    found, anchor_problems = anchors.read(key) if key else ([], [])
    pinned: dict[int, list[Anchor]] = {}
    for anchor in found:
        pinned.setdefault(anchor.seq, []).append(anchor)

    expected_seq, prev_hash, keyed, legacy = 1, GENESIS_HASH, False, 0
    entries = AuditEntry.objects.using(using).order_by("seq").iterator(chunk_size=2000)

    def broken(reason, seq=None):
        return VerifyResult(False, expected_seq - 1, prev_hash, broken_seq=seq or expected_seq, reason=reason,
                            legacy=legacy, anchors=found)

    for entry in entries:
        if entry.seq != expected_seq:
            return broken("gap in sequence (row deleted)")
        if key is not None and hmac.compare_digest(entry.hash, entry.compute_hash(key)):
            keyed = True
        elif not keyed and entry.hash == entry.legacy_hash():
            legacy += 1
        elif key is None:
            return broken("signed with the audit key, which this host does not have (LIFELINE_AUDIT_KEY)")
        elif keyed and entry.hash == entry.legacy_hash():
            return broken("hash mismatch (row changed: its hash was recomputed without the audit key)")
        else:
            return broken("hash mismatch (row changed)")
        if entry.prev_hash != prev_hash:
            return broken("prev_hash does not match")
        for anchor in pinned.get(entry.seq, []):
            if anchor.hash != entry.hash:
                return broken(f"does not match the anchor of {_when(anchor)} (this entry or an earlier one "
                              f"was rewritten)")
        expected_seq, prev_hash = entry.seq + 1, entry.hash

    head = expected_seq - 1
    beyond = [a for a in found if a.seq > head]
    if beyond:
        newest = max(beyond, key=lambda a: a.seq)
        return broken(f"entries deleted from the end: the chain ends at {head}, but was anchored at entry "
                      f"{newest.seq} on {_when(newest)}", seq=head + 1)
    if anchor_problems:
        return VerifyResult(False, head, prev_hash, broken_seq=None, reason=anchor_problems[0], legacy=legacy,
                            anchors=found)
    return VerifyResult(True, head, prev_hash, legacy=legacy, anchors=found)


def _when(anchor: Anchor) -> str:
    return timezone.localtime(anchor.at).strftime("%Y-%m-%d %H:%M")


class ChainBroken(Exception):
    def __init__(self, result: VerifyResult):
        self.result = result
        super().__init__(f"audit chain broken at entry {result.broken_seq}: {result.reason}")


def anchor_due(now) -> bool:
    """No anchor yet, or the newest is older than LIFELINE_AUDIT_ANCHOR_MINUTES (a day by default)."""
    found, _problems = anchors.read(chain_key())
    newest = max((a.at for a in found), default=None)
    return newest is None or now - newest >= timedelta(minutes=settings.AUDIT_ANCHOR_MINUTES)


def checkpoint(now, force=False, using="default") -> Anchor | None:
    """Verify the whole chain and, when intact and an anchor is due (or `force`), anchor its head.
    A broken chain is never anchored: ChainBroken is raised instead."""
    key = chain_key()
    with anchors.locked() as file:  # one writer at a time; the check repeats under the lock
        if not force and not anchor_due(now):
            return None
        result = verify(using)
        if not result.ok:
            raise ChainBroken(result)
        return file.append(key, result.checked, result.head_hash, now)


def history(obj):
    """The entries about one object, oldest first."""
    return AuditEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)).order_by("seq")
