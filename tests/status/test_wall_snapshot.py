"""The status wall shows how old the HIS snapshot is: its feed reports the age against the
threshold, and a stale snapshot is a red tile."""
from datetime import timedelta

import pytest

from lifeline.accounts.roles import Role
from lifeline.snapshots.models import SnapshotBuild

FEED = "/status/wall.json"


@pytest.fixture
def snapshots(settings):
    settings.SNAPSHOT_MAPPING = "/etc/lifeline/his.yaml"
    settings.SNAPSHOT_STALE_MINUTES = 60


def published(at) -> SnapshotBuild:
    return SnapshotBuild.objects.create(kind="incremental", status="published", trigger="worker", started_at=at,
                                        package_id=f"p-{at:%H%M%S}", mapping_path="/etc/lifeline/his.yaml")


@pytest.mark.django_db
def test_the_feed_reports_the_snapshot_age_against_the_threshold(client, make_user, clock, snapshots):
    client.force_login(make_user("zhangwei", Role.DUTY))
    assert client.get(FEED).json()["snapshot"] == {
        "name": "应急数据快照", "stale": True, "detail": "尚未发布包", "package": None, "data_at": None,
        "age_seconds": None, "threshold_seconds": 3600.0}
    build = published(clock.now())
    snapshot = client.get(FEED).json()["snapshot"]
    assert (snapshot["stale"], snapshot["detail"], snapshot["package"]) == (
        False, "数据距今 0 分钟（阈值 60 分钟）", build.package_id)
    clock.advance(minutes=61)
    snapshot = client.get(FEED).json()["snapshot"]
    assert (snapshot["stale"], snapshot["detail"], snapshot["age_seconds"]) == (
        True, "数据距今 61 分钟（阈值 60 分钟）", 61 * 60.0)


@pytest.mark.django_db
def test_no_snapshot_tile_where_snapshots_are_not_used(client, make_user, settings):
    settings.SNAPSHOT_MAPPING = None
    client.force_login(make_user("zhangwei", Role.DUTY))
    assert client.get(FEED).json()["snapshot"] is None


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_stale_snapshot_is_red_on_the_wall_and_turns_green_when_fresh(page, live_server, login, make_user, clock,
                                                                       snapshots):
    published(clock.now() - timedelta(hours=2))
    make_user("zhangwei", Role.DUTY)
    login(page, "zhangwei", next_path="/status/wall/")
    tile = page.locator("#snapshot .tile", has_text="应急数据快照")
    tile.wait_for()
    assert "数据距今 120 分钟（阈值 60 分钟）" in tile.inner_text()
    assert tile.get_attribute("class") == "tile down"
    assert tile.evaluate("t => getComputedStyle(t).backgroundColor") == "rgb(198, 40, 40)"

    published(clock.now())
    page.locator("#snapshot .tile.up").wait_for(timeout=6000)  # the wall polls every 2 s
    assert "数据距今 0 分钟" in tile.inner_text()
    assert tile.evaluate("t => getComputedStyle(t).backgroundColor") == "rgb(27, 127, 59)"
