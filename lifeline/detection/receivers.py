"""What Alertmanager, Zabbix and plain webhooks send, read into signals (docs/integrations.md).

Unknown keys are ignored, so newer versions of a source still get through; a missing or
wrong field is refused with its path (alerts.0.status) before anything is stored.
"""
import hashlib
import json
from datetime import UTC, datetime
from typing import Annotated, Literal

from django.utils import timezone
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from lifeline.detection import alerts
from lifeline.detection.integrations import Router
from lifeline.detection.models import Integration

# Alertmanager says "no end yet" with the zero time, 0001-01-01T00:00:00Z.
NO_TIME = datetime(1971, 1, 1, tzinfo=UTC)
Text = Annotated[str, BeforeValidator(lambda v: str(v) if isinstance(v, int | float) else v)]


class BadPayload(Exception):
    """The payload was refused; `errors` holds (field path, reason) pairs."""

    def __init__(self, errors: list[tuple[str, str]]):
        self.errors = errors
        super().__init__("; ".join(f"{field}: {reason}" for field, reason in errors))


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore")


# --- Prometheus Alertmanager, webhook version 4 ---------------------------------------------

class AlertmanagerAlert(_Payload):
    status: Literal["firing", "resolved"]
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}
    startsAt: datetime | None = None
    endsAt: datetime | None = None
    fingerprint: str = Field("", max_length=255)


class AlertmanagerPayload(_Payload):
    groupKey: str = ""
    alerts: list[AlertmanagerAlert]


def _alertmanager(payload: AlertmanagerPayload, router: Router) -> list[alerts.Signal]:
    signals = []
    for alert in payload.alerts:
        labels = alert.labels
        firing = alert.status == "firing"
        starts, ends = _time(alert.startsAt), _time(alert.endsAt)
        summary = (alert.annotations.get("summary") or alert.annotations.get("description")
                   or labels.get("alertname") or "alert")
        signals.append(_signal(router, labels, fingerprint=alert.fingerprint or _digest(labels), firing=firing,
                               summary=summary, group_key=router.group_key(labels, payload.groupKey),
                               at=starts if firing else ends, starts_at=starts))
    return signals


# --- Zabbix, through the webhook media type of docs/integrations.md -------------------------

class ZabbixTag(_Payload):
    tag: str
    value: Text = ""


class ZabbixEvent(_Payload):
    event_id: Text = Field(min_length=1, max_length=255)
    status: Literal["PROBLEM", "RESOLVED"]
    host: str = Field(min_length=1)
    trigger: str = Field(min_length=1)
    severity: str = ""
    event_time: datetime | None = None
    tags: dict[str, Text] | list[ZabbixTag] = {}
    message: str = ""


def _zabbix(event: ZabbixEvent, router: Router) -> list[alerts.Signal]:
    tags = event.tags if isinstance(event.tags, dict) else {t.tag: t.value for t in event.tags}
    labels = {**tags, "alertname": event.trigger, "host": event.host, "severity": event.severity}
    # A recovery message carries the problem's event id, so both reach the same alert.
    return [_signal(router, labels, fingerprint=event.event_id, firing=event.status == "PROBLEM",
                    summary=f"{event.host}: {event.trigger}", group_key=router.group_key(labels, event.host),
                    at=_time(event.event_time))]


# --- generic webhook -------------------------------------------------------------------------

class WebhookAlert(_Payload):
    fingerprint: Text = Field(min_length=1, max_length=255)
    status: Literal["firing", "resolved"]
    summary: str = Field(min_length=1)
    labels: dict[str, Text] = {}
    component: str = ""
    severity: str = ""
    group: str = ""
    starts_at: datetime | None = None
    ends_at: datetime | None = None


class WebhookPayload(_Payload):
    alerts: list[WebhookAlert] = Field(min_length=1)


def _webhook(payload: WebhookPayload, router: Router) -> list[alerts.Signal]:
    signals = []
    integration = router.integration
    for alert in payload.alerts:
        labels = dict(alert.labels)
        if alert.component:
            labels[integration.component_label] = alert.component
        if alert.severity:
            labels[integration.severity_label] = alert.severity
        firing = alert.status == "firing"
        starts, ends = _time(alert.starts_at), _time(alert.ends_at)
        signals.append(_signal(router, labels, fingerprint=alert.fingerprint, firing=firing, summary=alert.summary,
                               group_key=router.group_key(labels, alert.group), at=starts if firing else ends,
                               starts_at=starts))
    return signals


def _webhook_body(data):
    """The webhook also takes one alert on its own, without the "alerts" list around it."""
    return {"alerts": [data]} if isinstance(data, dict) and "alerts" not in data else data


READERS = {
    Integration.Kind.ALERTMANAGER: (AlertmanagerPayload, _alertmanager, lambda data: data),
    Integration.Kind.ZABBIX: (ZabbixEvent, _zabbix, lambda data: data),
    Integration.Kind.WEBHOOK: (WebhookPayload, _webhook, _webhook_body),
}


# --- shared ----------------------------------------------------------------------------------

def receive(integration: Integration, body: bytes) -> int:
    """Read the payload and store its alerts; returns how many. Raises BadPayload, storing nothing."""
    schema, read, unwrap = READERS[integration.kind]
    try:
        data = json.loads(body or b"null")
    except ValueError as exc:
        raise BadPayload([("body", f"not valid JSON ({exc})")]) from exc
    except RecursionError as exc:  # a hostile body nested thousands of levels deep
        raise BadPayload([("body", "nested too deeply")]) from exc
    try:
        payload = schema.model_validate(unwrap(data))
    except RecursionError as exc:
        raise BadPayload([("body", "nested too deeply")]) from exc
    except ValidationError as exc:
        raise BadPayload([(".".join(map(str, e["loc"])) or "body", e["msg"]) for e in exc.errors()]) from exc
    return alerts.ingest(read(payload, Router(integration)))


def _signal(router: Router, labels: dict, **fields) -> alerts.Signal:
    integration = router.integration
    route = router.route(labels)
    return alerts.Signal(source=integration.source, origin=integration.name, labels=labels,
                         component=route.component, plan_id=integration.plan_id,
                         scenario_id=integration.scenario_id, level_id=route.level_id, **fields)


def _time(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)  # a source without a zone means the hospital's
    return value if value > NO_TIME else None


def _digest(labels: dict) -> str:
    return hashlib.sha256(json.dumps(labels, sort_keys=True).encode()).hexdigest()[:32]
