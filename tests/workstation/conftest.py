"""Workstation fixtures: a station key file, a settable clock, a journal, a station with base data."""
import secrets
from datetime import UTC, datetime, timedelta

import pytest

from lifeline.workstation import numbering, store
from lifeline.workstation.journal import InForce, Journal
from lifeline.workstation.leases import KINDS, Lease
from lifeline.workstation.station import Operator, Station
from tests.workstation.base_data import write_base


class StationClock:
    """A clock the tests move by hand (the workstation takes any callable)."""

    def __init__(self, now=datetime(2026, 12, 6, 8, 0, tzinfo=UTC)):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


@pytest.fixture(autouse=True)
def english():
    """The desk services' refusals in their English msgids (the catalog has them in Chinese)."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def station_clock():
    return StationClock()


@pytest.fixture
def key_file(tmp_path):
    path = tmp_path / "station.key"
    path.write_bytes(secrets.token_bytes(64))
    path.chmod(0o600)
    return path


@pytest.fixture
def key(key_file):
    return store.data_key(key_file)


@pytest.fixture
def in_force():
    return InForce(station="S1", package_id="full-20261206-0800", price_version="price_item:abc/drug:def")


@pytest.fixture
def journal(tmp_path, key, in_force, station_clock):
    journal = Journal.open(tmp_path / "station.sqlite3", key, in_force, station_clock)
    yield journal
    journal.close()


UNTIL = datetime(2026, 12, 7, tzinfo=UTC)
REGISTRAR = Operator("0401", "周挂号", "registrar", UNTIL)


def lease_all(station, base=100_001, size=100):
    """Leases of every kind of number, `size` numbers each from `base`."""
    with station.journal.transaction() as tx:
        for kind in KINDS:
            numbering.receive(tx, Lease(f"{kind}-1", kind, base, base + size - 1), "system")


@pytest.fixture
def station(tmp_path, key, in_force, station_clock):
    """A station holding the small base data set and 100 numbers of each kind."""
    write_base(tmp_path, key)
    station = Station.open(tmp_path, key, in_force, station_clock)
    lease_all(station)
    yield station
    station.close()
