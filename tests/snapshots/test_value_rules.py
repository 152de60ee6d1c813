"""What a bad value does, as the mapping says (issue 14): per field `on_invalid: null` empties an
optional field's bad value and keeps the row, a batch still checked a column at a time; the
mapping's `fields` and `limits` are linted; reasons are in the reader's language."""
import datetime

import pytest
from django.utils import translation

from lifeline.his import demo_his, mapping
from lifeline.his.canonical import ENTITIES, NULLED, InvalidRow
from lifeline.his.checking import BatchChecker
from tests.his.test_checking import PATIENT, id_no, patient


def test_a_nullable_field_is_emptied_and_the_row_kept_column_by_column(english):
    rows = [patient(1), patient(2, phone="无"), patient(3, id_card_no=id_no()[:17] + "8"), patient(4)]
    check = BatchChecker(ENTITIES["patient"], PATIENT, nullable={"phone", "id_card_no"})
    columns = check.clean_columns(rows)
    assert columns is not None, "a bad value of a nullable field keeps the batch on the column path"
    kept = list(zip(*columns))
    assert [row[0] for row in kept] == ["0000000001", "0000000002", "0000000003", "0000000004"]
    assert kept[1][5] is None and kept[2][4] is None and kept[0][5] == "15823565722"
    assert [(p.key, p.field, p.outcome) for p in check.nulled] == [
        ("0000000003", "id_card_no", NULLED), ("0000000002", "phone", NULLED)]
    assert check.nulled[1].reason == "a phone number has 5 to 20 digits (with - or spaces)"


def test_a_row_bad_elsewhere_is_left_out_with_all_its_problems(english):
    rows = [patient(1, phone="无", sex="F"), patient(2, phone="无")]
    check = BatchChecker(ENTITIES["patient"], PATIENT, nullable={"phone"})
    assert check.clean_columns(rows) is None
    clean, problems = check(rows)
    assert clean[0] is None and clean[1][0] == "0000000002" and clean[1][5] is None
    assert [str(p) for p in problems[0].problems] == [
        "patient 0000000001: sex: 'F' is not one of 0, 1, 2, 9",
        "patient 0000000001: phone: a phone number has 5 to 20 digits (with - or spaces)"]
    assert [(p.key, p.field) for p in check.nulled] == [("0000000002", "phone")]


def test_entity_clean_row_empties_only_nullable_fields(english):
    row = dict(zip(PATIENT, patient(5, phone="无")))
    clean, nulled = ENTITIES["patient"].clean_row(row, nullable={"phone"})
    assert clean["phone"] is None and clean["card_no"] == "0000000005" and len(nulled) == 1
    with pytest.raises(InvalidRow):
        ENTITIES["patient"].clean_row(row)


def test_reasons_are_in_chinese_by_default():
    with pytest.raises(InvalidRow) as caught:
        ENTITIES["drug"].clean({"code": "Y1", "name": "阿莫西林", "spec": "0.25g", "unit": "盒", "price": "abc",
                                "insurance_category": "丁"})
    assert [str(p) for p in caught.value.problems] == [
        "drug Y1: price: 'abc' 不是数字", "drug Y1: insurance_category: '丁' 不是 甲, 乙, 丙 之一"]
    with translation.override("en"):
        assert _reason("abc") == "'abc' is not a number"


def _reason(value) -> str:
    try:
        ENTITIES["drug"].by_name["price"].clean(value)
    except ValueError as exc:
        return str(exc)
    return ""


# -- the mapping's fields, limits and look-back -----------------------------------------------------

@pytest.fixture
def good(tmp_path):
    path = tmp_path / "his.yaml"
    path.write_text(demo_his.mapping_text("postgresql+psycopg://lifeline@his.example:5432/his"), encoding="utf-8")
    return path


def add(path, entity: str, text: str):
    old = path.read_text(encoding="utf-8")
    marker = f"  {entity}:\n"
    assert marker in old
    path.write_text(old.replace(marker, marker + text, 1), encoding="utf-8")
    return path


def problems(path):
    return [str(p).removeprefix(f"{path}:") for p in mapping.check_file(path)]


def test_fields_limits_and_lookback_are_read(good):
    add(good, "patient", "    on_invalid_row: skip\n    watermark_lookback: 10min\n"
                         "    fields:\n      phone: {on_invalid: null}\n      id_card_no:\n        on_invalid: 'null'\n"
                         "      name: {on_invalid: fail}\n"
                         "    limits: {max_skipped: 500, max_nulled: '20%', min_rows: 1000, max_shrink: 5%}\n")
    assert problems(good) == []
    spec = mapping.load(good).entities["patient"]
    assert spec.rule("phone") == spec.rule("id_card_no") == "null" and spec.rule("name") == "fail"
    assert spec.rule("sex") == "skip" and spec.nullable == {"phone", "id_card_no"}
    assert spec.lookback == datetime.timedelta(minutes=10)
    assert spec.limits.allowed("max_skipped").of(10_000) == 500
    assert spec.limits.allowed("max_nulled").of(10_000) == 2000
    assert spec.limits.allowed("max_shrink").of(10_000) == 500 and spec.limits.min_rows == 1000
    defaults = mapping.load(good).entities["drug"]
    assert (defaults.limits.max_skipped, defaults.limits.max_nulled, defaults.limits.max_shrink) == ("1%", "10%", "50%")
    assert defaults.lookback == datetime.timedelta(0)


def test_bad_fields_limits_and_lookback_name_line_and_field(good):
    add(good, "patient", "    watermark_lookback: 10 minutes\n"
                         "    fields:\n      phon: {on_invalid: null}\n      sex: {on_invalid: null}\n"
                         "      card_no: {on_invalid: ignore}\n"
                         "    limits: {max_skipped: lots, max_shrink: 150%, min_rows: -1, max_rows: 3}\n")
    found = problems(good)
    assert any(p.endswith("entities.patient.watermark_lookback: '10 minutes' is not a duration: write seconds "
                          "(600) or 30s, 10min, 2h, 1d") for p in found)
    assert any(p.endswith("entities.patient.fields.phon: 'phon' is not a field of patient; did you mean 'phone'?")
               for p in found)
    assert any(p.endswith("entities.patient.fields.sex.on_invalid: sex is a required field of patient: a bad value "
                          "cannot be emptied; use skip (leave the row out) or fail") for p in found)
    assert any(p.endswith("entities.patient.fields.card_no.on_invalid: Input should be 'null', 'skip' or 'fail'")
               for p in found)
    assert any("entities.patient.limits.max_skipped: 'lots' is not a number of rows (500) or a share" in p
               for p in found)
    assert any("entities.patient.limits.max_shrink: '150%' is not a number of rows" in p for p in found)
    assert any("entities.patient.limits.min_rows: Input should be greater than or equal to 0" in p for p in found)
    assert any("entities.patient.limits.max_rows: unknown field" in p for p in found)


def test_limits_and_lookback_keep_the_chain_row_rules_do_not(good, tmp_path):
    from lifeline.snapshots.builder import mapping_hash

    before = mapping_hash(mapping.load(good))
    add(good, "patient", "    watermark_lookback: 1h\n    limits: {max_skipped: 10%}\n")
    assert mapping_hash(mapping.load(good)) == before
    add(good, "patient", "    fields: {phone: {on_invalid: null}}\n")
    assert mapping_hash(mapping.load(good)) != before
