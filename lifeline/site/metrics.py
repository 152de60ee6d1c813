"""`/metrics`: Lifeline watched by the hospital's own monitoring (Prometheus text format).

The thing that watches the hospital is itself watched. Every scrape reads the database afresh:

    lifeline_worker_last_heartbeat_timestamp_seconds{worker}  last sign of life of each `lifeline worker`
                                                               seen in the last day (unix seconds)
    lifeline_worker_heartbeat_age_seconds                     seconds since any worker was last seen
                                                               (absent when none ever was)
    lifeline_workers_alive                                    workers seen in the last minute (as /healthz)
    lifeline_timers_pending                                   durable timers waiting for their moment
    lifeline_timers_due                                       timers whose moment has come, not yet fired
    lifeline_timers_overdue                                   of those, due more than 60 s ago: no worker
                                                               is firing them
    lifeline_timers_oldest_due_seconds                        how long the oldest due timer has waited
    lifeline_notify_deliveries_failed{channel}                messages that failed on every channel, by each
                                                               kind of channel they failed on (wecom, sms …)
    lifeline_notify_attempts_failed_total{channel}            failed delivery attempts, by kind of channel
    lifeline_notify_deliveries_pending                        messages still being delivered
    lifeline_alert_groups_unrouted                            firing alert groups that opened no incident
                                                               (no plan routes them; detection/unrouted.py)
    lifeline_snapshot_configured                              1 when a HIS mapping is set (snapshots expected)
    lifeline_snapshot_age_seconds                             age of the newest published package's data
                                                               (absent when none is published)
    lifeline_snapshot_stale                                   1 when that is older than the threshold, or
                                                               none is published while one is expected
    lifeline_stations                                         emergency workstations in service
    lifeline_stations_stale                                   of those, holding nothing or stale data
    lifeline_workdays_year_known{year}                        1 when the working-day calendar knows this
                                                               year and the next (core/workdays.py)

Access (settings docstring): LIFELINE_METRICS_TOKEN, sent as `Authorization: Bearer <token>`,
and/or LIFELINE_METRICS_ALLOW, addresses and networks the scraper connects from. Each one set
must be met; with neither set /metrics answers 403. A login session does not open it.
"""
import hmac
import ipaddress
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Min, Q
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from lifeline.accounts.permissions import public
from lifeline.core import clock, workdays
from lifeline.core.models import WorkerBeat
from lifeline.detection import unrouted
from lifeline.incidents.models import Timer
from lifeline.notify.models import Delivery, DeliveryAttempt
from lifeline.snapshots import services as snapshot_services
from lifeline.stations import registry

# A due timer not fired within this long means no worker is firing timers.
OVERDUE_AFTER = timedelta(seconds=60)
ALIVE_WITHIN = timedelta(minutes=1)  # as /healthz
SHOWN_WORKERS_WITHIN = timedelta(days=1)


def _gauge(name, documentation, value=None, labels=(), samples=()):
    family = GaugeMetricFamily(name, documentation, labels=list(labels) or None)
    if value is not None:
        family.add_metric([], value)
    for label_values, sample in samples:
        family.add_metric(list(label_values), sample)
    return family


class LifelineCollector:
    """Reads the database at scrape time; nothing is kept in the process."""

    def __init__(self, now=None):
        self.now = now

    def collect(self):
        now = self.now or clock.now()
        yield from self._workers(now)
        yield from self._timers(now)
        yield from self._deliveries()
        yield _gauge("lifeline_alert_groups_unrouted", "Firing alert groups that opened no incident.",
                     unrouted.groups().count())
        yield from self._snapshots(now)
        yield from self._stations(now)
        this_year = timezone.localtime(now).year
        yield _gauge("lifeline_workdays_year_known", "1 when the working-day calendar knows the year.",
                     labels=["year"],
                     samples=[((str(y),), float(workdays.known(y))) for y in (this_year, this_year + 1)])

    def _workers(self, now):
        beats = list(WorkerBeat.objects.filter(seen_at__gte=now - SHOWN_WORKERS_WITHIN).order_by("name"))
        yield _gauge("lifeline_worker_last_heartbeat_timestamp_seconds", "Last heartbeat of each worker.",
                     labels=["worker"], samples=[((b.name,), b.seen_at.timestamp()) for b in beats])
        last = WorkerBeat.objects.order_by("-seen_at").values_list("seen_at", flat=True).first()
        age = _gauge("lifeline_worker_heartbeat_age_seconds", "Seconds since any worker was last seen.")
        if last is not None:
            age.add_metric([], max(0.0, (now - last).total_seconds()))
        yield age
        yield _gauge("lifeline_workers_alive", "Workers seen in the last minute.",
                     WorkerBeat.objects.filter(seen_at__gte=now - ALIVE_WITHIN).count())

    def _timers(self, now):
        pending = Timer.objects.filter(status=Timer.Status.PENDING)
        found = pending.aggregate(
            waiting=Count("pk", filter=Q(due_at__gt=now)), due=Count("pk", filter=Q(due_at__lte=now)),
            overdue=Count("pk", filter=Q(due_at__lte=now - OVERDUE_AFTER)),
            oldest=Min("due_at", filter=Q(due_at__lte=now)))
        yield _gauge("lifeline_timers_pending", "Timers waiting for their moment.", found["waiting"])
        yield _gauge("lifeline_timers_due", "Timers whose moment has come, not yet fired.", found["due"])
        yield _gauge("lifeline_timers_overdue", "Timers due more than 60 seconds ago, not yet fired.",
                     found["overdue"])
        oldest = found["oldest"]
        yield _gauge("lifeline_timers_oldest_due_seconds", "How long the oldest due timer has waited.",
                     (now - oldest).total_seconds() if oldest else 0.0)

    def _deliveries(self):
        failed = (DeliveryAttempt.objects.filter(ok=False, delivery__status=Delivery.Status.FAILED)
                  .values("kind").annotate(n=Count("delivery", distinct=True)).order_by("kind"))
        yield _gauge("lifeline_notify_deliveries_failed", "Messages that failed on every channel, by channel kind.",
                     labels=["channel"], samples=[((row["kind"],), row["n"]) for row in failed])
        attempts = CounterMetricFamily("lifeline_notify_attempts_failed", "Failed delivery attempts, by channel kind.",
                                       labels=["channel"])
        for row in (DeliveryAttempt.objects.filter(ok=False, delivery__isnull=False)
                    .values("kind").annotate(n=Count("pk")).order_by("kind")):
            attempts.add_metric([row["kind"]], row["n"])
        yield attempts
        yield _gauge("lifeline_notify_deliveries_pending", "Messages still being delivered.",
                     Delivery.objects.filter(status=Delivery.Status.PENDING).count())

    def _snapshots(self, now):
        fresh = snapshot_services.freshness(now)
        yield _gauge("lifeline_snapshot_configured", "1 when a HIS mapping is set.", float(fresh.configured))
        age = _gauge("lifeline_snapshot_age_seconds", "Age of the newest published snapshot package's data.")
        if fresh.age is not None:
            age.add_metric([], fresh.age.total_seconds())
        yield age
        yield _gauge("lifeline_snapshot_stale", "1 when the newest package is too old or missing.", float(fresh.stale))

    def _stations(self, now):
        found = [s for s in registry.states(now) if s.station.revoked_at is None]
        yield _gauge("lifeline_stations", "Emergency workstations in service.", len(found))
        yield _gauge("lifeline_stations_stale", "Workstations in service holding nothing or stale data.",
                     sum(1 for s in found if s.stale))


def render(now=None) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(LifelineCollector(now))
    return generate_latest(registry)


# --- access ----------------------------------------------------------------------------------

def allowed_networks() -> list:
    return [ipaddress.ip_network(entry.strip(), strict=False)
            for entry in (settings.METRICS_ALLOW or "").split(",") if entry.strip()]


def refusal(request) -> HttpResponse | None:
    """None when the request may read the metrics; else the answer that says why not."""
    token, networks = settings.METRICS_TOKEN, allowed_networks()
    if not token and not networks:
        return HttpResponse("/metrics is off: set LIFELINE_METRICS_TOKEN or LIFELINE_METRICS_ALLOW\n",
                            status=403, content_type="text/plain; charset=utf-8")
    if networks:
        try:
            peer = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
        except ValueError:
            peer = None
        if peer is None or not any(peer in network for network in networks):
            return HttpResponse("this address may not read /metrics (LIFELINE_METRICS_ALLOW)\n",
                                status=403, content_type="text/plain; charset=utf-8")
    if token:
        scheme, _sep, given = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
            answer = HttpResponse("a bearer token is required (LIFELINE_METRICS_TOKEN)\n", status=401,
                                  content_type="text/plain; charset=utf-8")
            answer["WWW-Authenticate"] = 'Bearer realm="lifeline-metrics"'
            return answer
    return None


@public("the hospital's monitoring scrapes it with LIFELINE_METRICS_TOKEN or from LIFELINE_METRICS_ALLOW; "
        "it answers nobody else")
@never_cache
def view(request):
    refused = refusal(request)
    if refused is not None:
        return refused
    return HttpResponse(render(), content_type=CONTENT_TYPE_LATEST)
