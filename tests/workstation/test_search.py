"""Finding a patient by each way the window searches, in the base data and among new cards."""

import pytest

from lifeline.workstation import registration, search
from lifeline.workstation.errors import StationRefused
from tests.workstation.conftest import REGISTRAR


def _cards(found):
    return sorted(p["card_no"] for p in found)


def test_initials_take_every_reading_of_the_surname():
    assert search.initials("张三") == {"zs"}
    assert search.initials("单雄信") == {"cxx", "dxx", "sxx"}
    assert search.initials("曾国藩") >= {"zgf", "cgf"}
    assert search.initials("Anna李") == {"annal"}


@pytest.mark.parametrize("way, value, birth, cards", [
    ("card_no", "C0002", "", ["C0002"]),
    ("id_card_no", "11010519491231002x", "", ["C0003"]),
    ("phone", "13800138000", "", ["C0001", "C0004"]),
    ("name_birth", "张三", "1980-01-02", ["C0001"]),
    ("initials", "ZS", "", ["C0001", "C0004"]),
    ("initials", "sxx", "", ["C0003"]),
    ("card_no", "C9999", "", []),
])
def test_each_way_of_searching(station, way, value, birth, cards):
    assert _cards(search.find(station.db, way, value, birth)) == cards


def test_a_new_card_is_found_too(station):
    card = registration.issue_card(station, REGISTRAR, {"name": "张胜", "sex": "1", "birth_date": "2001-02-03",
                                                        "phone": "13700137000"}).payload["card_no"]
    assert _cards(search.find(station.db, "initials", "zs")) == sorted(["C0001", "C0004", card])
    assert _cards(search.find(station.db, "name_birth", "张胜", "2001-02-03")) == [card]


@pytest.mark.parametrize("way, value, birth, field", [
    ("email", "x", "", "way"), ("phone", " ", "", "phone"), ("name_birth", "张三", "", "birth_date")])
def test_a_bad_search_names_the_field(station, way, value, birth, field):
    with pytest.raises(StationRefused) as refused:
        search.find(station.db, way, value, birth)
    assert refused.value.field == field


