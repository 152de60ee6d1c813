"""What detection tells the apps below it, connected in DetectionConfig.ready().

- Alarms (lifeline.core.alarms) of apps below detection (continuity's stale snapshot) become
  alerts through `alerts.raise_signal`, like any other source's.
- The status app learns what the probes find (lifeline.status.sources): a down probe suspends
  its component (暂停服务), one that keeps flapping degrades it (部分功能受影响); and the
  status wall's probe tiles.
- Alert groups no plan routes are shown in red on the command dashboard
  (lifeline.incidents.attention) and on the status wall (unrouted.py).
"""
from django.db.models import F
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from lifeline.core import alarms
from lifeline.detection import unrouted
from lifeline.detection.alerts import raise_signal
from lifeline.detection.models import Alert, Probe
from lifeline.incidents import attention
from lifeline.status import sources
from lifeline.status.models import Component

# A down probe suspends its component; one that keeps flapping means it works only now and then.
PROBE_EFFECT = {Probe.State.DOWN: Component.State.OUTAGE, Probe.State.FLAPPING: Component.State.DEGRADED}


def connect():
    alarms.alarm.connect(on_alarm, dispatch_uid="lifeline.detection.on_alarm")
    sources.add_findings("probes", failing_probes)
    sources.add_wall_section("probes", probe_tiles)
    sources.add_wall_section("unrouted", unrouted.wall_tiles)
    attention.add("unrouted_alerts", unrouted.attention_items)


def on_alarm(sender, *, source, fingerprint, firing, summary, labels, **kwargs):
    """An alarm raises its alert; a condition reported fine resolves the alert only while it fires."""
    if not firing and not Alert.objects.filter(source=source, fingerprint=fingerprint,
                                               status=Alert.Status.FIRING).exists():
        return
    raise_signal(source=source, fingerprint=fingerprint, firing=firing, summary=summary, labels=labels)


def enabled_probes() -> list[Probe]:
    """Enabled probes with their components: in the components' order, probes of no component last
    (on every database: their NULL order differs)."""
    return list(Probe.objects.filter(enabled=True).select_related("component")
                .order_by(F("component__order").asc(nulls_last=True), "name"))


def failing_probes() -> list[sources.Finding]:
    failing = Probe.objects.filter(enabled=True, component__isnull=False, state__in=list(PROBE_EFFECT))
    return [sources.Finding(p.component_id, PROBE_EFFECT[p.state],
                            _("probe %(name)s: %(state)s") % {"name": p.name, "state": p.get_state_display()})
            for p in failing.order_by("name")]


def probe_tiles() -> list[dict]:
    """The status wall's probe tiles: state in the reader's language, latency in whole milliseconds."""
    return [{"name": p.name, "component": p.component.name if p.component else "", "state": p.state,
             "label": p.get_state_display(),
             "latency_ms": round(p.last_latency_ms) if p.last_latency_ms is not None else None,
             "checked_at": localtime(p.last_checked_at).isoformat() if p.last_checked_at else None,
             "error": p.last_error}
            for p in enabled_probes()]
