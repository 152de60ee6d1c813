"""The contact book and roster as .xlsx: good files import, a bad row rejects the whole file."""
from datetime import timedelta
from io import BytesIO

import openpyxl
import pytest

from lifeline.people.models import ContactChannel, Member, Shift, TeamMembership
from lifeline.people.resources import ImportRejected, MemberResource, ShiftResource, export_xlsx, import_xlsx
from tests.people.conftest import xlsx

pytestmark = pytest.mark.django_db

HEADER = ["name", "phone", "department", "title", "skills", "channels", "teams", "active"]


def test_good_file_creates_members_with_skills_channels_and_teams(tech_team):
    content = xlsx(HEADER,
                   ["刘洋", 13800001111, "信息中心", "数据库管理员", "数据库恢复, 存储",
                    "wecom wecombot://key1; sms://gw.example/13800001111", "tech:core:lead", True],
                   ["王姐", "13800002222", "客服中心", "", "沟通", "mailto://wang@hospital.example", "tech:backup", 1])
    result = import_xlsx(MemberResource(), content)

    assert result.totals["new"] == 2
    liu = Member.objects.get(phone="13800001111")
    assert liu.name == "刘洋" and liu.department == "信息中心"
    assert sorted(liu.skill_names()) == ["存储", "数据库恢复"]
    assert [(c.order, c.kind, c.url) for c in liu.channels.all()] == [
        (0, "wecom", "wecombot://key1"), (1, "sms", "sms://gw.example/13800001111")]
    assert TeamMembership.objects.get(member=liu).lead is True
    wang = Member.objects.get(phone="13800002222")
    assert wang.channels.get().kind == "email"  # guessed from mailto://
    assert TeamMembership.objects.get(member=wang).kind == "backup"


def test_same_phone_updates_the_member_instead_of_adding_one(make_member):
    make_member("刘洋", phone="13800001111", department="旧部门")
    import_xlsx(MemberResource(), xlsx(["name", "phone", "department"], ["刘洋", "13800001111", "信息中心"]))
    assert Member.objects.get().department == "信息中心"


def test_missing_name_on_row_3_names_row_and_field_and_imports_nothing():
    content = xlsx(HEADER, ["刘洋", "13800001111", "信息中心", "", "", "", "", True],
                   ["", "13800002222", "客服中心", "", "沟通", "", "", True])
    with pytest.raises(ImportRejected) as rejected:
        import_xlsx(MemberResource(), content)
    assert len(rejected.value.errors) == 1
    assert rejected.value.errors[0].startswith("第 3 行，name：")
    assert Member.objects.count() == 0


def test_bad_channel_url_names_row_and_column_and_imports_nothing(tech_team):
    content = xlsx(HEADER, ["刘洋", "13800001111", "信息中心", "", "数据库恢复", "wecombot://ok", "tech", True],
                   ["王姐", "13800002222", "客服中心", "", "", "sms 13800002222", "", True],
                   ["张伟", "13800003333", "信息中心", "", "", "", "nosuch:core", True])
    with pytest.raises(ImportRejected) as rejected:
        import_xlsx(MemberResource(), content)
    errors = rejected.value.errors
    assert errors[0].startswith("第 3 行，channels：") and "13800002222 不是 Apprise URL" in errors[0]
    assert errors[1].startswith("第 4 行，teams：") and "nosuch" in errors[1]
    assert Member.objects.count() == 0 and ContactChannel.objects.count() == 0


def test_missing_key_column_or_not_a_spreadsheet_is_rejected():
    with pytest.raises(ImportRejected, match="phone"):
        import_xlsx(MemberResource(), xlsx(["name"], ["刘洋"]))
    with pytest.raises(ImportRejected, match=r"不是 \.xlsx 表格"):
        import_xlsx(MemberResource(), b"name,phone\n")
    assert Member.objects.count() == 0


def test_export_then_import_gives_back_the_same_contact_book(make_member, tech_team):
    liu = make_member("刘洋", skills=["数据库恢复", "存储"], department="信息中心", title="DBA")
    ContactChannel.objects.create(member=liu, order=0, kind="wecom", url="wecombot://k")
    ContactChannel.objects.create(member=liu, order=1, kind="短信", url="sms://gw/1")
    TeamMembership.objects.create(member=liu, team=tech_team, kind="core", lead=True)
    before = _snapshot()
    content = export_xlsx(MemberResource())

    Member.objects.all().delete()
    import_xlsx(MemberResource(), content)
    assert _snapshot() == before


def _snapshot():
    return [(m.name, m.phone, m.department, m.title, m.active, sorted(m.skill_names()),
             [(c.kind, c.url) for c in m.channels.all()],
             [(t.team.code, t.kind, t.lead) for t in m.memberships.all()]) for m in Member.objects.all()]


def test_roster_export_round_trip(make_member, monday_9am):
    liu = make_member("刘洋")
    Shift.objects.create(role="dba", member=liu, starts_at=monday_9am, ends_at=monday_9am + timedelta(hours=24))
    content = export_xlsx(ShiftResource())
    sheet = openpyxl.load_workbook(BytesIO(content)).active
    assert [c.value for c in sheet[1]] == ["role", "kind", "member_phone", "member_name", "starts_at", "ends_at"]
    assert sheet["D2"].value == "刘洋"

    Shift.objects.all().delete()
    import_xlsx(ShiftResource(), content)
    shift = Shift.objects.get()
    assert (shift.role, shift.member, shift.starts_at, shift.ends_at) == (
        "dba", liu, monday_9am, monday_9am + timedelta(hours=24))


def test_roster_row_with_unknown_phone_is_rejected():
    content = xlsx(["role", "kind", "member_phone", "starts_at", "ends_at"],
                   ["dba", "primary", "13999999999", "2025-03-03 08:00:00", "2025-03-04 08:00:00"])
    with pytest.raises(ImportRejected, match="第 2 行，member_phone：没有电话为 13999999999 的成员"):
        import_xlsx(ShiftResource(), content)
    assert Shift.objects.count() == 0


def test_contact_book_export_keeps_formula_like_text_as_text_and_imports_back(make_member):
    from django.contrib import admin

    from lifeline.core.spreadsheets import SafeXLSX

    make_member("=HYPERLINK(\"http://evil.example/\",\"点我\")", department="信息中心\u0007", phone="+8613800001111")
    content = export_xlsx(MemberResource())
    sheet = openpyxl.load_workbook(BytesIO(content)).active
    name, phone, department = sheet["A2"], sheet["B2"], sheet["C2"]
    assert (name.data_type, name.quotePrefix, phone.value, phone.quotePrefix) == ("s", True, "+8613800001111", True)
    assert department.value == "信息中心"
    Member.objects.all().delete()
    import_xlsx(MemberResource(), content)
    assert Member.objects.get().name == "=HYPERLINK(\"http://evil.example/\",\"点我\")"
    # The admin's export (every spreadsheet admin) offers only the safe writer.
    assert [type(f) if not isinstance(f, type) else f for f in admin.site._registry[Member].get_export_formats()] \
        == [SafeXLSX]
