"""`lifeline demo` (what `make run` loads) includes a demo HIS and a chain of snapshot packages."""
import io

from django.core.management import call_command

from lifeline.his.mapping import load as load_mapping
from lifeline.package import container
from lifeline.snapshots import builder, storage
from tests.snapshots.helpers import applied_rows, assert_same_rows, source_rows


def test_the_demo_builds_a_full_and_an_incremental_package_from_a_demo_his(snapshot_dir, tmp_path, db):
    out = io.StringIO()
    call_command("demo", stdout=out)
    mapping = tmp_path / "demo_his.yaml"
    chain = builder.latest_chain()
    assert [p.kind for p in chain] == ["full", "incremental"]
    assert f"Demo HIS mapping: {mapping}; snapshot packages: {chain[0].path}, {chain[1].path}" in out.getvalue()
    assert (tmp_path / "demo_his.sqlite3").exists()
    full, incremental = (container.verify(p.path, storage.keystore(), storage.work_root()).manifest for p in chain)
    assert full["entities"]["patient"]["rows"] == 2000
    assert incremental["entities"]["patient"]["rows"] == 20 and incremental["entities"]["patient"]["deleted"] == 2
    assert_same_rows(applied_rows(tmp_path), source_rows(load_mapping(mapping)))
