"""The HIS tests' fixtures (a demo HIS on each engine, English messages), the snapshot ones, and
stations: two in service and one revoked."""
import pytest

from lifeline.stations import registry
from tests.his.conftest import english, his_url  # noqa: F401 - fixtures
from tests.snapshots.helpers import cli_home, migrated_home, snapshot_dir  # noqa: F401 - fixtures


@pytest.fixture
def stations(clock):
    first = registry.create(name="挂号-01", department="门诊挂号")[0]
    second = registry.create(name="收费-01", department="门诊收费")[0]
    gone = registry.create(name="收费-02", department="门诊收费")[0]
    registry.revoke(gone, clock.now())
    return first, second, gone
