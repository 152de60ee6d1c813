"""Probes in the REST API: their state, and the heartbeat check-in outside jobs call."""
from datetime import datetime

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router, Schema

from lifeline.accounts.permissions import can_read
from lifeline.core.errors import Refused
from lifeline.detection.models import Probe
from lifeline.detection.probes import services

router = Router(tags=["probes"])


class ProbeOut(Schema):
    id: int
    name: str
    kind: str
    component: str | None
    enabled: bool
    state: str
    state_since: datetime | None
    last_checked_at: datetime | None
    last_latency_ms: float | None
    last_value: float | None
    last_error: str
    uptime_24h: float | None

    @staticmethod
    def resolve_component(probe):
        return probe.component.name if probe.component else None

    @staticmethod
    def resolve_uptime_24h(probe):
        return getattr(probe, "uptime", None)


@router.get("/probes", response=list[ProbeOut], summary="Every probe with its state and 24 h uptime", auth=can_read.api)
def list_probes(request):
    return services.with_uptime(Probe.objects.select_related("component"))


@router.get("/probes/{probe_id}", response=ProbeOut, auth=can_read.api)
def get_probe(request, probe_id: int):
    return services.with_uptime([get_object_or_404(Probe.objects.select_related("component"), pk=probe_id)])[0]


@router.api_operation(["GET", "POST"], "/heartbeat/{token}", auth=None, url_name="probe_heartbeat",
                      summary="An outside job checks in (backups, nightly exports …); no login, the token is the key")
def heartbeat(request, token: str):
    """200 with the check-in time; 404 for a token no enabled heartbeat probe holds."""
    probe = services.check_in(token)
    if probe is None:
        raise Refused.not_found("token", _("no enabled heartbeat probe holds this token"))
    return {"checked_in_at": probe.last_heartbeat_at}
