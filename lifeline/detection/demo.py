"""The demo's probes, so that a newcomer's status wall and probe pages show live readings:
Lifeline's own health check, the demo HIS's database and a nightly-backup heartbeat.
Loading twice changes nothing but the settings."""
from datetime import timedelta
from pathlib import Path

from django.conf import settings

from lifeline.core import clock
from lifeline.detection.models import Probe
from lifeline.status.models import Component


def load_demo(his_database: Path) -> int:
    """The probes, by name; `his_database` is the demo HIS's SQLite file."""
    registration = Component.objects.filter(key="registration").first()
    probes = [
        ("Lifeline 自检", Probe.Kind.HTTP, None, 30,
         {"url": f"{settings.LIFELINE_BASE_URL.rstrip('/')}/healthz", "keyword": '"ok"'}, {}),
        ("演示 HIS 数据库", Probe.Kind.SQL, registration, 60,
         {"connection": {"url": f"sqlite:///{his_database}"}, "query": "SELECT COUNT(*) FROM PAT_MASTER_INDEX"},
         {"threshold_op": Probe.Op.LT, "threshold_value": 1}),
        ("夜间 HIS 备份", Probe.Kind.HEARTBEAT, None, 60, {"period_minutes": 24 * 60}, {}),
    ]
    now = clock.now()
    for name, kind, component, interval, config, extra in probes:
        probe, created = Probe.objects.update_or_create(name=name, defaults={
            "kind": kind, "component": component, "config": config, "interval_seconds": interval, **extra})
        # First reading one interval on: `make run` starts the worker and the server together,
        # and a health check read before the server listens would be a failure of the demo's own.
        Probe.objects.filter(pk=probe.pk).update(next_due_at=now + timedelta(seconds=interval))
        if created and kind == Probe.Kind.HEARTBEAT:
            # As if last night's backup had checked in: the demo opens no incident of its own.
            Probe.objects.filter(pk=probe.pk).update(last_heartbeat_at=now - timedelta(hours=1))
    return len(probes)
