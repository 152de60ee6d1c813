"""Send-back fixtures: a station registered on the server (with its token), the station's
directory with a journal of events recorded as the desk records them, and its key file."""
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from lifeline.stations import registry
from lifeline.workstation import store
from lifeline.workstation.journal import EMERGENCY, InForce, Journal
from lifeline.workstation.station import JOURNAL
from tests.his.conftest import english  # noqa: F401 (a fixture: messages in their English msgids)
from tests.snapshots.helpers import snapshot_dir  # noqa: F401 (a fixture)


@pytest.fixture
def station():
    """(station, token) of 门诊收费's workstation."""
    return registry.create(name="收费-01", department="门诊收费")


@pytest.fixture
def station_keys(snapshot_dir, tmp_path):
    """The key file a station gets: `lifeline station keys --out FILE`."""
    out = tmp_path / "station-keys.json"
    call_command("station", "keys", "--out", str(out))
    return out


class StationDir:
    """The station's data directory with its journal; `record(n)` adds n charge events."""

    def __init__(self, path, keys):
        self.path, self.keys, self.key = path, keys, store.data_key(keys)
        self.path.mkdir(parents=True, exist_ok=True)
        self.now = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)

    def open(self) -> Journal:
        return Journal.open(self.path / JOURNAL, self.key, InForce(self.path.name, "full-1", "p:1", EMERGENCY),
                            lambda: self.now)

    def record(self, count: int):
        journal = self.open()
        try:
            for _ in range(count):
                self.now += timedelta(seconds=30)
                with journal.transaction() as tx:
                    tx.record("charge", "C001", {"invoice_no": f"FP{tx.next_seq:06d}", "amount": "9.80"})
        finally:
            journal.close()

    def events(self) -> list:
        journal = self.open()
        try:
            return list(journal.events())
        finally:
            journal.close()


@pytest.fixture
def station_dir(tmp_path, station_keys):
    return StationDir(tmp_path / "收费-01", station_keys)
