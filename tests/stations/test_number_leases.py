"""Number leases (号段): ranges of a kind never overlap across stations, even when stations ask
at the same moment; a station running low gets a new range, one whose answer was lost gets the
same one again; every lease is in the audit log; bad input names the field."""
import threading

import pytest
from django.db import OperationalError, connection

from lifeline.audit.models import AuditEntry
from lifeline.core import clock
from lifeline.stations import leasing, registry
from lifeline.stations.models import NumberLease
from lifeline.workstation.leases import DEFAULT_OFFSET, KINDS
from lifeline.workstation.numbering import LOW_WATER
from tests.stations.chains import bearer

URL = "/api/v1/continuity/stations/leases"
ALL_LOW = dict.fromkeys(KINDS, 0)


def renew(client, token, held=(), remaining=None):
    return client.post(URL, {"held": list(held), "remaining": ALL_LOW if remaining is None else remaining},
                       content_type="application/json", **bearer(token))


def assert_no_overlap(leases):
    for kind in KINDS:
        ranges = sorted((lease.first, lease.last) for lease in leases if lease.kind == kind)
        assert all(a_last < b_first for (_, a_last), (b_first, _) in zip(ranges, ranges[1:])), ranges


def patiently(grant):
    """The in-memory SQLite test database shares its cache between threads and answers a locked
    table at once, where a database file (as served) waits for the lock: try again until it is
    free. A grant that failed rolled back whole, so the ranges checked are the ones committed."""
    while True:
        try:
            return grant()
        except OperationalError as locked:
            if connection.vendor != "sqlite" or "locked" not in str(locked):
                raise


@pytest.mark.django_db(transaction=True)
def test_stations_leasing_at_the_same_moment_never_get_overlapping_ranges():
    stations = [registry.create(name=f"收费-{i:02d}", department="门诊收费")[0] for i in range(4)]
    start, failures = threading.Barrier(len(stations)), []

    def lease_many(station):
        try:
            start.wait()
            for _ in range(3):
                for kind in KINDS:
                    patiently(lambda kind=kind: leasing.grant(station, kind, clock.now(), size=100))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=lease_many, args=(s,)) for s in stations]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    leases = list(NumberLease.objects.all())
    assert len(leases) == 4 * 3 * len(KINDS)
    assert_no_overlap(leases)
    for kind in KINDS:  # packed from the offset up, none lost
        ranges = sorted((lease.first, lease.last) for lease in leases if lease.kind == kind)
        assert ranges[0][0] == leasing.HIS_NEXT + DEFAULT_OFFSET and ranges[-1][1] == ranges[0][0] + 12 * 100 - 1


@pytest.mark.django_db
def test_a_station_running_low_gets_a_new_range_and_a_lost_answer_is_answered_again(client):
    station, token = registry.create(name="挂号-01", department="门诊挂号")
    other, other_token = registry.create(name="挂号-02", department="门诊挂号")
    first = renew(client, token)
    assert first.status_code == 200, first.content
    granted = {lease["kind"]: lease for lease in first.json()}
    assert set(granted) == set(KINDS) and granted["visit"]["last"] - granted["visit"]["first"] + 1 == leasing.SIZE

    lost = renew(client, token)  # the station never received the first answer: same leases, no new ones
    assert lost.json() == first.json()

    held = [lease["lease_id"] for lease in first.json()]
    plenty = renew(client, token, held, dict.fromkeys(KINDS, LOW_WATER))
    assert plenty.json() == first.json()

    low = renew(client, token, held, {**dict.fromkeys(KINDS, LOW_WATER), "charge": LOW_WATER - 1})
    charges = [lease for lease in low.json() if lease["kind"] == "charge"]
    assert len(low.json()) == len(KINDS) + 1 and len(charges) == 2
    assert charges[1]["first"] == charges[0]["last"] + 1

    theirs = renew(client, other_token).json()
    assert [lease["first"] for lease in theirs if lease["kind"] == "charge"] == [charges[1]["last"] + 1]
    assert_no_overlap(NumberLease.objects.all())

    entry = AuditEntry.objects.filter(object_type="stations.numberlease").order_by("-seq").first()
    assert entry.action == "create" and entry.actor_label == "station:挂号-02"
    assert entry.changes["kind"] in KINDS


@pytest.mark.django_db
def test_an_unknown_kind_is_refused_naming_it_and_nothing_is_leased(client):
    station, token = registry.create(name="挂号-01", department="门诊挂号")
    refused = renew(client, token, remaining={"visit": 0, "bed": 0})
    assert refused.status_code == 400 and "remaining.bed" in refused.content.decode()
    assert not NumberLease.objects.exists()
    assert client.post(URL, {"held": [], "remaining": {}}, content_type="application/json").status_code == 401
