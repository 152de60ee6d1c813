"""What `lifeline station pull` brings back besides the chain: the number leases the server
grants (received into the station's journal, where the desk issues numbers from them) and the
mode declared on the server (put in force once per declaration) and the emergency credentials,
signed (DIR/operators.json)."""
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import check_password, make_password

from lifeline.core import clock
from lifeline.package.keys import KeyStore
from lifeline.stations import registry
from lifeline.stations.models import EmergencyCredential, NumberLease
from lifeline.workstation import modes, numbering, operators, pull
from lifeline.workstation.leases import KINDS
from tests.snapshots.helpers import snapshot_dir  # noqa: F401 (a fixture)
from tests.stations.chains import chain, small_his, station  # noqa: F401
from tests.stations.test_station_pull import station_keys, workstation  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def journal(workstation, keys):
    return pull.open_station(workstation.dir, KeyStore(file=keys), "挂号-01")


def test_a_pull_receives_number_leases_and_renews_one_running_low(live_server, chain, workstation, station_keys):
    done = workstation(live_server.url)
    assert done.returncode == 0, done.stderr
    leases = {lease.lease_id: lease for lease in NumberLease.objects.all()}
    assert {lease.kind for lease in leases.values()} == set(KINDS)
    station = journal(workstation, station_keys)
    try:
        held = dict(station.db.execute("SELECT lease_id, first FROM leases"))
        assert held == {lease_id: lease.first for lease_id, lease in leases.items()}
        assert not any(supply.low for supply in station.supplies())
        events = station.db.execute("SELECT operator, mode FROM journal WHERE kind = 'lease_received'").fetchall()
        assert events == [("server", "ready")] * len(KINDS)
    finally:
        station.close()

    again = workstation(live_server.url)
    assert again.returncode == 0, again.stderr
    assert NumberLease.objects.count() == len(KINDS)  # plenty left: nothing new

    station = journal(workstation, station_keys)
    try:  # the cashiers use up all but a few charge numbers
        charge = NumberLease.objects.get(kind="charge")
        with station.journal.transaction() as tx:
            for _ in range(charge.last - charge.first + 1 - 10):
                numbering.issue(tx, "charge")
    finally:
        station.close()
    third = workstation(live_server.url)
    assert third.returncode == 0, third.stderr
    renewed = NumberLease.objects.filter(kind="charge").order_by("first")
    assert renewed.count() == 2 and renewed[1].first == charge.last + 1
    station = journal(workstation, station_keys)
    try:
        assert numbering.supply(station.db, "charge").remaining == 10 + renewed[1].last - renewed[1].first + 1
    finally:
        station.close()


def mode_events(workstation, keys):
    station = journal(workstation, keys)
    try:
        return station.db.execute("SELECT operator, json_extract(payload, '$.mode'), json_extract(payload, '$.how') "
                                  "FROM journal WHERE kind = 'mode_changed' ORDER BY seq").fetchall()
    finally:
        station.close()


def test_downtime_declared_on_the_server_is_in_force_after_the_next_pull(live_server, chain, workstation,
                                                                         station_keys):
    assert workstation(live_server.url).returncode == 0
    assert mode_events(workstation, station_keys) == []  # never declared: ready

    registry.declare("downtime", by="zhangwei", now=clock.now())
    done = workstation(live_server.url)
    assert done.returncode == 0, done.stderr
    assert mode_events(workstation, station_keys) == [("zhangwei", "emergency", "server")]
    station = journal(workstation, station_keys)
    try:
        assert modes.current(station) == "emergency"
        modes.declare(station, "ready", "S001", modes.PIN)  # a supervisor on the station, later
    finally:
        station.close()

    assert workstation(live_server.url).returncode == 0  # the same declaration is not heard twice
    assert [mode for _, mode, _ in mode_events(workstation, station_keys)] == ["emergency", "ready"]

    registry.declare("drill", by="zhangwei", now=clock.now())
    assert workstation(live_server.url).returncode == 0
    assert mode_events(workstation, station_keys)[-1] == ("zhangwei", "drill", "server")


def test_a_credential_created_on_the_server_lets_its_holder_in_at_the_station_after_a_pull(
        live_server, chain, workstation, station_keys):
    valid_until = clock.now() + timedelta(days=30)
    EmergencyCredential.objects.create(code="C017", name="王芳", role="cashier", password=make_password("7391"),
                                       valid_until=valid_until)
    EmergencyCredential.objects.create(code="C002", name="李四", role="cashier", password=make_password("1111"),
                                       valid_until=clock.now() - timedelta(days=1))
    done = workstation(live_server.url)
    assert done.returncode == 0, done.stderr
    held = operators.load(workstation.dir / operators.FILE, KeyStore(file=station_keys))
    assert list(held) == ["C017"]  # an expired credential is not sent
    credential = held["C017"]
    assert (credential.operator.name, credential.operator.role, credential.supervisor) == ("王芳", "cashier", False)
    assert credential.operator.valid_until == valid_until
    assert check_password("7391", credential.password) and not check_password("0000", credential.password)
    assert "7391" not in (workstation.dir / operators.FILE).read_text(encoding="utf-8")

    EmergencyCredential.objects.filter(code="C017").update(supervisor=True)
    (workstation.dir / operators.FILE).write_text("tampered", encoding="utf-8")
    assert workstation(live_server.url).returncode == 0
    assert operators.load(workstation.dir / operators.FILE, KeyStore(file=station_keys))["C017"].supervisor
