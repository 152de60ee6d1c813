"""What `lifeline station pull` brings back besides the chain: the number leases the server
grants (received into the station's journal, where the desk issues numbers from them) and the
mode declared on the server (put in force once per declaration)."""
import pytest

from lifeline.core import clock
from lifeline.package.keys import KeyStore
from lifeline.stations import registry
from lifeline.stations.models import NumberLease
from lifeline.workstation import modes, numbering, pull
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
