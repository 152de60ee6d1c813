"""Follow-up tasks: created with an owner and a due date, tracked until done, overdue when late."""
from datetime import date

import pytest

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
])
def test_bad_follow_up_is_refused_naming_the_field(resolved, fields, field):
    with pytest.raises(Refused) as caught:
        services.add_follow_up(resolved, **fields)
    assert caught.value.field == field and caught.value.message
    assert not FollowUp.objects.exists()
