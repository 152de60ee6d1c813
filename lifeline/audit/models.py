"""The audit log: one append-only, hash-chained table, signed with a key kept outside the database.

Each entry's hash is an HMAC-SHA256, under the audit key (lifeline.audit.keys), of its own
content and the previous entry's hash: a changed row breaks its own hash, a deleted row
leaves a gap in `seq`, and without the key nobody can compute a new hash that fits. Entries
written before the chain was keyed carry a plain SHA-256 (`legacy_hash`); they can only form
the start of the chain (lifeline.audit.services.verify, docs/audit.md). Rows are never
updated or deleted: the model refuses it here, and database triggers refuse it for raw SQL
(migrations 0002 and 0003).
"""
import hashlib
import hmac
import json
from datetime import UTC

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64


class AppendOnlyError(RuntimeError):
    """Raised on any attempt to change or delete an audit entry."""

    def __init__(self, what="change"):
        super().__init__(f"The audit log is append-only: cannot {what} an entry.")


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("update")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyError("update")

    def delete(self):
        raise AppendOnlyError("delete")

    def _raw_delete(self, using):
        raise AppendOnlyError("delete")


class AuditEntry(models.Model):
    class Action(models.TextChoices):
        CREATE = "create", _("created")
        UPDATE = "update", _("changed")
        DELETE = "delete", _("deleted")

    seq = models.BigIntegerField(_("number"), primary_key=True, editable=False)
    at = models.DateTimeField(_("at"), db_index=True)
    # No database constraint and DO_NOTHING: deleting a user must neither cascade into nor
    # update the log; actor_label keeps the name.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING,
                              db_constraint=False, related_name="+", verbose_name=_("actor"))
    actor_label = models.CharField(_("who"), max_length=150)
    action = models.CharField(_("action"), max_length=6, choices=Action.choices)
    object_type = models.CharField(_("object type"), max_length=100, help_text=_("app_label.model"))
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=200)
    changes = models.JSONField(_("changes"), default=dict)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64, unique=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-seq"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self):
        return f"#{self.seq} {self.actor_label} {self.action} {self.object_type} {self.object_repr}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("change")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("delete")

    def content(self) -> dict:
        """Everything the hash covers, in plain JSON types."""
        return {
            "seq": self.seq,
            "at": self.at.astimezone(UTC).isoformat(),
            "actor_id": self.actor_id,
            "actor_label": self.actor_label,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "object_repr": self.object_repr,
            "changes": self.changes,
            "prev_hash": self.prev_hash,
        }

    def canonical(self) -> bytes:
        return json.dumps(self.content(), sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()

    def compute_hash(self, key: bytes) -> str:
        """The entry's signature: HMAC-SHA256 of its content under the audit key."""
        return hmac.new(key, self.canonical(), hashlib.sha256).hexdigest()

    def legacy_hash(self) -> str:
        """The unkeyed SHA-256 of entries written before the chain was keyed (anyone can compute it)."""
        return hashlib.sha256(self.canonical()).hexdigest()
