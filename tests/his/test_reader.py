"""The HIS adapter against a demo HIS on SQLite, PostgreSQL and MariaDB."""
import datetime
import gc
import threading
from decimal import Decimal

import pytest
import sqlalchemy as sa
from django.core.management import CommandError, call_command

from lifeline.his import demo_his, mapping, reader
from lifeline.his.canonical import ENTITIES, id_card_check_digit
from tests.his.conftest import build_demo

pytestmark = pytest.mark.usefixtures("english")  # reasons are matched as worded in English

PATIENTS = 3000
# Rows each entity should yield, counted in the vendor's own tables.
SOURCE_COUNTS = {
    "patient": "SELECT COUNT(*) FROM {PAT_MASTER_INDEX}",
    "department": "SELECT COUNT(*) FROM {DEPT_DICT}",
    "staff": "SELECT COUNT(*) FROM {STAFF_DICT}",
    "clinic_schedule": "SELECT COUNT(*) FROM {CLINIC_SCHEDULE}",
    "drug": "SELECT COUNT(*) FROM {DRUG_DICT}",
    "drug_stock": "SELECT COUNT(*) FROM {DRUG_STOCK}",
    "price_item": "SELECT COUNT(*) FROM {PRICE_LIST} WHERE {STOP_DATE} IS NULL",
    "insurance_type": "SELECT COUNT(*) FROM {INSURANCE_DICT}",
    "invoice_range": "SELECT COUNT(*) FROM {BILL_RANGE} WHERE {USE_FLAG} = '1'",
}


@pytest.fixture(scope="module")
def his(his_url, tmp_path_factory):
    return build_demo(his_url, tmp_path_factory, PATIENTS)


@pytest.fixture(scope="module")
def canonical(his):
    """Every entity read through the adapter in one snapshot: name -> (rows by key, read)."""
    found = {}
    with reader.HisSource(his.mapping).snapshot() as snap:
        for name in ENTITIES:
            read = snap.read(name)
            found[name] = ({ENTITIES[name].key_of(row): row for row in read}, read)
    return found


def test_demo_mapping_passes_the_check_with_connect(his, capsys):
    call_command("his", "check", str(his.mapping_path), "--connect")
    assert "no problems (every query ran and yields its canonical columns)" in capsys.readouterr().out


def test_every_entity_has_the_source_row_count(his, canonical):
    assert his.counts["PAT_MASTER_INDEX"] == PATIENTS
    for name, sql in SOURCE_COUNTS.items():
        rows, read = canonical[name]
        assert len(rows) == read.count == his.scalar(sql) > 0, name
        assert read.skipped == []


def test_values_match_the_source(his, canonical):
    patient = canonical["patient"][0]["0000000042"]
    assert patient["name"] == his.scalar("SELECT {NAME} FROM {PAT_MASTER_INDEX} WHERE {PATIENT_ID} = '0000000042'")
    sex = his.scalar("SELECT {SEX} FROM {PAT_MASTER_INDEX} WHERE {PATIENT_ID} = '0000000042'")
    assert patient["sex"] == {"男": "1", "女": "2"}[sex]
    drug = canonical["drug"][0]["Y000001"]
    assert drug["name"] == "阿莫西林胶囊" and drug["unit"] == "盒"
    source_price = his.scalar("SELECT {RETAIL_PRICE} FROM {DRUG_DICT} WHERE {DRUG_CODE} = 'Y000001'")
    assert drug["price"] == Decimal(str(source_price)) and drug["price"] > 0
    assert {row["category"] for row in canonical["price_item"][0].values()} >= {"挂号费", "化验费", "材料费"}
    assert {row["insurance_category"] for row in canonical["drug"][0].values()} == {"甲", "乙", "丙"}
    departments = {row["name"]: row for row in canonical["department"][0].values()}
    assert departments["儿科"]["kind"] == "clinical" and departments["门诊西药房"]["kind"] == "pharmacy"
    assert canonical["insurance_type"][0]["09"] == {"code": "09", "name": "自费", "insured": False}


def test_id_card_numbers_are_valid_and_agree_with_birth_date_and_sex(canonical):
    patients = list(canonical["patient"][0].values())
    with_id = [p for p in patients if p["id_card_no"]]
    assert len(with_id) > 0.9 * len(patients)
    for p in with_id:
        number = p["id_card_no"]
        assert number[17] == id_card_check_digit(number[:17])
        assert number[6:14] == p["birth_date"].strftime("%Y%m%d")
        assert int(number[16]) % 2 == (1 if p["sex"] == "1" else 0)
    assert all(p["phone"] is None or len(p["phone"]) == 11 for p in patients)


def test_watermark_is_the_newest_last_modified(his, canonical):
    newest = his.scalar("SELECT MAX({LAST_MODIFY_DATE}) FROM {PAT_MASTER_INDEX}")
    assert str(canonical["patient"][1].watermark)[:19] == str(newest)[:19]


def test_a_snapshot_does_not_see_later_commits(his):
    source = reader.HisSource(his.mapping)
    with source.snapshot() as snap:
        before = sum(1 for _ in snap.read("insurance_type"))
        engine = sa.create_engine(his.url)
        with engine.begin() as connection:
            from lifeline.his.demo_his import INSURANCE_DICT

            connection.execute(INSURANCE_DICT.insert().values(INSUR_CODE="77", INSUR_NAME="商业保险",
                                                              SELF_PAY_FLAG="0",
                                                              LAST_MODIFY_DATE=datetime.datetime.now()))
        engine.dispose()
        assert sum(1 for _ in snap.read("insurance_type")) == before
    with source.snapshot() as snap:
        assert sum(1 for _ in snap.read("insurance_type")) == before + 1


def test_a_column_the_his_lacks_names_the_entity(his, tmp_path):
    changed = his.with_mapping(f"{his.q('PHONE_NUMBER')} AS phone", f"{his.q('MOBILE')} AS phone", tmp_path)
    with pytest.raises(reader.QueryFailed, match=r"^patient: the HIS rejected the query: .*MOBILE"):
        with reader.HisSource(mapping.load(changed)).snapshot() as snap:
            list(snap.read("patient"))
    with pytest.raises(CommandError, match="1 problem"):
        call_command("his", "check", str(changed), "--connect")


def test_a_missing_canonical_column_is_named_with_its_entity(his, tmp_path, capsys):
    changed = his.with_mapping("AS phone,", "AS telephone,", tmp_path)
    with pytest.raises(reader.MissingColumns, match="^patient: the query yields no column phone"):
        with reader.HisSource(mapping.load(changed)).snapshot() as snap:
            list(snap.read("patient"))
    with pytest.raises(CommandError):
        call_command("his", "check", str(changed), "--connect")
    assert ": entities.patient.query: patient: the query yields no column phone" in capsys.readouterr().out


def test_an_unreachable_his_is_a_clear_error(his, tmp_path):
    if his.engine_name == "sqlite":
        changed = his.with_mapping("his.db", "gone.db", tmp_path)
        expected = "HIS database file .*gone.db does not exist"
    else:
        changed = his.with_mapping("127.0.0.1:", "127.0.0.1:1", tmp_path)  # port 1xxxx: nobody listens
        expected = "HIS at 127.0.0.1:1.* is unreachable"
    with pytest.raises(reader.HisUnreachable, match=expected):
        with reader.HisSource(mapping.load(changed)).snapshot():
            pass


def test_a_slow_query_times_out_naming_the_entity(his, tmp_path):
    slow = his.with_mapping("query_timeout: 600", "query_timeout: 1", tmp_path)
    patients = his.q("PAT_MASTER_INDEX")
    text = slow.read_text(encoding="utf-8")
    slow.write_text(text.replace(f"FROM {his.q('DEPT_DICT')}", f"FROM {his.q('DEPT_DICT')} WHERE (SELECT COUNT(*) "
                                 f"FROM {patients} a, {patients} b, {patients} c) > 0", 1), encoding="utf-8")
    assert slow.read_text(encoding="utf-8") != text
    with pytest.raises(reader.HisTimeout, match=r"^department: the query took longer than 1 s"):
        with reader.HisSource(mapping.load(slow)).snapshot() as snap:
            list(snap.read("department"))


def test_a_bad_row_fails_the_read_or_is_skipped_as_the_mapping_says(his, tmp_path):
    bad = his.with_mapping(f"{his.q('RETAIL_PRICE')} AS price", f"CASE WHEN {his.q('DRUG_CODE')} = 'Y000002' "
                           f"THEN -1 ELSE {his.q('RETAIL_PRICE')} END AS price", tmp_path)
    with pytest.raises(ValueError, match=r"drug Y000002: price: -1(\.0+)? is negative"):
        with reader.HisSource(mapping.load(bad)).snapshot() as snap:
            list(snap.read("drug"))
    bad.write_text(bad.read_text().replace("  drug:\n", "  drug:\n    on_invalid_row: skip\n", 1))
    with reader.HisSource(mapping.load(bad)).snapshot() as snap:
        read = snap.read("drug")
        codes = [row["code"] for row in read]
    assert "Y000002" not in codes and len(codes) == his.counts["DRUG_DICT"] - 1
    assert [(p.key, p.field) for p in read.skipped] == [("Y000002", "price")]


def test_batches_and_tuples_are_the_rows_of_the_dicts(his, canonical):
    with reader.HisSource(his.mapping).snapshot() as snap:
        read = snap.read("patient")
        batches = list(read.batches())
        assert read.columns == ENTITIES["patient"].columns and read.count == PATIENTS
        tuples = list(snap.read("patient").tuples())
    dicts = canonical["patient"][0]
    assert [row for batch in batches for row in batch] == tuples
    assert {row[0]: dict(zip(read.columns, row)) for row in tuples} == dicts
    assert all(len(batch) <= reader.HisSource(his.mapping).batch_size for batch in batches) and len(batches) > 1


def test_column_batches_are_the_batches_column_by_column(his, tmp_path):
    with reader.HisSource(his.mapping).snapshot() as snap:
        for name in ("patient", "drug", "department"):
            by_rows = snap.read(name)
            rows = [row for batch in by_rows.batches() for row in batch]
            read = snap.read(name)
            columns = list(read.column_batches())
            assert [row for batch in columns for row in zip(*batch)] == rows and read.count == len(rows)
            assert all(len(batch) == len(read.columns) for batch in columns)
            assert read.mark == by_rows.mark and read.mark is not None  # the same rows seen at the newest mark
    # A bad row among them: left out (on_invalid_row: skip) as by batches().
    bad = his.with_mapping(f"{his.q('ID_NO')} AS id_card_no", f"CASE WHEN {his.q('PATIENT_ID')} = '0000002500' "
                           f"THEN '110105194912310021' ELSE {his.q('ID_NO')} END AS id_card_no", tmp_path)
    bad.write_text(bad.read_text().replace("  patient:\n", "  patient:\n    on_invalid_row: skip\n", 1))
    with reader.HisSource(mapping.load(bad)).snapshot() as snap:
        read = snap.read("patient")
        cards = [card for batch in read.column_batches() for card in batch[0]]
        by_rows = snap.read("patient")
        rows = [row for batch in by_rows.batches() for row in batch]
    assert cards == [row[0] for row in rows] and "0000002500" not in cards and read.count == PATIENTS - 1
    assert [(p.key, p.field) for p in read.skipped] == [("0000002500", "id_card_no")]
    assert read.mark == by_rows.mark


def test_a_wrong_id_card_check_digit_among_many_patients_names_the_card(his, tmp_path):
    bad = his.with_mapping(f"{his.q('ID_NO')} AS id_card_no", f"CASE WHEN {his.q('PATIENT_ID')} = '0000002500' "
                           f"THEN '110105194912310021' ELSE {his.q('ID_NO')} END AS id_card_no", tmp_path)
    with pytest.raises(ValueError, match="^patient 0000002500: id_card_no: check digit is 1, expected X$"):
        with reader.HisSource(mapping.load(bad)).snapshot() as snap:
            list(snap.read("patient").batches())
    bad.write_text(bad.read_text().replace("  patient:\n", "  patient:\n    on_invalid_row: skip\n", 1))
    with reader.HisSource(mapping.load(bad)).snapshot() as snap:
        read = snap.read("patient")
        cards = {row[0] for batch in read.batches() for row in batch}
    assert len(cards) == read.count == PATIENTS - 1 and "0000002500" not in cards
    assert [(p.key, p.field) for p in read.skipped] == [("0000002500", "id_card_no")]


def test_a_read_left_early_leaves_the_snapshot_usable(his):
    threads = threading.active_count()
    source = reader.HisSource(his.mapping, batch_size=100)
    with source.snapshot() as snap:
        batches = snap.read("patient").batches()
        assert len(next(batches)) == 100
        batches.close()
        assert sum(1 for _ in snap.read("department")) == his.scalar("SELECT COUNT(*) FROM {DEPT_DICT}")
        assert sum(1 for _ in snap.read("patient")) == PATIENTS
    assert threading.active_count() == threads, "the read's threads have ended"


# Each row of the patient query waits a millisecond, so the read is still running when the HIS goes.
SLOW_ROWS = {"postgresql": "WHERE pg_sleep(0.001)::text = ''", "mysql": "WHERE SLEEP(0.001) = 0"}
CONNECTION_ID = {"postgresql": "SELECT pg_backend_pid()", "mysql": "SELECT CONNECTION_ID()"}
DISCONNECT = {"postgresql": "SELECT pg_terminate_backend({})", "mysql": "KILL {}"}


def test_without_fetching_ahead_the_rows_are_the_same(his):
    threads = threading.active_count()
    with reader.HisSource(his.mapping, batch_size=700).snapshot() as snap:
        ahead = [list(snap.read(name).batches()) for name in ("patient", "drug")]
    with reader.HisSource(his.mapping, batch_size=700, fetch_ahead=False).snapshot() as snap:
        inline = [list(snap.read(name).batches()) for name in ("patient", "drug")]
        batches = snap.read("patient").batches()
        assert len(next(batches)) == 700
        batches.close()  # left early: the snapshot stays usable
        assert sum(1 for _ in snap.read("department")) == his.scalar("SELECT COUNT(*) FROM {DEPT_DICT}")
    assert inline == ahead and len(inline[0]) > 1
    assert threading.active_count() == threads


@pytest.mark.parametrize("fetch_ahead", [True, False])
@pytest.mark.parametrize("his_url", ["postgresql", "mariadb"], indirect=True)
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # PyMySQL's objects, collected
def test_a_his_lost_in_the_middle_of_a_read_names_the_entity(his, tmp_path, fetch_ahead):
    engine = his.engine_name
    slow = his.with_mapping(f"FROM {his.q('PAT_MASTER_INDEX')}\n",
                            f"FROM {his.q('PAT_MASTER_INDEX')} {SLOW_ROWS[engine]}\n", tmp_path)
    with pytest.raises(reader.HisUnreachable, match=r"^patient: lost the HIS at 127\.0\.0\.1:\d+: "):
        with reader.HisSource(mapping.load(slow), batch_size=100, fetch_ahead=fetch_ahead).snapshot() as snap:
            connection_id = snap.connection.exec_driver_sql(CONNECTION_ID[engine]).scalar()
            batches = snap.read("patient").batches()
            assert len(next(batches)) == 100
            disconnect = sa.create_engine(his.url)
            with disconnect.connect() as connection:
                connection.exec_driver_sql(DISCONNECT[engine].format(connection_id))
            disconnect.dispose()
            list(batches)
    gc.collect()  # PyMySQL's objects of the killed connection complain when collected: here, under the filter


@pytest.mark.parametrize("url, reason", [
    ("oracle://his@127.0.0.1:1/?service_name=HIS", "DPY-6005: cannot connect to database"),
    ("mssql://his@127.0.0.1:1/HIS", "Unable to connect: TDS server is unavailable"),
])
def test_oracle_and_sql_server_are_reached_through_their_drivers(url, reason, tmp_path, monkeypatch):
    """No Oracle or SQL Server runs here: nobody listens on port 1, so reaching it gets as far as
    the driver (python-oracledb thin, pymssql) saying so, which proves the driver is there."""
    path = tmp_path / "his.yaml"
    path.write_text(demo_his.mapping_text(url, password_env="HIS_PASSWORD"), encoding="utf-8")
    monkeypatch.setenv("HIS_PASSWORD", "secret")
    with pytest.raises(reader.HisUnreachable, match=f"^HIS at 127.0.0.1:1 is unreachable: .*{reason}"):
        with reader.HisSource(mapping.load(path)).snapshot():
            pass
