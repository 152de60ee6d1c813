"""The worker asks for the due build every 30 s, and a build records its start a moment after the
tick that started it: an incremental every minute must still come every minute, not every 90 s
(found by bench/station_staleness.py)."""
import datetime

import pytest

from lifeline.snapshots import services
from lifeline.snapshots.models import SnapshotBuild

MOMENT = datetime.timedelta(milliseconds=40)  # from the worker's tick to the build's record


@pytest.fixture
def every_minute(settings, clock, db):
    settings.SNAPSHOT_MAPPING = "/etc/lifeline/his.yaml"
    settings.SNAPSHOT_INCREMENTAL_MINUTES = 1
    settings.SNAPSHOT_FULL_AT = "02:00"
    settings.TIME_ZONE = "Asia/Shanghai"
    clock.freeze(datetime.datetime(2025, 3, 3, 10, 0, tzinfo=datetime.UTC))
    return clock


def started(kind, tick) -> SnapshotBuild:
    """A build the worker's tick at `tick` started: its record says a moment later."""
    at = tick + MOMENT
    return SnapshotBuild.objects.create(kind=kind, status="published", trigger="worker", started_at=at,
                                        finished_at=at + datetime.timedelta(seconds=2), package_id=f"p-{at:%H%M%S}",
                                        mapping_path="/etc/lifeline/his.yaml")


def test_an_incremental_every_minute_comes_at_every_second_tick(every_minute):
    started("full", every_minute.now())
    assert services.due_build(every_minute.advance(seconds=30)) is None
    assert services.due_build(every_minute.advance(seconds=30)) == "incremental"
    started("incremental", every_minute.now())
    assert services.due_build(every_minute.advance(seconds=30)) is None
    assert services.due_build(every_minute.advance(seconds=30)) == "incremental"
