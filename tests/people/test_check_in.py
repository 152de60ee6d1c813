"""Who can come fastest: on site first, then the shortest ETA; stale check-ins count for nothing."""
import pytest
from django.core.exceptions import ValidationError

from lifeline.people import services
from lifeline.people.models import CheckIn, TeamMembership

pytestmark = pytest.mark.django_db


def test_on_site_beats_off_site_and_lower_eta_comes_first(make_member, monday_9am):
    far, near, here, silent = (make_member(n, skills=["数据库恢复"]) for n in ("远", "近", "在院", "未打卡"))
    services.check_in(far, "off_site", 45, "城东")
    services.check_in(near, "off_site", 15)
    services.check_in(here, "on_site", note="机房")

    assert services.fastest() == [(here, 0), (near, 15), (far, 45), (silent, None)]


def test_latest_check_in_counts_and_stale_ones_do_not(make_member, monday_9am, clock):
    moved, stale = make_member("刘洋"), make_member("陈静")
    services.check_in(stale, "on_site")
    services.check_in(moved, "on_site")
    clock.advance(hours=11)
    services.check_in(moved, "off_site", 30, "回家了")
    clock.advance(hours=2)  # 陈静's check-in is now 13 hours old

    assert services.fastest() == [(moved, 30), (stale, None)]


def test_unavailable_members_are_left_out(make_member, monday_9am):
    away, free = make_member("出差"), make_member("待命")
    services.check_in(away, "unavailable", note="外地")
    assert services.fastest() == [(free, None)]


def test_filter_by_skill_and_team(make_member, monday_9am, tech_team):
    dba = make_member("刘洋", skills=["数据库恢复"])
    net = make_member("张伟", skills=["网络"])
    comms = make_member("王姐", skills=["沟通"])
    TeamMembership.objects.create(member=dba, team=tech_team)
    TeamMembership.objects.create(member=net, team=tech_team, kind="backup")

    assert services.fastest(skill="数据库恢复") == [(dba, None)]
    assert services.fastest(team="tech") == [(dba, None), (net, None)]  # same ETA: by name
    assert comms not in [m for m, _eta in services.fastest(team=tech_team)]


def test_off_site_without_eta_is_refused_and_nothing_saved(make_member, monday_9am):
    member = make_member("刘洋")
    with pytest.raises(ValidationError) as raised:
        services.check_in(member, "off_site")
    assert "eta_minutes" in raised.value.message_dict
    with pytest.raises(ValidationError) as raised:
        services.check_in(member, "asleep")
    assert "status" in raised.value.message_dict
    assert CheckIn.objects.count() == 0
