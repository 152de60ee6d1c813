"""Builds that cannot finish: an unreachable HIS, a query timing out, a missing column, a bad
row, a key given twice, a build already running. Each fails with an error naming the entity
(and the row's key), is recorded, and leaves the last good package published."""
import datetime

import pytest
import sqlalchemy as sa

from lifeline.his import demo_his, mapping
from lifeline.package import container
from lifeline.snapshots import builder, publishing, storage
from lifeline.snapshots.models import SnapshotBuild
from tests.his.conftest import build_demo
from tests.snapshots.helpers import applied_rows, assert_same_rows, source_rows

pytestmark = pytest.mark.usefixtures("english")  # reasons are matched as worded in English


@pytest.fixture(scope="module")
def his(his_url, tmp_path_factory):
    return build_demo(his_url, tmp_path_factory, 1000)


@pytest.fixture
def good(his, snapshot_dir, db):
    """The last good package, published before the failing build."""
    return builder.build(his.mapping_path)


def fails(mapping_path, message: str, incremental=False) -> SnapshotBuild:
    """The build's record, after checking the build failed with `message` and said what stays published."""
    with pytest.raises(builder.BuildFailed, match=message) as failed:
        builder.build(mapping_path, incremental=incremental)
    record = failed.value.record
    assert record.status == "failed" and record.finished_at and not record.path
    assert str(failed.value).endswith(f"the last good package stays published: {builder.latest_chain()[-1].package_id}")
    return record


def still_published(good):
    assert [p.package_id for p in builder.latest_chain()] == [good.package_id]
    assert container.verify(good.path, storage.keystore(), storage.work_root()).id == good.package_id
    assert sorted(p.name for p in publishing.directory().glob("*")) == sorted([
        ".lock", ".work", "index", "latest.json", f"{good.package_id}.llsnap"])
    assert list(storage.work_root().iterdir()) == []


def test_an_unreachable_his(his, good, tmp_path):
    if his.engine_name == "sqlite":
        changed = his.with_mapping("his.db", "gone.db", tmp_path)
        expected = "HIS database file .*gone.db does not exist"
    else:
        changed = his.with_mapping("127.0.0.1:", "127.0.0.1:1", tmp_path)
        expected = "HIS at 127.0.0.1:1.* is unreachable"
    record = fails(changed, expected, incremental=True)
    assert record.kind == "incremental" and record.error.startswith("HIS ")
    still_published(good)


def test_a_query_timing_out(his, good, tmp_path):
    slow = his.with_mapping("query_timeout: 600", "query_timeout: 1", tmp_path)
    patients = his.q("PAT_MASTER_INDEX")
    slow.write_text(slow.read_text(encoding="utf-8").replace(
        f"FROM {his.q('DEPT_DICT')}", f"FROM {his.q('DEPT_DICT')} WHERE (SELECT COUNT(*) "
        f"FROM {patients} a, {patients} b, {patients} c) > 0", 1), encoding="utf-8")
    record = fails(slow, r"department: the query took longer than 1 s")
    assert record.error.startswith("department: ")
    still_published(good)


def test_a_column_missing_from_the_query(his, good, tmp_path):
    changed = his.with_mapping("AS phone,", "AS telephone,", tmp_path)
    fails(changed, "patient: the query yields no column phone")
    still_published(good)


def test_a_row_that_breaks_the_canonical_model(his, good, tmp_path):
    bad = his.with_mapping(f"{his.q('RETAIL_PRICE')} AS price", f"CASE WHEN {his.q('DRUG_CODE')} = 'Y000002' "
                           f"THEN -1 ELSE {his.q('RETAIL_PRICE')} END AS price", tmp_path)
    fails(bad, r"drug Y000002: price: -1(\.0+)? is negative")
    still_published(good)


def test_a_bad_row_is_skipped_when_the_mapping_says_so(his, good, tmp_path):
    bad = his.with_mapping(f"{his.q('RETAIL_PRICE')} AS price", f"CASE WHEN {his.q('DRUG_CODE')} = 'Y000002' "
                           f"THEN -1 ELSE {his.q('RETAIL_PRICE')} END AS price", tmp_path)
    bad.write_text(bad.read_text().replace("  drug:\n", "  drug:\n    on_invalid_row: skip\n", 1))
    record = builder.build(bad)
    assert record.status == "published" and record.skipped_count == 1
    assert [(s["entity"], s["key"], s["field"]) for s in record.skipped] == [("drug", "Y000002", "price")]
    assert record.row_counts["drug"] == his.counts["DRUG_DICT"] - 1
    assert container.open_package(record.path).manifest["entities"]["drug"]["skipped"] == 1


def test_a_row_turning_bad_leaves_the_chain_as_a_skipping_full_build_would(his, snapshot_dir, tmp_path, db):
    skipping = tmp_path / "skipping.yaml"
    skipping.write_text(his.mapping_path.read_text().replace("  drug:\n", "  drug:\n    on_invalid_row: skip\n", 1))
    builder.build(skipping)
    engine = sa.create_engine(his.url)
    drugs = demo_his.DRUG_DICT
    price = his.scalar("SELECT {RETAIL_PRICE} FROM {DRUG_DICT} WHERE {DRUG_CODE} = 'Y000005'")
    try:
        with engine.begin() as connection:
            connection.execute(drugs.update().where(drugs.c.DRUG_CODE == "Y000005").values(
                RETAIL_PRICE=-3, LAST_MODIFY_DATE=datetime.datetime.now()))
        record = builder.build(skipping, incremental=True)
        assert record.kind == "incremental" and record.deleted_counts["drug"] == 1
        assert [s["key"] for s in record.skipped] == ["Y000005"]
        assert_same_rows(applied_rows(tmp_path), source_rows(mapping.load(skipping)))
    finally:
        with engine.begin() as connection:
            connection.execute(drugs.update().where(drugs.c.DRUG_CODE == "Y000005").values(
                RETAIL_PRICE=price, LAST_MODIFY_DATE=datetime.datetime.now()))
        engine.dispose()


def test_a_key_the_his_gives_twice(his, good, tmp_path):
    twice = his.with_mapping(f"FROM {his.q('DEPT_DICT')}",
                             f"FROM {his.q('DEPT_DICT')}, (SELECT 1 AS n UNION ALL SELECT 2 AS n) twice", tmp_path)
    fails(twice, "department 1001: the HIS query yields this key more than once")
    still_published(good)


def test_a_key_the_his_gives_twice_among_many_rows(his, good, tmp_path):
    """Rows go into the package several hundred per statement: the key is still named."""
    patients = his.q("PAT_MASTER_INDEX")
    twice = his.with_mapping(f"FROM {patients}", f"FROM (SELECT * FROM {patients} UNION ALL SELECT * FROM {patients} "
                             f"WHERE {his.q('PATIENT_ID')} = '0000000777') p", tmp_path)
    fails(twice, "patient 0000000777: the HIS query yields this key more than once")
    still_published(good)


def test_a_broken_mapping_file(his, good, tmp_path):
    broken = his.with_mapping("version: 1", "version: 2", tmp_path)
    record = fails(broken, "version")
    assert str(broken) in record.error
    still_published(good)


def test_no_key_in_the_key_store(his, good, settings, tmp_path):
    home, settings.DATA_DIR = settings.DATA_DIR, tmp_path / "empty"
    fails(his.mapping_path, "no key in the key store")
    settings.DATA_DIR = home
    still_published(good)


def test_one_build_at_a_time(his, good):
    with publishing.build_lock():
        with pytest.raises(publishing.BuildBusy, match="another snapshot build is running"):
            builder.build(his.mapping_path)
    assert SnapshotBuild.objects.count() == 1


def test_the_next_build_recovers_interrupted_builds(his, good):
    """Records a killed build left running: one killed after publishing its package is published,
    one killed before is failed; the last good package stays published."""
    published = (good.path, good.size_bytes)
    SnapshotBuild.objects.filter(pk=good.pk).update(status=SnapshotBuild.Status.RUNNING, path="", size_bytes=None)
    killed = SnapshotBuild.objects.create(kind=SnapshotBuild.Kind.INCREMENTAL, trigger="worker",
                                          started_at=good.started_at, package_id="20261122T000000Z-dead00",
                                          mapping_path=str(his.mapping_path))
    with publishing.build_lock():
        builder.recover_interrupted_builds()
    good.refresh_from_db()
    killed.refresh_from_db()
    assert (good.status, good.path, good.size_bytes) == ("published", *published) and all(published)
    assert killed.status == "failed"
    assert killed.error == "interrupted: the build ended before publishing (killed or crashed)"
    still_published(good)
