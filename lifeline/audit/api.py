"""/api/v1/audit: the audit log, for administrators, auditors and commanders."""
from datetime import datetime

from ninja import Field, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from lifeline.accounts.permissions import can_read_audit
from lifeline.audit.models import AuditEntry

router = Router(tags=["audit"])


class Pages(LimitOffsetPagination):
    """limit and offset within what a database's integers hold (a huge offset was a 500 on PostgreSQL)."""

    class Input(Schema):
        limit: int = Field(100, ge=1, le=1000)
        offset: int = Field(0, ge=0, le=2**31 - 1)


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
@paginate(Pages)
def entries(request, model: str = "", object_id: str = ""):
    """Newest first; `model` is app_label.Model (e.g. auth.User), `object_id` its primary key."""
    found = AuditEntry.objects.order_by("-seq")
    if model:
        found = found.filter(object_type=model.lower())
    if object_id:
        found = found.filter(object_id=object_id)
    return found
