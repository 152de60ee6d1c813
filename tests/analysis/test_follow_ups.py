"""Follow-up tasks: created with an owner and a due date, tracked until done, overdue when late."""
from datetime import date

import pytest
from django.utils import translation

from lifeline.analysis import services
from lifeline.analysis.models import FollowUp
from lifeline.core.errors import Refused
from lifeline.people.models import Member

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(db):
    return Member.objects.create(name="王工", phone="13900000001", department="信息中心")


def test_lifecycle_and_overdue(resolved, member, clock, make_user):
    # The clock is at 2026-11-23 11:00 (Shanghai) after the incident.
    patch = services.add_follow_up(resolved, title="升级应用服务器操作系统补丁", due_on="2026-11-30",
                                   vendor="某 HIS 厂商")
    drill = services.add_follow_up(resolved, title="组织一次应用服务器故障演练", due_on=date(2026, 11, 25),
                                   owner_id=member.pk)
    assert patch.owner_name == "某 HIS 厂商" and drill.owner_name == "王工"
    assert list(services.open_follow_ups()) == [drill, patch]
    assert not FollowUp.objects.overdue(services.today()).exists()

    clock.advance(days=3)  # 11-26: the drill is a day late
    assert list(FollowUp.objects.overdue(services.today())) == [drill]
    services.mark_done(drill, make_user("duty"), result="已演练，用时 25 分钟")
    assert not FollowUp.objects.overdue(services.today()).exists()
    assert list(services.open_follow_ups()) == [patch]
    with pytest.raises(Refused) as caught:
        services.mark_done(drill)
    assert caught.value.field == "follow_up"

    prepared = services.build(resolved)
    assert [(f["title"], f["owner"], f["due"]) for f in prepared.follow_ups] == [
        ("组织一次应用服务器故障演练", "王工", "2026-11-25"),
        ("升级应用服务器操作系统补丁", "某 HIS 厂商", "2026-11-30"),
    ]
    assert prepared.follow_ups[0]["done"] == "2026-11-26 11:00" and prepared.follow_ups[1]["done"] == prepared.t["open"]


@pytest.mark.parametrize("fields, field", [
    ({"title": "  ", "due_on": "2026-12-01", "vendor": "厂商"}, "title"),
    ({"title": "补丁", "due_on": "01/12/2026", "vendor": "厂商"}, "due_on"),
    ({"title": "补丁", "due_on": "2026-02-30", "vendor": "厂商"}, "due_on"),
    ({"title": "补丁", "due_on": "", "vendor": "厂商"}, "due_on"),
    ({"title": "补丁", "due_on": "2026-12-01"}, "owner"),
    ({"title": "补丁", "due_on": "2026-12-01", "owner_id": 999}, "owner"),
    ({"title": "x" * 301, "due_on": "2026-12-01", "vendor": "厂商"}, "title"),
    ({"title": "补丁", "due_on": "1999-12-01", "vendor": "厂商"}, "due_on"),
    ({"title": "补丁", "due_on": "2026-11-21", "vendor": "厂商"}, "due_on"),  # the day before it opened
    ({"title": "补丁", "due_on": "2031-11-24", "vendor": "厂商"}, "due_on"),  # five years and a day ahead
    ({"title": "补丁", "due_on": "9999-12-31", "vendor": "厂商"}, "due_on"),
])
def test_bad_follow_up_is_refused_naming_the_field(resolved, fields, field):
    with pytest.raises(Refused) as caught:
        services.add_follow_up(resolved, **fields)
    assert caught.value.field == field and caught.value.message
    assert not FollowUp.objects.exists()


def test_due_dates_from_the_day_the_incident_opened_to_five_years_ahead(resolved):
    # Opened 2026-11-22; today is 2026-11-23.
    assert services.due_date_range(resolved) == (date(2026, 11, 22), date(2031, 11, 23))
    for due in ("2026-11-22", "2031-11-23"):
        services.add_follow_up(resolved, title=f"补丁 {due}", due_on=due, vendor="厂商")
    assert FollowUp.objects.count() == 2


def test_a_due_date_out_of_range_says_why_in_chinese(resolved):
    with translation.override("zh-hans"), pytest.raises(Refused) as caught:
        services.add_follow_up(resolved, title="补丁", due_on="1999-12-01", vendor="厂商")
    assert caught.value.message == "1999-12-01 早于事件开始的日期（2026-11-22），请填写该日或之后的日期"
    with translation.override("zh-hans"), pytest.raises(Refused) as caught:
        services.add_follow_up(resolved, title="补丁", due_on="2040-01-01", vendor="厂商")
    assert caught.value.message == "2040-01-01 超过 5 年之后，请填写不晚于 2031-11-23 的日期"
