"""The canonical model: per-field checks, and the documentation generated from it."""
from decimal import Decimal
from pathlib import Path

import pytest

from lifeline.his.canonical import ENTITIES, InvalidRow, id_card_check_digit, markdown

pytestmark = pytest.mark.usefixtures("english")  # reasons are matched as worded in English

DOC = Path(__file__).resolve().parents[2] / "docs" / "canonical-model.md"


def patient(**changes):
    row = {"card_no": "0000000001", "name": "高红", "sex": "2", "birth_date": "2023-09-02",
           "id_card_no": "510601202309026087", "phone": "15823565722", "insurance_type": "02",
           "insurance_no": None}
    return {**row, **changes}


def problems(entity, row):
    with pytest.raises(InvalidRow) as caught:
        ENTITIES[entity].clean(row)
    return [str(p) for p in caught.value.problems]


def test_the_documentation_is_the_model():
    assert DOC.read_text(encoding="utf-8") == markdown(), "run `lifeline his doc` after changing canonical.py"


def test_every_entity_of_seed_003_is_documented_with_its_fields():
    text = DOC.read_text(encoding="utf-8")
    for name in ("patient", "department", "staff", "clinic_schedule", "drug", "drug_stock", "price_item",
                 "insurance_type", "invoice_range"):
        assert f"### `{name}`" in text
    assert "| `id_card_no` | text | no | 身份证号 (校验位) |" in text


def test_a_good_row_is_normalised():
    clean = ENTITIES["patient"].clean(patient(phone=" ", card_no=1))
    assert clean["birth_date"].isoformat() == "2023-09-02"
    assert (clean["card_no"], clean["phone"], clean["insurance_no"]) == ("1", None, None)


def test_id_card_check_digit_of_the_national_standard_example():
    assert id_card_check_digit("11010519491231002") == "X"
    assert ENTITIES["patient"].clean(patient(id_card_no="11010519491231002x"))["id_card_no"] == "11010519491231002X"


def test_a_wrong_check_digit_names_entity_key_and_field():
    assert problems("patient", patient(id_card_no="510601202309026088")) == [
        "patient 0000000001: id_card_no: check digit is 8, expected 7"]


def test_every_bad_field_of_a_row_is_reported():
    assert problems("patient", patient(sex="F", birth_date="2023-02-30", name=" ")) == [
        "patient 0000000001: name: required, but empty",
        "patient 0000000001: sex: 'F' is not one of 0, 1, 2, 9",
        "patient 0000000001: birth_date: '2023-02-30' is not a date (YYYY-MM-DD)",
    ]


@pytest.mark.parametrize("price, reason", [("abc", "'abc' is not a number"), ("-1.5", "-1.5 is negative"),
                                           ("NaN", "'NaN' is not a number")])
def test_a_price_is_a_non_negative_number(price, reason):
    row = {"code": "Y1", "name": "阿莫西林胶囊", "spec": "0.25g×24粒", "unit": "盒", "price": price,
           "insurance_category": "甲"}
    assert problems("drug", row) == [f"drug Y1: price: {reason}"]
    assert ENTITIES["drug"].clean({**row, "price": 9.8})["price"] == Decimal("9.8")


def test_a_composite_key_names_the_row():
    row = {"pharmacy_code": "2004", "drug_code": "Y1", "batch_no": "B7", "quantity": "many"}
    assert problems("drug_stock", row) == ["drug_stock 2004/Y1/B7: quantity: 'many' is not a number"]
