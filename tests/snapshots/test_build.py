"""Full and incremental snapshot packages from the demo HIS on SQLite, PostgreSQL and MariaDB:
verified, applied as a chain, and compared row by row with the HIS."""
import pytest

from lifeline.audit.services import history
from lifeline.his import demo_his
from lifeline.package import container
from lifeline.snapshots import builder, publishing, storage
from lifeline.snapshots.models import SnapshotBuild
from tests.his.conftest import build_demo
from tests.snapshots.helpers import applied_rows, assert_same_rows, source_rows

PATIENTS = 2000


@pytest.fixture(scope="module")
def his(his_url, tmp_path_factory):
    return build_demo(his_url, tmp_path_factory, PATIENTS)


def totals(record) -> dict:
    return {name: (e["total_rows"], e["total_digest"])
            for name, e in container.open_package(record.path).manifest["entities"].items()}


def test_full_and_incrementals_apply_to_exactly_the_rows_of_the_his(his, snapshot_dir, tmp_path, db):
    full = builder.build(his.mapping_path)
    assert full.status == "published" and full.kind == "full" and full.parent is None
    assert full.row_counts["patient"] == PATIENTS and full.size_bytes > 0
    assert container.verify(full.path, storage.keystore(), storage.work_root()).id == full.package_id
    assert_same_rows(applied_rows(tmp_path), source_rows(his.mapping))

    changed = demo_his.churn(his.url, percent=3, seed=11)
    assert changed["patient deleted"] and changed["drug_stock deleted"]
    first = builder.build(his.mapping_path, incremental=True)
    assert first.kind == "incremental" and first.parent == full
    assert first.row_counts["patient"] == len(changed["patient"])
    assert first.row_counts["drug"] == len(changed["drug"]) and first.row_counts["department"] == 0
    assert first.deleted_counts["patient"] == len(changed["patient deleted"])
    assert first.deleted_counts["drug_stock"] == len(changed["drug_stock deleted"])
    assert first.total_counts["patient"] == PATIENTS + len(changed["patient"]) // 2 - len(changed["patient deleted"])
    container.verify(first.path, storage.keystore(), storage.work_root())
    assert [p.package_id for p in builder.latest_chain()] == [full.package_id, first.package_id]
    assert_same_rows(applied_rows(tmp_path), source_rows(his.mapping))

    demo_his.churn(his.url, percent=2, seed=12)
    second = builder.build(his.mapping_path, incremental=True)
    assert second.parent == first
    assert_same_rows(applied_rows(tmp_path), source_rows(his.mapping))

    # The checksums of the chain are those of a fresh full build of the same data.
    fresh = builder.build(his.mapping_path)
    assert totals(fresh) == totals(second)
    assert [p.package_id for p in builder.latest_chain()] == [fresh.package_id]


def test_an_incremental_with_nothing_changed_is_empty(his, snapshot_dir, db):
    builder.build(his.mapping_path)
    nothing = builder.build(his.mapping_path, incremental=True)
    assert sum(nothing.row_counts.values()) == 0 and sum(nothing.deleted_counts.values()) == 0
    container.verify(nothing.path, storage.keystore(), storage.work_root())


def test_an_entity_without_watermark_is_carried_whole(his, snapshot_dir, tmp_path, db):
    no_mark = his.with_mapping("    watermark: his_modified\n", "", tmp_path)  # the first entity: patient
    builder.build(no_mark)
    changed = demo_his.churn(his.url, percent=1, seed=13)
    record = builder.build(no_mark, incremental=True)
    manifest = container.open_package(record.path).manifest["entities"]
    assert manifest["patient"]["mode"] == "whole" and manifest["drug"]["mode"] == "changes"
    assert record.row_counts["patient"] == record.total_counts["patient"] == his.scalar(
        "SELECT COUNT(*) FROM {PAT_MASTER_INDEX}")
    assert record.row_counts["drug"] == len(changed["drug"])
    assert_same_rows(applied_rows(tmp_path), source_rows(his.mapping))


def test_incremental_without_a_package_or_after_a_mapping_change_builds_a_full_one(his, snapshot_dir, tmp_path, db):
    first = builder.build(his.mapping_path, incremental=True)
    assert first.kind == "full" and first.note == "尚未发布任何包：已构建全量包"
    reconnected = his.with_mapping("query_timeout: 600", "query_timeout: 300", tmp_path)
    assert builder.build(reconnected, incremental=True).kind == "incremental"
    changed = tmp_path / "changed-query.yaml"
    changed.write_text(his.mapping_path.read_text().replace(" AS quota,", " AS quota, 1 AS extra,"))
    second = builder.build(changed, incremental=True)
    assert second.kind == "full"
    assert second.note.startswith("映射自 ") and second.note.endswith("以来已变更：已构建全量包")
    assert [p.package_id for p in builder.latest_chain()] == [second.package_id]


def test_only_the_last_chains_are_kept(his, snapshot_dir, settings, db):
    settings.SNAPSHOT_KEEP = 2
    builds = [builder.build(his.mapping_path) for _ in range(3)]
    builds.append(builder.build(his.mapping_path, incremental=True))
    kept = [[p.package_id for p in chain] for chain in publishing.chains()]
    assert kept == [[builds[2].package_id, builds[3].package_id], [builds[1].package_id]]
    assert sorted(p.name for p in snapshot_dir.glob("*.llsnap")) == sorted(
        f"{b.package_id}.llsnap" for b in builds[1:])
    assert SnapshotBuild.objects.get(pk=builds[0].pk).pruned_at is not None
    assert SnapshotBuild.objects.filter(pruned_at__isnull=False).count() == 1
    pruned = [e for e in history(builds[0]) if e.action == "update" and "pruned_at" in e.changes]
    assert len(pruned) == 1 and pruned[0].changes["pruned_at"][0] is None  # the bulk prune is audited
    assert [p.name for p in (snapshot_dir / "index").iterdir()] == [f"{builds[3].package_id}.llsnap"]
