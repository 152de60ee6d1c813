"""Spare parts: taken out against an incident (who, why), never below zero, a low-stock alarm
while below the minimum; Excel export and an all-or-nothing import whose errors name row and column."""
import io

import pytest
from openpyxl import Workbook, load_workbook

from lifeline.accounts.roles import Role
from lifeline.core import alarms
from lifeline.incidents import lifecycle
from lifeline.inspections import parts
from lifeline.inspections.models import SparePart, Withdrawal
from tests.incidents.conftest import load_seed, t0  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(load_seed, t0):
    plan_id = load_seed("004")
    return lifecycle.open_incident(plan_id=plan_id, title="核心交换机故障")


@pytest.fixture
def switch(db):
    return SparePart.objects.create(name="核心交换机（备机）", category="core_switch", location="一号机房 A1",
                                    quantity=2, minimum=2, replaces="核心交换机")


@pytest.fixture
def heard():
    found = []

    def receiver(sender, **alarm):
        found.append(alarm)

    alarms.alarm.connect(receiver)
    yield found
    alarms.alarm.disconnect(receiver)


def test_taking_a_part_out_records_the_incident_and_below_minimum_fires_the_alarm(switch, incident, it, heard):
    taken = parts.withdraw(switch, quantity=1, incident_id=incident.pk, reason="更换故障交换机", user=it)
    switch.refresh_from_db()
    assert switch.quantity == 1 and taken.incident == incident and taken.taken_by == it
    assert heard[-1]["firing"] and heard[-1]["fingerprint"] == f"part-{switch.pk}"
    assert "备件低于最低库存：核心交换机（备机）" in heard[-1]["summary"]
    parts.restock(switch, quantity=3)
    assert not heard[-1]["firing"]


def test_bad_withdrawals_name_each_field_and_change_nothing(switch, it):
    with pytest.raises(parts.Refused) as refused:
        parts.withdraw(switch, quantity=5, incident_id=99999, reason=" ", user=it)
    fields = {p.field: p.message for p in refused.value.problems}
    assert fields == {"quantity": "库存只有 2", "incident": "没有事件 #99999", "reason": "请写明用途"}
    switch.refresh_from_db()
    assert switch.quantity == 2 and not Withdrawal.objects.exists()


def test_the_withdraw_page_refuses_under_the_field_and_readers_get_403(switch, incident, it_client, client,
                                                                      make_user):
    bad = it_client.post(f"/inspections/parts/{switch.pk}/withdraw/", {"quantity": "3", "incident": incident.pk,
                                                                       "reason": "x"})
    assert bad.status_code == 400 and "库存只有 2" in bad.content.decode()
    ok = it_client.post(f"/inspections/parts/{switch.pk}/withdraw/", {"quantity": "1", "incident": incident.pk,
                                                                      "reason": "更换"})
    assert ok.status_code == 302
    page = it_client.get(f"/inspections/parts/{switch.pk}/").content.decode()
    assert f'href="/incidents/{incident.pk}/"' in page and "更换" in page and "张伟" in page
    client.force_login(make_user("boss", Role.COMMANDER))
    assert client.post(f"/inspections/parts/{switch.pk}/withdraw/", {"quantity": "1"}).status_code == 403
    assert 'action="/inspections/parts/' not in client.get(f"/inspections/parts/{switch.pk}/").content.decode()


def xlsx(rows) -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    sheet.append(["name", "category", "model", "location", "quantity", "minimum", "replaces"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    out.name = "parts.xlsx"
    return out


def test_export_then_import_round_trip_and_category_in_words(switch, it_client):
    exported = it_client.get("/inspections/parts/export.xlsx")
    sheet = load_workbook(io.BytesIO(exported.content)).active
    rows = list(sheet.values)
    assert rows[0][:3] == ("name", "category", "model") and rows[1][:2] == ("核心交换机（备机）", "核心交换机")
    upload = xlsx([["核心交换机（备机）", "核心交换机", "", "一号机房 A1", 3, 2, "核心交换机"],
                   ["万兆光模块", "optical", "SFP+", "A3", 6, 4, ""]])
    response = it_client.post("/inspections/parts/import/", {"file": upload}, follow=True)
    assert "导入完成：新增 1 条，更新 1 条。" in response.content.decode()
    assert SparePart.objects.get(name="核心交换机（备机）").quantity == 3
    assert SparePart.objects.get(name="万兆光模块").category == "optical"


def test_a_bad_file_imports_nothing_and_names_row_and_column(switch, it_client):
    upload = xlsx([["光模块", "optical", "", "A3", 6, 4, ""],
                   ["内存", "闪存", "", "B2", 2, 2, ""],
                   ["硬盘", "disk", "", "B1", -1, 2, ""]])
    page = it_client.post("/inspections/parts/import/", {"file": upload}, follow=True).content.decode()
    assert "未导入任何数据" in page and "第 3 行，category：未知类别“闪存”" in page and "第 4 行，quantity" in page
    assert SparePart.objects.count() == 1
    garbage = io.BytesIO(b"not a spreadsheet")
    garbage.name = "x.xlsx"
    page = it_client.post("/inspections/parts/import/", {"file": garbage}, follow=True).content.decode()
    assert "xlsx" in page and SparePart.objects.count() == 1
