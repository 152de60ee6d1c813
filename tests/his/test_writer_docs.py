"""The merge-back examples of docs/his-mapping.md work as written: the normalised HIS's section
writes new patients into its four tables that its own mapping reads back as the same patients,
and charges into the staging table; the demo HIS's section is what `lifeline his demo` writes."""
import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from lifeline.his import demo_his, mapping
from lifeline.his.canonical import ENTITIES, id_card_check_digit
from lifeline.his.reader import HisSource
from lifeline.his.writer import Change, Writer
from tests.his import normalised_his

DATABASE_PREFIX = "lifeline_h16writer"
DOC = Path(__file__).resolve().parents[2] / "docs" / "his-mapping.md"
WHEN = datetime.datetime(2026, 3, 2, 9, 30)


def doc_yaml(heading: str) -> str:
    """The YAML block after `heading` in docs/his-mapping.md."""
    text = DOC.read_text(encoding="utf-8")
    return re.search(r"```yaml\n(.*?)```", text[text.index(heading):], re.DOTALL).group(1)


def new_patient(event_id: str, card_no: str, name: str, **optional) -> Change:
    record = {"event_id": event_id, "station": "ST01", "operator_code": "E0001", "recorded_at": WHEN,
              "card_no": card_no, "name": name, "sex": "2", "birth_date": datetime.date(1986, 5, 4), **optional}
    return Change(event_id, "ST01", int(event_id[1:]), [("new_patient", record)])


def test_the_normalised_his_example_writes_patients_its_mapping_reads_back(his_url, tmp_path):
    normalised_his.build(his_url, patients=50)
    section = doc_yaml("### Example: merge-back into a normalised HIS")
    if sa.engine.make_url(his_url).get_backend_name() == "sqlite":  # no CONCAT before SQLite 3.44
        section = section.replace("CONCAT(n.family_name, n.given_name)", "n.family_name || n.given_name")
    path = tmp_path / "his.yaml"
    path.write_text(normalised_his.mapping_text(his_url) + section, encoding="utf-8")
    engine = sa.create_engine(his_url)
    sa.Table("lifeline_charge_in", sa.MetaData(), sa.Column("event_id", sa.String(40), primary_key=True),
             sa.Column("invoice_no", sa.BigInteger), sa.Column("card_no", sa.String(40)),
             sa.Column("visit_no", sa.String(40)), sa.Column("item_kind", sa.String(20)),
             sa.Column("item_code", sa.String(40)), sa.Column("quantity", sa.Numeric(12, 4)),
             sa.Column("unit_price", sa.Numeric(12, 4)), sa.Column("amount", sa.Numeric(12, 4)),
             sa.Column("insurance_category", sa.String(2)), sa.Column("payment_method", sa.String(20)),
             sa.Column("refund_of", sa.String(40)), sa.Column("station", sa.String(40)),
             sa.Column("operator_code", sa.String(20)), sa.Column("recorded_at", normalised_his.Stamp)
             ).create(engine)
    id_card = "110105198605040" + "42" + id_card_check_digit("11010519860504042")
    changes = [
        new_patient("e1", "P90000001", "王秀英", id_card_no=id_card, phone="13800138000", insurance_type="01",
                    insurance_no="YB9000000001"),
        new_patient("e2", "P90000002", "李娜"),  # nothing optional: no identifier or attribute rows
    ]
    line = {"station": "ST01", "operator_code": "E0001", "recorded_at": WHEN, "invoice_no": 7001,
            "card_no": "P90000001", "item_kind": "price_item", "item_code": "S00001", "quantity": Decimal(1),
            "unit_price": Decimal("25.00"), "amount": Decimal("25.00"), "insurance_category": "甲",
            "payment_method": "cash"}
    changes += [Change("e3", "ST01", 3, [("charge", {**line, "event_id": "e3"})]),
                Change("e4", "ST01", 4, [("charge", {**line, "event_id": "e4", "quantity": Decimal(-1),
                                                     "amount": Decimal("-25.00"), "refund_of": "e3"})])]
    loaded = mapping.load(path)
    writer = Writer(loaded)
    writer.ensure_ledger()
    assert writer.apply(changes) == ["e1", "e2", "e3", "e4"]
    assert writer.apply(changes) == []

    with HisSource(loaded).snapshot() as snapshot:
        patients = {row["card_no"]: row for row in snapshot.read("patient")}
    fields = ENTITIES["patient"].columns
    for change in changes[:2]:
        record = change.records[0][1]
        assert {f: patients[record["card_no"]][f] for f in fields} == {f: record.get(f) for f in fields}
    assert writer.lookup("patient_by_id_card", id_card_no=id_card) == [
        {"card_no": "P90000001", "name": "王秀英", "birth_date": datetime.date(1986, 5, 4)}]
    writer.dispose()

    with engine.connect() as connection:
        staged = connection.execute(sa.text("SELECT event_id, amount, refund_of FROM lifeline_charge_in "
                                            "ORDER BY event_id")).all()
    engine.dispose()
    assert [(event, Decimal(str(amount)), refund_of) for event, amount, refund_of in staged] == [
        ("e3", Decimal("25.00"), None), ("e4", Decimal("-25.00"), "e3")]


@pytest.mark.parametrize("section", ["merge_back", "merge_back_lookups"])
def test_the_demo_example_is_what_lifeline_his_demo_writes(section):
    documented = yaml.safe_load(doc_yaml("### Example: merge-back into the demo HIS"))[section]
    written = yaml.safe_load(demo_his.mapping_text("mysql+pymysql://lifeline@his-db:3306/his"))[section]

    def words(value):
        return " ".join(value.split()) if isinstance(value, str) else {k: words(v) for k, v in value.items()} \
            if isinstance(value, dict) else [words(v) for v in value]

    assert words(documented) == words(written)
