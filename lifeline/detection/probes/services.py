"""What the pages and the API do with probes: save settings, check in a heartbeat, list them."""
from datetime import timedelta

from django.conf import settings
from django.urls import reverse

from lifeline.core import clock
from lifeline.detection.models import Probe
from lifeline.detection.probes import history, rules

# What a person may change (the rest is written by the readings and the scheduler).
SETTINGS_FIELDS = ["name", "kind", "component", "enabled", "config", "interval_seconds", "timeout_seconds",
                   "down_after", "up_after", "threshold_op", "threshold_value", "flap_changes",
                   "flap_window_seconds", "plan_id", "scenario_id", "level_id"]
UPTIME_SINCE = timedelta(hours=24)


def save(probe: Probe) -> Probe:
    """Save a person's settings (validated by the form); the probe runs at its next tick."""
    probe.next_due_at = None
    if probe.pk is None:
        probe.save()
        return probe
    # Only the settings: a reading landing meanwhile keeps its state.
    probe.save(update_fields=[*SETTINGS_FIELDS, "next_due_at", "heartbeat_token"])
    if not probe.enabled:
        rules.stand_down(probe.pk)
    return probe


def keep_counters(probe: Probe, counters: dict):
    """Keep what rate() needs of this scrape for the probe's next reading, written only when it changed."""
    if counters == probe.last_counters:
        return
    probe.last_counters = counters
    # An update, not save(): as with readings, no audit entry, and a person's edit under way keeps its settings.
    Probe.objects.filter(pk=probe.pk).update(last_counters=counters)


def check_in(token: str) -> Probe | None:
    """An outside job says it ran; None if no enabled heartbeat probe has that token."""
    probe = Probe.objects.filter(kind=Probe.Kind.HEARTBEAT, heartbeat_token=token, enabled=True).first()
    if probe is not None:
        probe.last_heartbeat_at = clock.now()
        # An update, not save(): a check-in every minute is not a change to audit.
        Probe.objects.filter(pk=probe.pk).update(last_heartbeat_at=probe.last_heartbeat_at)
    return probe


def heartbeat_url(probe: Probe) -> str:
    return settings.LIFELINE_BASE_URL + reverse("api:probe_heartbeat", kwargs={"token": probe.heartbeat_token})


def with_uptime(probes) -> list[Probe]:
    """The probes, each with `uptime` (per cent of good readings in the last 24 h, or None)."""
    shares = history.uptime(clock.now() - UPTIME_SINCE)
    probes = list(probes)
    for probe in probes:
        probe.uptime = shares.get(probe.pk)
    return probes
