"""Merge-back into the demo HIS on SQLite, PostgreSQL and MariaDB: every record once, with its
event id and a ledger row; a batch refused whole, naming the record; writers racing each other;
the staging-table mode; the lookups. (Killed writers and a lost race: test_writer_kill.py.)"""
import datetime
import threading
from decimal import Decimal

import pytest
import sqlalchemy as sa

from lifeline.his import demo_his
from lifeline.his.demo_downtime import downtime_changes
from lifeline.his.mapping import MergeBack
from lifeline.his.writer import Change, LookupUnavailable, MergeRefused, Writer
from tests.his.conftest import build_demo
from tests.his.merged import TABLES, expected, held

DATABASE_PREFIX = "lifeline_h16writer"


@pytest.fixture(scope="module")
def demo(his_url, tmp_path_factory):
    return build_demo(his_url, tmp_path_factory, patients=300)


@pytest.fixture
def writer(demo):
    found = Writer(demo.mapping)
    found.ensure_ledger()
    yield found
    found.dispose()


def test_apply_writes_each_record_once_with_its_event_id_and_a_ledger_row(demo, writer):
    changes = downtime_changes(demo.url, 300, seed=11)
    assert {kind for c in changes for kind, _ in c.records} == {*TABLES, "new_patient"}
    assert writer.apply(changes[:200]) == [c.event_id for c in changes[:200]]
    assert held(demo, changes) == expected(changes[:200])
    assert writer.applied([c.event_id for c in changes]) == {c.event_id for c in changes[:200]}

    assert writer.apply(changes[:200]) == []  # applied again: nothing doubled
    assert writer.apply(changes) == [c.event_id for c in changes[200:]]  # only what was missing
    assert held(demo, changes) == expected(changes)


def test_an_event_the_ledger_holds_under_another_station_or_number_is_skipped_too(demo, writer):
    changes = downtime_changes(demo.url, 20, seed=22)
    writer.apply(changes)
    moved = [Change(c.event_id, "ST99", c.seq + 1000, c.records) for c in changes[:5]]
    assert writer.apply(moved + downtime_changes(demo.url, 25, seed=22)[20:]) == [
        c.event_id for c in downtime_changes(demo.url, 25, seed=22)[20:]]
    assert held(demo, changes) == expected(changes)


def test_a_time_with_a_zone_goes_in_as_the_hospitals_wall_clock_time(demo, writer):
    """The journal keeps UTC; the HIS stamps its rows with Beijing time (settings.TIME_ZONE)."""
    change = next(c for c in downtime_changes(demo.url, 10, seed=23) if c.records[0][0] == "registration")
    kind, fields = change.records[0]
    change.records[0] = (kind, {**fields, "recorded_at": "2026-03-02T01:30:05+00:00"})
    writer.apply([change])
    registered = demo.scalar(f"SELECT {{REGIST_DATE}} FROM {{OUTP_REGISTER}} "
                             f"WHERE {{EMERGENCY_EVENT_ID}} = '{fields['event_id']}'")
    assert str(registered)[:19] == "2026-03-02 09:30:05"


def test_a_refund_goes_in_with_negative_quantity_and_amount(demo, writer):
    changes = downtime_changes(demo.url, 600, seed=12)
    refund = next(c for c in changes if c.records[0][1].get("refund_of"))
    writer.apply([refund])
    charges = demo_his.OUTP_CHARGE.c
    engine = demo_his.connect(demo.url)
    with engine.connect() as connection:
        written = connection.execute(sa.select(charges.EMERGENCY_EVENT_ID, charges.AMOUNT, charges.COSTS).where(
            charges.EMERGENCY_EVENT_ID.in_([fields["event_id"] for _, fields in refund.records]))).all()
    engine.dispose()
    assert sorted(written) == sorted((f["event_id"], f["quantity"], f["amount"]) for _, f in refund.records)
    assert all(costs < 0 for _, _, costs in written)


def test_a_record_the_his_refuses_rolls_back_its_whole_batch_and_is_named(demo, writer, english):
    applied, batch = downtime_changes(demo.url, 40, seed=13)[:20], downtime_changes(demo.url, 40, seed=14)
    writer.apply(applied)
    charged = next(c for c in applied if c.records[0][0] == "charge")
    taken = charged.records[0][1]["event_id"]
    bad = next(i for i, c in enumerate(batch) if c.records[0][0] == "charge" and i > 5)
    kind, fields = batch[bad].records[-1]
    batch[bad].records[-1] = (kind, {**fields, "event_id": taken})  # the HIS holds that event id already

    with pytest.raises(MergeRefused) as refused:
        writer.apply(batch)
    assert (refused.value.record, refused.value.event_id) == ("charge", taken)
    assert str(refused.value).startswith(f"charge {taken}: the HIS refused it: ")
    # nothing of the batch, not even the changes before the bad one (the HIS held `taken` before)
    assert held(demo, batch) == {**expected([]), "charge": [taken]}


def test_an_invalid_record_is_refused_before_the_his_is_touched(demo, writer, english):
    batch = downtime_changes(demo.url, 30, seed=15)
    change = next(c for c in batch if c.records[0][0] == "charge")
    kind, fields = change.records[0]
    change.records[0] = (kind, {**fields, "quantity": "two"})
    with pytest.raises(MergeRefused, match=rf"^charge {fields['event_id']}: quantity: 'two' is not a number$"):
        writer.apply(batch)
    assert held(demo, batch) == expected([])


def test_a_kind_the_mapping_does_not_write_back_is_refused(demo, english):
    loaded = demo.mapping
    del loaded.merge_back["dispensing"]
    writer = Writer(loaded)
    batch = downtime_changes(demo.url, 30, seed=16)
    dispensed = next(c for c in batch if c.records[0][0] == "dispensing")
    with pytest.raises(MergeRefused, match=f"^dispensing {dispensed.records[0][1]['event_id']}: the mapping has no "
                                           "merge_back section for this record$"):
        writer.apply(batch)
    writer.dispose()
    assert held(demo, batch) == expected([])


def test_staging_table_mode_leaves_the_records_for_the_his_job(demo):
    engine = demo_his.connect(demo.url)
    stage = sa.Table("merge_stage_charge", sa.MetaData(), sa.Column("event_no", sa.String(40), primary_key=True),
                     sa.Column("invoice", sa.BigInteger), sa.Column("card", sa.String(20)),
                     sa.Column("item", sa.String(20)), sa.Column("kind", sa.String(20)),
                     sa.Column("qty", sa.Numeric(12, 4)), sa.Column("price", sa.Numeric(12, 4)),
                     sa.Column("amount", sa.Numeric(12, 4)), sa.Column("insur", sa.String(2)),
                     sa.Column("station", sa.String(20)), sa.Column("operator", sa.String(10)),
                     sa.Column("at", demo_his.Stamp))
    stage.create(engine)
    columns = {"event_id": "event_no", "invoice_no": "invoice", "card_no": "card", "item_code": "item",
               "item_kind": "kind", "quantity": "qty", "unit_price": "price", "amount": "amount",
               "insurance_category": "insur", "station": "station", "operator_code": "operator",
               "recorded_at": "at"}
    mapping = demo.mapping
    mapping.merge_back["charge"] = MergeBack(staging_table="merge_stage_charge", columns=columns)
    writer = Writer(mapping)
    writer.ensure_ledger()
    changes = [c for c in downtime_changes(demo.url, 60, seed=17) if c.records[0][0] == "charge"]
    try:
        assert writer.apply(changes) == [c.event_id for c in changes]
        with engine.connect() as connection:
            rows = {row.event_no: row for row in connection.execute(sa.select(stage))}
    finally:
        writer.dispose()
        engine.dispose()
    records = [fields for c in changes for _, fields in c.records]
    assert sorted(rows) == sorted(f["event_id"] for f in records)
    first = records[0]
    assert (rows[first["event_id"]].card, Decimal(rows[first["event_id"]].amount)) == (first["card_no"],
                                                                                        first["amount"])
    assert held(demo, changes)["charge"] == []  # the HIS's own job moves them, not Lifeline


def test_concurrent_writers_apply_each_event_once(demo):
    changes = downtime_changes(demo.url, 240, seed=18)
    batches = [changes[:120], changes[60:180], changes[120:], changes[::2], changes]  # overlapping
    barrier = threading.Barrier(len(batches))
    applied, errors = [], []

    def run(batch):
        writer = Writer(demo.mapping)
        try:
            barrier.wait()
            for start in range(0, len(batch), 40):
                applied.extend(writer.apply(batch[start:start + 40]))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            writer.dispose()

    Writer(demo.mapping).ensure_ledger()
    threads = [threading.Thread(target=run, args=(batch,)) for batch in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(applied) == sorted(c.event_id for c in changes)  # each applied by exactly one writer
    assert held(demo, changes) == expected(changes)


def test_lookups_answer_from_the_his(demo, writer):
    engine = demo_his.connect(demo.url)
    patients, charges = demo_his.PAT_MASTER_INDEX.c, demo_his.OUTP_CHARGE.c
    with engine.connect() as connection:
        patient = connection.execute(sa.select(patients.PATIENT_ID, patients.NAME, patients.DATE_OF_BIRTH,
                                               patients.ID_NO).where(patients.ID_NO.is_not(None)).limit(1)).one()
        invoice = connection.execute(sa.select(charges.RCPT_NO, charges.PATIENT_ID, charges.OPERATOR_NO)
                                     .where(charges.EMERGENCY_EVENT_ID.is_(None)).limit(1)).one()
        drug = connection.execute(sa.select(demo_his.DRUG_DICT.c.DRUG_CODE, demo_his.DRUG_DICT.c.RETAIL_PRICE)
                                  .limit(1)).one()
        stock = connection.execute(sa.select(demo_his.DRUG_STOCK.c.STORAGE, demo_his.DRUG_STOCK.c.DRUG_CODE,
                                             sa.func.sum(demo_his.DRUG_STOCK.c.QUANTITY))
                                   .group_by(demo_his.DRUG_STOCK.c.STORAGE, demo_his.DRUG_STOCK.c.DRUG_CODE)
                                   .limit(1)).one()
        takings = connection.execute(sa.select(charges.OPERATOR_NO, charges.PAY_WAY, sa.func.sum(charges.COSTS))
                                     .where(charges.EMERGENCY_EVENT_ID.is_(None))
                                     .group_by(charges.OPERATOR_NO, charges.PAY_WAY)).all()
    engine.dispose()
    found = {"card_no": patient.PATIENT_ID, "name": patient.NAME, "birth_date": patient.DATE_OF_BIRTH}
    assert found in writer.lookup("patient_by_id_card", id_card_no=patient.ID_NO)
    assert found in writer.lookup("patient_by_name_birth", name=patient.NAME, birth_date=patient.DATE_OF_BIRTH)
    assert writer.lookup("patient_by_id_card", id_card_no="110105194912310000") == []

    used = writer.lookup("invoice_used", invoice_no=invoice.RCPT_NO)
    assert [(u["invoice_no"], u["card_no"], u["cashier_code"]) for u in used] == [
        (invoice.RCPT_NO, invoice.PATIENT_ID, invoice.OPERATOR_NO)]
    assert writer.lookup("invoice_used", invoice_no=1) == []

    assert writer.lookup("price", item_kind="drug", item_code=drug.DRUG_CODE) == [{"unit_price": drug.RETAIL_PRICE}]
    assert writer.lookup("price", item_kind="price_item", item_code=drug.DRUG_CODE) == []
    assert writer.lookup("stock", pharmacy_code=stock[0], drug_code=stock[1]) == [{"quantity": Decimal(stock[2])}]
    assert writer.lookup("stock", pharmacy_code="none", drug_code=stock[1]) == []

    day = datetime.datetime.combine(datetime.date.today(), datetime.time())
    found = writer.lookup("cashier_takings", start=day - datetime.timedelta(days=3),
                          end=day + datetime.timedelta(days=1))
    ways = demo_his.PAY_WAYS
    assert sorted((t["cashier_code"], t["payment_method"], t["amount"]) for t in found) == sorted(
        (cashier, ways[way], Decimal(amount)) for cashier, way, amount in takings)
    assert writer.lookup("cashier_takings", start=day - datetime.timedelta(days=30),
                         end=day - datetime.timedelta(days=29)) == []


def test_a_lookup_the_mapping_lacks_is_unavailable(demo, english):
    loaded = demo.mapping
    del loaded.merge_back_lookups["stock"]
    writer = Writer(loaded)
    with pytest.raises(LookupUnavailable, match="the mapping has no merge_back_lookups.stock"):
        writer.lookup("stock", pharmacy_code="2004", drug_code="Y000001")
    writer.dispose()
