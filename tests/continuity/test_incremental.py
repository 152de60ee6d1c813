"""`lifeline his churn` and incremental reads: after churn, a read since the last watermark
returns exactly the changed rows."""
import pytest
from django.core.management import call_command

from lifeline.continuity import adapter, demo_his
from lifeline.continuity.canonical import ENTITIES
from tests.continuity.conftest import build_demo


@pytest.fixture(scope="module")
def his(his_url, tmp_path_factory):
    return build_demo(his_url, tmp_path_factory, 2000)


def read_all(source, since=None):
    """{entity: (keys, watermark)} of one snapshot, each entity read since its watermark in `since`."""
    found = {}
    with source.snapshot() as snap:
        for name in ENTITIES:
            read = snap.read(name, since=(since or {}).get(name))
            found[name] = ({ENTITIES[name].key_of(row) for row in read}, read.watermark)
    return found


def test_incremental_read_after_churn_returns_only_changed_rows(his):
    source = adapter.HisSource(his.mapping)
    full = read_all(source)
    marks = {name: mark for name, (_keys, mark) in full.items()}
    assert all(keys for keys, _mark in full.values())
    assert all(not keys for keys, _mark in read_all(source, marks).values()), "nothing changed yet"

    changed = demo_his.churn(his.url, percent=2, seed=3)
    assert len(changed["patient"]) == 40 and len(changed["drug"]) >= 1 and len(changed["drug_stock"]) >= 1

    later = read_all(source, marks)
    for name, (keys, mark) in later.items():
        assert keys == changed.get(name, set()), name
        if keys:
            assert mark > marks[name]
    new_patients = later["patient"][0] - full["patient"][0]
    assert len(new_patients) == 20


def test_churn_command_reports_what_changed(his, capsys):
    call_command("his", "churn", "--url", his.url, "--percent", "1", "--seed", "5")
    out = capsys.readouterr().out
    assert "patient            20 rows changed" in out and "drug_stock" in out


def test_incremental_read_needs_a_watermark(his, tmp_path):
    mapping_path = his.with_mapping("    watermark: his_modified\n", "", tmp_path)
    from lifeline.continuity import mapping

    with adapter.HisSource(mapping.load(mapping_path)).snapshot() as snap:
        with pytest.raises(adapter.HisError, match="^patient: an incremental read needs a watermark column"):
            snap.read("patient", since="2024-01-01")
