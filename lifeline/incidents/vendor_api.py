"""/api/v1/vendor-items and /api/v1/incidents/{id}/commitments: vendors (承建单位), thin over
incidents.vendors. The command centre and auditors read; IT on duty and commanders record
a vendor's committed repair time."""
from datetime import datetime

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from lifeline.accounts.permissions import can_read, can_run_incidents
from lifeline.core.errors import Refused
from lifeline.core.spreadsheets import XLSX_TYPE
from lifeline.incidents import vendors
from lifeline.incidents.models import Incident

router = Router(tags=["vendors"])


class CommitmentIn(Schema):
    role: str = Field(examples=["dependency_vendor"], description="A vendor role of the incident's plan")
    repair_by: datetime = Field(examples=["2026-11-22T18:00:00+08:00"],
                                description="When the vendor says it will be repaired (later than now, within a year)")
    note: str = Field("", max_length=300, examples=["处理单 CL-0042：业务中台接口超时，待发版"])


class CommitmentOut(Schema):
    incident: int = Field(alias="incident_id")
    role: str
    repair_by: datetime
    note: str
    recorded_at: datetime
    overdue_notified_at: datetime | None


class VendorItemOut(Schema):
    incident: int
    title: str
    level: str
    status: str
    is_drill: bool
    role: str
    vendor: str
    contact: str
    deadline: datetime | None
    repair_by: datetime | None
    overdue_since: datetime | None
    overdue_hours: float | None
    open_steps: int
    note: str


def _role(role: str) -> str:
    if role and role not in dict(vendors.choices()):
        raise Refused("role", _("%(value)s is not a vendor role of an active plan") % {"value": role})
    return role


@router.get("/vendor-items", response=list[VendorItemOut], auth=can_read.api)
def vendor_items(request, role: str = ""):
    """Every vendor on every open incident (or only the vendor `role`), overdue first."""
    return [{"incident": i.incident.pk, "title": i.incident.title, "level": i.incident.level_id,
             "status": i.incident.status, "is_drill": i.incident.is_drill, "role": i.role, "vendor": i.vendor,
             "contact": i.contact, "deadline": i.deadline, "repair_by": i.repair_by,
             "overdue_since": i.overdue_since, "overdue_hours": i.overdue_hours, "open_steps": i.open_steps,
             "note": i.note} for i in vendors.items(_role(role))]


@router.get("/vendor-items.xlsx", openapi_extra={"responses": {200: {
    "description": "The vendors' open items as an Excel workbook",
    "content": {XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}}}}}}, auth=can_read.api)
def vendor_items_xlsx(request, role: str = ""):
    """The vendors' open items as .xlsx, overdue first (to send to the vendor)."""
    response = HttpResponse(vendors.workbook(vendors.items(_role(role))), content_type=XLSX_TYPE)
    response["Content-Disposition"] = 'attachment; filename="vendors.xlsx"'
    return response


@router.post("/incidents/{incident_id}/commitments", response={201: CommitmentOut}, auth=can_run_incidents.api)
def commit(request, incident_id: int, payload: CommitmentIn):
    """Record (or change) when the vendor says the problem will be repaired; on the timeline."""
    incident = get_object_or_404(Incident.objects.select_related("plan_version"), pk=incident_id)
    return Status(201, vendors.commit(incident, payload.role, payload.repair_by, payload.note, request.user))
