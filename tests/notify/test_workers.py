"""Several workers claiming deliveries at the same moment: each delivery goes to exactly one."""
import threading

import pytest
from django.db import OperationalError, connection

from lifeline.incidents import escalation
from lifeline.notify import delivery
from lifeline.notify.models import Delivery

pytestmark = pytest.mark.django_db(transaction=True)
WORKERS = 4


def claim(now):
    """A worker's claim. SQLite's in-memory test database answers "locked" at once where the
    database file workers share waits for its busy timeout: wait the same way here."""
    while True:
        try:
            return delivery.claim_due(now, limit=10)
        except OperationalError as exc:
            if connection.vendor != "sqlite" or "locked" not in str(exc):
                raise


def test_concurrent_claims_never_share_a_delivery(incident_003, on_duty, clock):
    incident, director = incident_003()
    roles = [f"role_{n}" for n in range(30)]
    for role in roles:
        on_duty(role, f"成员{role}")
    escalation.notify(incident, roles, "请到场", "test")
    delivery.enqueue_new()
    due = set(Delivery.objects.values_list("pk", flat=True))
    start = threading.Barrier(WORKERS)
    claimed, errors = [], []

    def worker():
        try:
            start.wait()
            claimed.append({d.pk for d in claim(clock.now())})
        except Exception as exc:  # noqa: BLE001 — reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sum(len(c) for c in claimed) == len(set().union(*claimed)) == len(due) == 31
