"""/api/v1/audit: the audit log, for administrators, auditors and commanders."""
from datetime import datetime

from ninja import Router, Schema
from ninja.pagination import paginate

from lifeline.accounts.permissions import can_read_audit
from lifeline.audit.models import AuditEntry

router = Router(tags=["audit"])


class EntryOut(Schema):
    seq: int
    at: datetime
    actor: str
    action: AuditEntry.Action
    object_type: str
    object_id: str
    object_repr: str
    changes: dict
    prev_hash: str
    hash: str

    @staticmethod
    def resolve_actor(entry):
        return entry.actor_label


@router.get("/entries", response=list[EntryOut], auth=can_read_audit.api)
@paginate
def entries(request, model: str = "", object_id: str = ""):
    """Newest first; `model` is app_label.Model (e.g. auth.User), `object_id` its primary key."""
    found = AuditEntry.objects.order_by("-seq")
    if model:
        found = found.filter(object_type=model.lower())
    if object_id:
        found = found.filter(object_id=object_id)
    return found
