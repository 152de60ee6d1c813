"""`lifeline his churn` and incremental reads: after churn, a read since the last watermark
(kept as JSON between reads, as a snapshot manifest keeps it) returns exactly the changed rows,
including rows stamped with the very value of the last watermark."""
import json

import pytest
import sqlalchemy as sa
from django.core.management import call_command

from lifeline.his import demo_his, mapping, reader
from lifeline.his.canonical import ENTITIES
from tests.his.conftest import build_demo

pytestmark = pytest.mark.usefixtures("english")  # reasons are matched as worded in English

# Watermark columns of other types than the demo's LAST_MODIFY_DATE, per engine: the JSON type
# their watermark is kept as, and the SQL expression (a row version, a time with zone, text).
WATERMARK_KINDS = {
    "sqlite": {
        "integer": "CAST((julianday(LAST_MODIFY_DATE) - 2440587.5) * 86400000000 AS INTEGER)",
        "float": "julianday(LAST_MODIFY_DATE)",
    },
    "postgresql": {
        "integer": 'CAST(EXTRACT(EPOCH FROM "LAST_MODIFY_DATE") * 1000000 AS BIGINT)',
        "decimal": 'EXTRACT(EPOCH FROM "LAST_MODIFY_DATE")',
        "datetime": "\"LAST_MODIFY_DATE\" AT TIME ZONE 'Asia/Shanghai'",  # timestamptz: aware datetimes
        "text": "to_char(\"LAST_MODIFY_DATE\", 'YYYY-MM-DD HH24:MI:SS.US')",
    },
    "mysql": {  # MariaDB
        "integer": "CAST(UNIX_TIMESTAMP(LAST_MODIFY_DATE) * 1000000 AS SIGNED)",
        "decimal": "UNIX_TIMESTAMP(LAST_MODIFY_DATE)",
        "text": "DATE_FORMAT(LAST_MODIFY_DATE, '%Y-%m-%d %H:%i:%s.%f')",
    },
}
NATIVE = {"sqlite": "text", "postgresql": "datetime", "mysql": "datetime"}


@pytest.fixture(scope="module")
def his(his_url, tmp_path_factory):
    return build_demo(his_url, tmp_path_factory, 2000)


def kept(read) -> dict:
    """The read's watermark as the next build gets it back from a JSON manifest."""
    return json.loads(json.dumps(reader.watermark_to_json(read.mark)))


def read_all(source, since=None, entities=ENTITIES):
    """{entity: (keys, kept watermark)} of one snapshot, each entity read since its mark in `since`."""
    found = {}
    with source.snapshot() as snap:
        for name in entities:
            read = snap.read(name, since=(since or {}).get(name))
            found[name] = ({ENTITIES[name].key_of(row) for row in read}, kept(read))
    return found


def execute(his, sql: str, **params):
    """One statement in the HIS, committed; `{NAME}` quoted as the database needs."""
    engine = sa.create_engine(his.url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(sql.format_map(demo_his.QuotedNames(engine.dialect))), params)
    finally:
        engine.dispose()


def marks_of(found) -> dict:
    return {name: mark for name, (_keys, mark) in found.items()}


def test_incremental_read_after_churn_returns_only_changed_rows(his):
    source = reader.HisSource(his.mapping)
    full = read_all(source)
    marks = marks_of(full)
    assert all(keys for keys, _mark in full.values())
    assert {mark["type"] for mark in marks.values()} == {NATIVE[his.engine_name]}
    assert all(not keys for keys, _mark in read_all(source, marks).values()), "nothing changed yet"

    changed = demo_his.churn(his.url, percent=2, seed=3)
    assert len(changed["patient"]) == 40 and len(changed["drug"]) >= 1 and len(changed["drug_stock"]) >= 1

    later = read_all(source, marks)
    for name, (keys, mark) in later.items():
        assert keys == changed.get(name, set()), name
        if keys:
            # Never backwards; equal when the churn fell in the same second as the first read
            # (SQLite's demo stamps whole seconds, and the mark is clamped to the HIS's clock).
            assert reader.watermark_from_json(mark).value >= reader.watermark_from_json(marks[name]).value
    assert len(later["patient"][0] - full["patient"][0]) == 20
    assert all(not keys for keys, _mark in read_all(source, marks_of(later)).values()), "nothing changed since"


def test_rows_stamped_with_the_watermark_after_the_read_are_not_missed(his):
    """A row committed after a read with the same stamp as the newest row it saw (same second,
    or one transaction time) comes in the next read; the rows already read at that stamp do not."""
    source = reader.HisSource(his.mapping)
    mark = read_all(source, entities=["patient"])["patient"][1]
    newest = his.scalar("SELECT MAX({PATIENT_ID}) FROM {PAT_MASTER_INDEX} WHERE {LAST_MODIFY_DATE} = "
                        "(SELECT MAX({LAST_MODIFY_DATE}) FROM {PAT_MASTER_INDEX})")
    execute(his, "UPDATE {PAT_MASTER_INDEX} SET {PHONE_NUMBER} = '13900000001' WHERE {PATIENT_ID} = :key",
            key=newest)
    execute(his, "INSERT INTO {PAT_MASTER_INDEX} ({PATIENT_ID}, {NAME}, {SEX}, {DATE_OF_BIRTH}, {CREATE_DATE}, "
                "{LAST_MODIFY_DATE}) SELECT '8000000001', {NAME}, {SEX}, {DATE_OF_BIRTH}, {CREATE_DATE}, "
            "{LAST_MODIFY_DATE} FROM {PAT_MASTER_INDEX} WHERE {PATIENT_ID} = :key", key=newest)

    keys, later = read_all(source, {"patient": mark}, entities=["patient"])["patient"]
    assert keys == {newest, "8000000001"}
    assert later["value"] == mark["value"] and len(later["seen"]) == len(mark["seen"]) + 2
    assert read_all(source, {"patient": later}, entities=["patient"])["patient"][0] == set()


def test_watermarks_of_other_column_types_are_kept_as_json(his, tmp_path):
    for kind, expression in WATERMARK_KINDS[his.engine_name].items():
        path = his.with_mapping(f"AS insurance_category, {his.q('LAST_MODIFY_DATE')} AS his_modified",
                                f"AS insurance_category, {expression} AS his_modified", tmp_path)
        source = reader.HisSource(mapping.load(path))
        mark = read_all(source, entities=["drug"])["drug"][1]
        assert mark["type"] == kind, expression
        assert read_all(source, {"drug": mark}, entities=["drug"])["drug"][0] == set(), kind
        changed = demo_his.churn(his.url, percent=1, seed=len(kind))["drug"]
        keys, later = read_all(source, {"drug": mark}, entities=["drug"])["drug"]
        assert keys == changed, kind
        assert read_all(source, {"drug": later}, entities=["drug"])["drug"][0] == set(), kind


def test_churn_command_reports_what_changed(his, capsys):
    share = round(his.scalar("SELECT COUNT(*) FROM {PAT_MASTER_INDEX}") / 100)
    call_command("his", "churn", "--url", his.url, "--percent", "1", "--seed", "5")
    out = capsys.readouterr().out
    assert f"{'patient':<12} {share:>8,} rows changed" in out and "drug_stock" in out


def test_incremental_read_needs_a_watermark(his, tmp_path):
    mapping_path = his.with_mapping("    watermark: his_modified\n", "", tmp_path)
    with reader.HisSource(mapping.load(mapping_path)).snapshot() as snap:
        with pytest.raises(reader.HisError, match="^patient: an incremental read needs a watermark column"):
            snap.read("patient", since="2024-01-01")
