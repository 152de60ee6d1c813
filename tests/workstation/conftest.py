"""Workstation fixtures: a station key file, a settable clock, a journal in a temporary directory."""
import secrets
from datetime import UTC, datetime, timedelta

import pytest

from lifeline.workstation import store
from lifeline.workstation.journal import InForce, Journal


class StationClock:
    """A clock the tests move by hand (the workstation takes any callable)."""

    def __init__(self, now=datetime(2026, 12, 6, 8, 0, tzinfo=UTC)):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


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
