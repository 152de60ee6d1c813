"""Bulk writes that still reach the audit log.

`queryset.update()` sends no signals, so the handlers in signals.py never hear of it. Code that
changes audited rows in bulk says so instead:

    audited_update(SnapshotBuild.objects.filter(package_id__in=dropped), pruned_at=now)
    audited_update(Station.objects.filter(pk=pk), unrecorded={"last_seen_at"}, package_id=..., last_seen_at=now)

One UPDATE as before, then one entry per row whose recorded values changed, in the same
transaction, with the values masked as signals.py masks them (secrets never written).
`unrecorded` names fields that change on every call (a heartbeat's time): changing only
those records nothing, like a login's `last_login`.
"""
from django.db import transaction

from lifeline.audit import services
from lifeline.audit.models import AuditEntry
from lifeline.audit.signals import MASK_CHANGED, UNRECORDED_FIELDS, _is_secret, _plain, _python


def audited_update(queryset, *, unrecorded=(), **values) -> int:
    """queryset.update(**values), recorded row by row; returns the number of rows updated."""
    model = queryset.model
    fields = [model._meta.get_field(name) for name in values]
    recorded = [f for f in fields if f.name not in UNRECORDED_FIELDS and f.name not in set(unrecorded)]
    using = queryset.db
    with transaction.atomic(using=using):
        pks = list(queryset.values_list("pk", flat=True))
        if not pks:
            return 0
        attnames = [f.attname for f in recorded]
        before = {row["pk"]: row for row in model._base_manager.using(using).filter(pk__in=pks).values("pk", *attnames)}
        count = model._base_manager.using(using).filter(pk__in=pks).update(**values)
        if not recorded:
            return count
        for row in model._base_manager.using(using).filter(pk__in=pks).order_by("pk"):
            changes = {}
            for f in recorded:
                old, new = before[row.pk][f.attname], f.value_from_object(row)
                if _python(f, old) != _python(f, new):
                    changes[f.name] = MASK_CHANGED if _is_secret(model, f) else [_plain(old), _plain(new)]
            if changes:
                services.append(AuditEntry.Action.UPDATE, row, changes, using)
    return count
