"""From readings to the probe's state, and from its state to one alert.

- down after `down_after` failures in a row, up after `up_after` successes in a row (from
  unknown as well);
- flap damping: more than `flap_changes` changes of the observed state within
  `flap_window_seconds` hold the probe "flapping" (alerted once) until the observed state has
  stayed the same for a whole window;
- one alert per probe (fingerprint "probe:<id>"): raised when the probe is down or flapping,
  resolved when it is up again. A component under maintenance raises nothing; once the window
  ends a probe still down raises its alert. If raising fails the next reading tries again.
"""
import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from lifeline.core import clock
from lifeline.detection.models import Probe, ProbeChange, ProbeResult
from lifeline.detection.probes.reading import Reading

log = logging.getLogger("lifeline.detection.probes")
S = Probe.State
BAD = (S.DOWN, S.FLAPPING)
READING_FIELDS = ["state", "state_since", "observed", "last_checked_at", "last_latency_ms", "last_value",
                  "last_error", "consecutive_failures", "consecutive_successes", "alerted"]


@transaction.atomic
def record(probe_id: int, at: datetime, reading: Reading) -> Probe | None:
    """Keep one reading (the one for slot `at`) and act on it; None if that slot has one already.
    A reading without a verdict only says when the probe was last checked, and why it cannot
    judge yet."""
    probe = Probe.objects.select_for_update(of=("self",)).select_related("component").get(pk=probe_id)
    if reading.ok is None:
        probe.last_checked_at, probe.last_error = clock.now(), reading.error
        Probe.objects.filter(pk=probe.pk).update(last_checked_at=probe.last_checked_at, last_error=reading.error)
        return probe
    _result, created = ProbeResult.objects.get_or_create(
        probe=probe, at=at, defaults={"ok": reading.ok, "latency_ms": reading.latency_ms,
                                      "value": reading.value, "error": reading.error[:500]})
    if not created:
        return None
    probe.last_checked_at = clock.now()
    probe.last_latency_ms, probe.last_value, probe.last_error = reading.latency_ms, reading.value, reading.error
    count(probe, reading.ok)
    observe(probe, at)
    reconcile_alert(probe, at)
    # An update, not save(): readings are not changes someone made (no audit entry), and a person
    # editing the probe's settings meanwhile keeps their edit.
    Probe.objects.filter(pk=probe.pk).update(**{name: getattr(probe, name) for name in READING_FIELDS})
    return probe


def count(probe: Probe, ok: bool):
    if ok:
        probe.consecutive_successes, probe.consecutive_failures = probe.consecutive_successes + 1, 0
    else:
        probe.consecutive_failures, probe.consecutive_successes = probe.consecutive_failures + 1, 0


def observe(probe: Probe, at: datetime):
    """The observed state from the counts, then the state shown after flap damping."""
    previous = observed = probe.observed
    if probe.consecutive_successes >= probe.up_after:
        observed = S.UP
    elif probe.consecutive_failures >= probe.down_after:
        observed = S.DOWN
    probe.observed = observed
    # Leaving unknown is the first verdict, not a change that could be flapping.
    changed = observed != previous and previous != S.UNKNOWN
    state = _damped(probe, at, changed)
    if changed:
        ProbeChange.objects.create(probe=probe, at=at, observed=observed, state=state)
    if state != probe.state:
        probe.state, probe.state_since = state, at


def _damped(probe: Probe, at: datetime, changed: bool) -> str:
    if not probe.flap_changes:
        return probe.observed
    window = at - timedelta(seconds=probe.flap_window_seconds)
    recent = probe.changes.filter(at__gt=window).count() + changed
    if probe.state == S.FLAPPING:
        settled = not changed and not probe.changes.filter(at__gt=window).exists()
        return probe.observed if settled else S.FLAPPING
    return S.FLAPPING if recent > probe.flap_changes else probe.observed


def reconcile_alert(probe: Probe, at: datetime):
    """Make the probe's one alert follow its state; a failure to raise is retried next reading.
    While a silence or maintenance window covers the probe its alert waits: raised once by
    the first reading after it ends, if the probe is still down."""
    from lifeline.detection import alerts

    if probe.state in BAD and not probe.alerted:
        if alerts.muted(labels=labels(probe), component=probe.component, at=at):
            return
        firing = True
    elif probe.state == S.UP and probe.alerted:
        firing = False
    else:
        return
    try:
        with transaction.atomic():
            _raise(probe, firing, at)
    except Exception:
        log.exception("probe %s: raising its alert failed; the next reading tries again", probe.pk)
        return
    probe.alerted = firing


@transaction.atomic
def stand_down(probe_id: int):
    """A probe switched off knows nothing any more: back to unknown, and its alert resolved."""
    probe = Probe.objects.select_for_update(of=("self",)).select_related("component").get(pk=probe_id)
    now = clock.now()
    if probe.alerted:
        _raise(probe, False, now, _("Probe %(name)s was switched off") % {"name": probe.name})
    probe.state = probe.observed = S.UNKNOWN
    probe.state_since, probe.consecutive_failures, probe.consecutive_successes, probe.alerted = now, 0, 0, False
    Probe.objects.filter(pk=probe.pk).update(**{name: getattr(probe, name) for name in READING_FIELDS})


def _raise(probe: Probe, firing: bool, at: datetime, summary: str = ""):
    from lifeline.detection import alerts  # the alerts open incidents, which know nothing of probes

    if firing:
        summary = _("Probe %(name)s is %(state)s: %(error)s") % {
            "name": probe.name, "state": probe.get_state_display(), "error": probe.last_error or "-"}
    elif not summary:
        summary = _("Probe %(name)s is up again") % {"name": probe.name}
    alerts.raise_signal(source=probe.source, fingerprint=probe.source, firing=firing, summary=summary[:300],
                        component=probe.component, plan_id=probe.plan_id, scenario_id=probe.scenario_id,
                        level_id=probe.level_id, labels=labels(probe), at=at,
                        origin=_("probe %(name)s") % {"name": probe.name})


def labels(probe: Probe) -> dict:
    found = {"probe": probe.name, "kind": probe.kind, "state": probe.state}
    if probe.component:
        found["component"] = probe.component.key
    return found
