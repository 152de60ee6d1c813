"""Batch checks (lifeline.his.checking) say exactly what the canonical model's per-value
rules say (Entity.clean), row by row and for a whole batch, and take the fast path for the
values a database driver returns."""
import datetime
import re
from decimal import Decimal

import pytest

from lifeline.his import canonical
from lifeline.his.canonical import ENTITIES, InvalidRow, id_card_check_digit
from lifeline.his.checking import BatchChecker

pytestmark = pytest.mark.usefixtures("english")  # reasons are matched as worded in English

PATIENT = ["card_no", "name", "sex", "birth_date", "id_card_no", "phone", "insurance_type", "insurance_no",
           "his_modified"]
STAMP = datetime.datetime(2026, 5, 1, 8, 30)


def id_no(area="510601", birth="20230902", serial="608"):
    return area + birth + serial + id_card_check_digit(area + birth + serial)


def patient(card=1, **changes):
    """A patient row as a driver returns it (text, a date), with `changes` by column name."""
    row = {"card_no": f"{card:010d}", "name": "高红", "sex": "2", "birth_date": datetime.date(2023, 9, 2),
           "id_card_no": id_no(), "phone": "15823565722", "insurance_type": "02", "insurance_no": None,
           "his_modified": STAMP, **changes}
    return tuple(row[name] for name in PATIENT)


ODD_PATIENTS = [
    patient(2, id_card_no=id_no(area="110105", birth="19491231", serial="002").lower()),  # x: upper-cased
    patient(3, id_card_no=id_no()[:17] + "8"),  # wrong check digit
    patient(4, id_card_no=id_no(birth="17990101")),  # valid, born outside the fast pattern's years
    patient(5, id_card_no="510601202302300001"),  # 30 February
    patient(6, id_card_no="５１０６０１２０２３０９０２６０８７"),  # full-width digits
    patient(7, id_card_no=" " + id_no() + " "),  # spaces around: stripped
    patient(8, phone="13800138000 "),
    patient(9, phone="   "),  # blank: absent
    patient(10, phone=""),
    patient(11, phone="138\n00138000"),  # two lines in one value
    patient(24, phone="１３８００１３８０００"),  # full-width digits
    patient(12, name=" 高红 "),
    patient(13, name=""),
    patient(14, name="高" * 61),
    patient(15, card_no=15),  # a number for a text field
    patient(16, sex=1),
    patient(17, sex="F"),
    patient(18, sex=" 1"),
    patient(19, birth_date="2023-09-02"),  # SQLite gives dates as text
    patient(20, birth_date=datetime.datetime(2023, 9, 2, 10, 0)),
    patient(21, birth_date="2023-02-30"),
    patient(22, insurance_no="  "),
    patient(23, insurance_type=""),
]


def per_value(entity, names, rows) -> list:
    """Entity.clean's verdict on each row: its canonical tuple, or its problems."""
    found = []
    for row in rows:
        try:
            found.append(tuple(ENTITIES[entity].clean(dict(zip(names, row))).values()))
        except InvalidRow as exc:
            found.append([str(p) for p in exc.problems])
    return found


def batched(entity, names, rows) -> list:
    clean, problems = BatchChecker(ENTITIES[entity], names)(rows)
    problems = iter(problems)
    return [row if row is not None else [str(p) for p in next(problems).problems] for row in clean]


def test_each_odd_patient_row_is_judged_as_entity_clean_judges_it():
    for row in [patient()] + ODD_PATIENTS:
        assert batched("patient", PATIENT, [row]) == per_value("patient", PATIENT, [row]), row


def test_a_batch_of_odd_rows_is_judged_row_by_row_as_entity_clean_does():
    rows = [patient(n) for n in range(100, 150)] + ODD_PATIENTS
    expected = per_value("patient", PATIENT, rows)
    assert batched("patient", PATIENT, rows) == expected
    assert expected[51] == ["patient 0000000003: id_card_no: check digit is 8, expected 7"]
    assert expected[50][4].endswith("X") and expected[56][5] == "13800138000" and expected[57][5] is None


def test_well_formed_driver_values_take_the_fast_path(monkeypatch):
    rows = [patient(n, id_card_no=id_no(serial=f"{n % 1000:03d}"), insurance_no=None if n % 3 else "A1")
            for n in range(2000)]

    def per_value_check(*args):
        raise AssertionError("Field.clean called: the batch did not take the fast path")

    expected = per_value("patient", PATIENT, rows)
    monkeypatch.setattr(canonical.Field, "clean", per_value_check)
    assert batched("patient", PATIENT, rows) == expected


@pytest.mark.parametrize("price", [Decimal("9.80"), Decimal("0"), 9.8, "9.8", Decimal("-1"), Decimal("NaN"),
                                   Decimal("Infinity"), "abc", None])
def test_prices_are_judged_as_entity_clean_judges_them(price):
    names = ["code", "name", "spec", "form", "unit", "manufacturer", "price", "insurance_category"]
    good = ("Y2", "阿莫西林胶囊", "0.25g×24粒", None, "盒", None, Decimal("1.50"), "甲")
    rows = [good, ("Y1", "阿莫西林胶囊", "0.25g×24粒", "胶囊剂", "盒", "华北制药", price, "甲")]
    assert batched("drug", names, rows) == per_value("drug", names, rows)


def test_the_column_check_finds_every_wrong_check_digit():
    numbers = [id_no(birth=f"19{year:02d}0{month}1{day}", serial=f"{year * 7:03d}")
               for year in range(100) for month, day in ((1, 0), (9, 9))]
    rows = [patient(n, id_card_no=number) for n, number in enumerate(numbers)]
    assert all(isinstance(row, tuple) for row in batched("patient", PATIENT, rows))
    for n, number in enumerate(numbers[:40]):
        for wrong in set("0123456789X") - {number[17]}:
            bad = rows[:n] + [patient(n, id_card_no=number[:17] + wrong)] + rows[n + 1:]
            assert batched("patient", PATIENT, bad) == per_value("patient", PATIENT, bad)


def test_the_birth_date_pattern_knows_every_date_of_1800_to_2199():
    pattern = re.compile(canonical.DATE_1800_2199)
    for year in range(1795, 2205):
        for month in range(14):
            for day in range(33):
                text = f"{year:04d}{month:02d}{day:02d}"
                try:
                    datetime.date(year, month, day)
                    real = 1800 <= year <= 2199
                except ValueError:
                    real = False
                assert bool(pattern.fullmatch(text)) == real, text
