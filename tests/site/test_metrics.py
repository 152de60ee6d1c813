"""`/metrics`: the hospital's monitoring scrapes Lifeline itself, with a token or from an allowed
network; read here with prometheus_client's own parser after making each condition happen."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from prometheus_client.parser import text_string_to_metric_families

from lifeline.accounts.roles import Role
from lifeline.core.models import WorkerBeat
from lifeline.detection.models import AlertGroup
from lifeline.incidents import lifecycle
from lifeline.incidents.models import OutboxMessage, Timer
from lifeline.notify.models import Delivery, DeliveryAttempt
from lifeline.plans import services as plans
from lifeline.snapshots.models import SnapshotBuild
from lifeline.stations.models import Station
from tests.plans.seeds import bundled_file

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-for-the-test-0123456789"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def t0(clock):
    return clock.freeze(T0)


@pytest.fixture
def with_token(settings, tmp_path):
    settings.METRICS_TOKEN, settings.METRICS_ALLOW = TOKEN, ""
    settings.WORKDAYS_FILE = str(tmp_path / "workdays.yaml")  # the package's years only


def scrape(client, token=TOKEN, **extra) -> dict:
    """Every sample as {(name, frozenset(labels)): value}."""
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}", **extra)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())))


def test_the_metrics_follow_what_happens(client, with_token, t0, settings):
    settings.SNAPSHOT_MAPPING = ""
    quiet = scrape(client)
    assert value(quiet, "lifeline_workers_alive") == 0 and value(quiet, "lifeline_worker_heartbeat_age_seconds") is None
    assert value(quiet, "lifeline_timers_due") == 0 and value(quiet, "lifeline_alert_groups_unrouted") == 0
    assert value(quiet, "lifeline_snapshot_age_seconds") is None and value(quiet, "lifeline_snapshot_stale") == 0
    assert value(quiet, "lifeline_workdays_year_known", year="2026") == 1

    # The workers: one alive, one last seen 90 s ago.
    for name, seconds in (("his-app-1:101", 5), ("his-app-2:202", 90)):
        WorkerBeat.objects.create(name=name, started_at=t0 - timedelta(hours=5),
                                  seen_at=t0 - timedelta(seconds=seconds))
    # Timers: one waiting, one just due, one overdue (no worker fired it), one fired long ago.
    plan_id = plans.load_files([bundled_file("004")])[0].plan_id
    incident = lifecycle.open_incident(plan_id=plan_id, title="HIS 全网故障")
    incident.timers.all().delete()
    for key, due, status in (("wait", t0 + timedelta(minutes=10), Timer.Status.PENDING),
                             ("due", t0 - timedelta(seconds=30), Timer.Status.PENDING),
                             ("late", t0 - timedelta(minutes=5), Timer.Status.PENDING),
                             ("done", t0 - timedelta(hours=1), Timer.Status.FIRED)):
        Timer.objects.create(incident=incident, kind=Timer.Kind.REMINDER, key=key, due_at=due, action={},
                             status=status)
    # Deliveries: two failed on every channel (wecom and sms; wecom), one still pending.
    Delivery.objects.all().delete()
    for n, (status, failures) in enumerate([(Delivery.Status.FAILED, ["wecom", "wecom", "sms"]),
                                            (Delivery.Status.FAILED, ["wecom"]),
                                            (Delivery.Status.PENDING, ["sms"])]):
        message = OutboxMessage.objects.create(incident=incident, subject="HIS 全网故障", contact="8021",
                                               dedupe_key=f"metrics-test-{n}")
        delivery = Delivery.objects.create(message=message, status=status)
        for number, kind in enumerate(failures, 1):
            DeliveryAttempt.objects.create(delivery=delivery, target=kind, kind=kind, recipient="刘洋",
                                           number=number, ok=False, error="timeout")
    DeliveryAttempt.objects.create(target="wecom", kind="wecom", recipient="test", ok=False, error="a test message")
    # Alert groups: one that no plan routes; one routed; one firing but muted on purpose (no reason kept).
    AlertGroup.objects.create(source="integration:1", key="db", summary="Oracle down", problem="no plan names db")
    AlertGroup.objects.create(source="integration:1", key="web", incident=incident)
    AlertGroup.objects.create(source="integration:1", key="muted")
    # Snapshots: the newest published package read the HIS two hours ago (threshold 60 min).
    SnapshotBuild.objects.create(kind=SnapshotBuild.Kind.FULL, status=SnapshotBuild.Status.PUBLISHED, trigger="cli",
                                 started_at=t0 - timedelta(hours=2), package_id="p-1", mapping_path="his.yaml")
    # Stations: one stale, one fresh, one holding nothing, one revoked (not counted).
    for name, built, revoked in (("收费1", t0 - timedelta(hours=3), None), ("收费2", t0 - timedelta(minutes=10), None),
                                 ("药房1", None, None), ("旧机", None, t0)):
        Station.objects.create(name=name, department="收费处", token_hash=f"hash-{name}", package_built_at=built,
                               revoked_at=revoked)

    found = scrape(client)
    assert value(found, "lifeline_worker_last_heartbeat_timestamp_seconds", worker="his-app-2:202") == (
        t0 - timedelta(seconds=90)).timestamp()
    assert value(found, "lifeline_workers_alive") == 1
    assert value(found, "lifeline_worker_heartbeat_age_seconds") == 5
    timers = ("pending", "due", "overdue", "oldest_due_seconds")
    assert [value(found, f"lifeline_timers_{name}") for name in timers] == [1, 2, 1, 300]
    assert value(found, "lifeline_notify_deliveries_failed", channel="wecom") == 2
    assert value(found, "lifeline_notify_deliveries_failed", channel="sms") == 1
    assert value(found, "lifeline_notify_attempts_failed_total", channel="wecom") == 3  # the test message is not one
    assert value(found, "lifeline_notify_attempts_failed_total", channel="sms") == 2
    assert value(found, "lifeline_notify_deliveries_pending") == 1
    assert value(found, "lifeline_alert_groups_unrouted") == 1
    assert value(found, "lifeline_snapshot_age_seconds") == 7200 and value(found, "lifeline_snapshot_stale") == 1
    assert value(found, "lifeline_stations") == 3 and value(found, "lifeline_stations_stale") == 2

    # The worker catches up: timers fire, and the unknown next year shows.
    Timer.objects.filter(status=Timer.Status.PENDING, due_at__lte=t0).update(status=Timer.Status.FIRED)
    later = scrape(client)
    assert value(later, "lifeline_timers_due") == 0 and value(later, "lifeline_timers_overdue") == 0
    assert value(later, "lifeline_workdays_year_known", year="2027") == 0


def test_without_the_token_nobody_reads_it_not_even_a_logged_in_admin(client, with_token, make_user):
    answer = client.get("/metrics")
    assert answer.status_code == 401 and answer["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}").status_code == 401
    client.force_login(make_user("root", Role.ADMIN))
    assert client.get("/metrics").status_code == 401
    assert b"lifeline_" not in client.get("/metrics").content


def test_off_until_a_token_or_a_network_is_set(client, settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOW = "", ""
    answer = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert answer.status_code == 403 and b"LIFELINE_METRICS_TOKEN" in answer.content


def test_an_allowed_network_reads_it_without_a_token(client, settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOW = "", "10.20.0.0/16, 192.168.1.7"
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="10.20.3.4").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.168.1.7").status_code == 200
    # Both set: both must hold.
    settings.METRICS_TOKEN = TOKEN
    assert client.get("/metrics", REMOTE_ADDR="10.20.3.4").status_code == 401
    assert client.get("/metrics", REMOTE_ADDR="10.99.3.4", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 403
    assert scrape(client, REMOTE_ADDR="10.20.3.4")
