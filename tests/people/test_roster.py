"""Who holds a role: rotations make shifts, overrides win, and the answer follows the clock."""
from datetime import timedelta

import pytest

from lifeline.people import services
from lifeline.people.models import DutyKind, Override, RosterRotation, RotationSlot, Shift

pytestmark = pytest.mark.django_db


def rotation(role, members, starts_at, hours=24, kind=DutyKind.PRIMARY):
    rot = RosterRotation.objects.create(name=f"{role} {kind}", role=role, kind=kind, shift_hours=hours,
                                        starts_at=starts_at)
    for order, member in enumerate(members):
        RotationSlot.objects.create(rotation=rot, member=member, order=order)
    return rot


def test_rotation_hands_the_role_on_each_shift(make_member, monday_9am, clock):
    zhang, liu, chen = make_member("张伟"), make_member("刘洋"), make_member("陈静")
    rot = rotation("duty_it", [zhang, liu, chen], starts_at=monday_9am - timedelta(hours=1))
    services.generate_shifts(rot, monday_9am, monday_9am + timedelta(days=7))

    assert services.on_duty("duty_it") == zhang
    clock.advance(hours=24)
    assert services.on_duty("duty_it") == liu
    clock.advance(hours=24)
    assert services.on_duty("duty_it") == chen
    clock.advance(hours=24)
    assert services.on_duty("duty_it") == zhang
    assert services.on_duty("dba") is None


def test_generating_twice_creates_nothing_new(make_member, monday_9am):
    rot = rotation("duty_it", [make_member("张伟"), make_member("刘洋")], starts_at=monday_9am)
    end = monday_9am + timedelta(days=30)
    first = services.generate_shifts(rot, monday_9am, end)
    assert len(first) == 30
    assert services.generate_shifts(rot, monday_9am, end) == []
    # A longer range adds only the days not there yet.
    assert len(services.generate_shifts(rot, monday_9am, end + timedelta(days=2))) == 2
    assert Shift.objects.count() == 32


def test_generation_starts_with_the_slot_running_at_the_range_start(make_member, monday_9am):
    zhang, liu = make_member("张伟"), make_member("刘洋")
    rot = rotation("dba", [zhang, liu], starts_at=monday_9am - timedelta(days=3, hours=2), hours=24)
    created = services.generate_shifts(rot, monday_9am, monday_9am + timedelta(hours=1))
    assert len(created) == 1
    assert created[0].starts_at == monday_9am - timedelta(hours=2)
    assert created[0].member == liu  # slot 3 of [张伟, 刘洋]


def test_override_wins_in_its_window_only(make_member, monday_9am, clock):
    zhang, wang = make_member("张伟"), make_member("王芳")
    rot = rotation("duty_it", [zhang], starts_at=monday_9am - timedelta(hours=1))
    services.generate_shifts(rot, monday_9am, monday_9am + timedelta(days=2))
    Override.objects.create(role="duty_it", member=wang, replaces=zhang, reason="换班",
                            starts_at=monday_9am + timedelta(hours=2), ends_at=monday_9am + timedelta(hours=6))

    assert services.on_duty("duty_it") == zhang
    clock.advance(hours=2)
    assert services.on_duty("duty_it") == wang
    clock.advance(hours=4)
    assert services.on_duty("duty_it") == zhang


def test_latest_starting_window_wins_a_tie(make_member, monday_9am):
    early, late = make_member("早班"), make_member("晚到")
    Shift.objects.create(role="dba", member=early, starts_at=monday_9am - timedelta(hours=3),
                         ends_at=monday_9am + timedelta(hours=5))
    Shift.objects.create(role="dba", member=late, starts_at=monday_9am - timedelta(hours=1),
                         ends_at=monday_9am + timedelta(hours=1))
    assert services.on_duty("dba") == late
    assert services.on_duty("dba", at=monday_9am + timedelta(hours=2)) == early


def test_backup_is_answered_separately(make_member, monday_9am):
    zhang, liu = make_member("张伟"), make_member("刘洋")
    start = monday_9am - timedelta(hours=1)
    services.generate_shifts(rotation("duty_it", [zhang], start), start, monday_9am + timedelta(days=1))
    services.generate_shifts(rotation("duty_it", [liu], start, kind=DutyKind.BACKUP), start,
                             monday_9am + timedelta(days=1))
    assert services.on_duty("duty_it", kind=DutyKind.BACKUP) == liu
    assert services.on_duty_all() == [("duty_it", zhang, liu)]


def test_inactive_member_is_not_named_on_duty(make_member, monday_9am):
    gone = make_member("离职", active=False)
    Shift.objects.create(role="dba", member=gone, starts_at=monday_9am, ends_at=monday_9am + timedelta(hours=8))
    assert services.on_duty("dba") is None


def test_on_duty_all_lists_shared_roles_first(make_member, monday_9am):
    member = make_member("张伟")
    for role in ("zz_custom", "dba", "commander"):
        Shift.objects.create(role=role, member=member, starts_at=monday_9am, ends_at=monday_9am + timedelta(hours=1))
    assert [duty.role for duty in services.on_duty_all()] == ["commander", "dba", "zz_custom"]
