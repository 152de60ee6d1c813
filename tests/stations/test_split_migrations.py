"""Splitting `continuity` into `snapshots` and `stations` moved the models, not the data: a
database migrated before the split keeps its stations and builds (same tables), and the
content types (with their permissions) follow the models."""
import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

LAST_BEFORE_SPLIT = ("continuity", "0005_build_problems_limits_drift")
# The new apps unmigrated too (a target in continuity alone leaves the other apps' nodes applied).
BEFORE_SPLIT = [LAST_BEFORE_SPLIT, ("snapshots", None), ("stations", None)]


def migrate(targets):
    """Migrate to `targets`; the models as they were there."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_a_database_migrated_before_the_split_keeps_its_stations_and_builds():
    old = migrate(BEFORE_SPLIT)
    try:
        assert not MigrationExecutor(connection).loader.applied_migrations.keys() & {("stations", "0001_initial")}
        old_station = old.get_model("continuity", "Station")
        station = old_station.objects.create(name="门诊收费1", department="门诊", token_hash="a" * 64)
        old.get_model("continuity", "StationCheckIn").objects.create(
            station=station, at="2026-12-01T08:00:00Z", package_ids=["p1"], applied="p1")
        build = old.get_model("continuity", "SnapshotBuild").objects.create(
            kind="full", status="published", trigger="cli", started_at="2026-12-01T07:00:00Z", package_id="p1",
            mapping_path="his.yaml")
        old.get_model("continuity", "BuildProblem").objects.create(
            build=build, entity="patient", key="P1", field="phone", reason="bad", outcome="nulled")
        ContentType.objects.get_or_create(app_label="continuity", model="station")
    finally:
        new = migrate(latest())

    moved = new.get_model("stations", "Station").objects.get()
    assert (moved.pk, moved.name) == (station.pk, "门诊收费1")
    assert list(moved.check_ins.values_list("applied", flat=True)) == ["p1"]
    found = new.get_model("snapshots", "SnapshotBuild").objects.get()
    assert (found.pk, found.package_id) == (build.pk, "p1")
    assert list(found.problems.values_list("field", flat=True)) == ["phone"]
    ContentType.objects.clear_cache()
    assert ContentType.objects.filter(app_label="stations", model="station").exists()
    assert not ContentType.objects.filter(app_label="continuity").exists()


@pytest.mark.django_db(transaction=True)
def test_the_split_migrates_back():
    try:
        old = migrate(BEFORE_SPLIT)
        assert old.get_model("continuity", "Station").objects.count() == 0
    finally:
        migrate(latest())
