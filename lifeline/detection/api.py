from django.utils.translation import gettext as _
from ninja import Router

from lifeline.core.errors import Refused
from lifeline.detection import integrations, receivers
from lifeline.detection.models import Integration

router = Router(tags=["detection"])


# --- ALERTS: receivers (token in the URL, no login) -------------------------------------------

@router.post("/integrations/{kind}/{token}", auth=None, url_name="receive_alerts",
             summary="Receive alerts from Alertmanager, Zabbix or a webhook (see docs/integrations.md)")
def receive_alerts(request, kind: str, token: str):
    """200 once the alerts are committed; 404 for an unknown token; 400 naming the bad field."""
    integration = integrations.find(kind, token) if kind in Integration.Kind.values else None
    if integration is None:
        raise Refused.not_found("token", _("no integration with this token"))
    try:
        stored = receivers.receive(integration, request.body)
    except receivers.BadPayload as bad:
        raise Refused.of(bad.errors) from bad
    return {"stored": stored}


# --- PROBES: their state, and the heartbeat check-in (token in the URL, no login) ------------
router.add_router("", "lifeline.detection.probes.api.router")
