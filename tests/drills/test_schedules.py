"""Monthly and yearly drills: the next one planned once, a reminder raised once, days before it."""
from datetime import datetime, time

import pytest
from django.utils import timezone

from lifeline.detection.models import Alert
from lifeline.drills import schedules
from lifeline.drills.models import Drill, Every
from tests.drills.conftest import PLAN, SCENARIO

pytestmark = pytest.mark.django_db


def local(*args):
    return timezone.make_aware(datetime(*args))


def test_a_monthly_drill_on_the_31st_falls_on_a_short_months_last_day(plan_001):
    monthly = schedules.create_schedule(plan_id=PLAN, scenario_id=SCENARIO, every=Every.MONTH, day=31, time=time(9))
    assert schedules.next_occurrence(monthly, local(2026, 12, 8)) == local(2026, 12, 31, 9)
    assert schedules.next_occurrence(monthly, local(2027, 2, 1)) == local(2027, 2, 28, 9)
    yearly = schedules.create_schedule(plan_id=PLAN, scenario_id=SCENARIO, every=Every.YEAR, month=3, day=15,
                                       time=time(14, 30))
    assert schedules.next_occurrence(yearly, local(2027, 3, 15, 15)) == local(2028, 3, 15, 14, 30)


def test_the_next_drill_is_planned_once_and_reminded_once(plan_001, clock):
    clock.freeze(local(2026, 12, 8, 10))
    schedules.create_schedule(plan_id=PLAN, scenario_id=SCENARIO, every=Every.MONTH, day=31, time=time(9),
                              remind_days=3)
    assert schedules.plan_next() == 1 and schedules.plan_next() == 0
    drill = Drill.objects.get()
    assert drill.planned_at == local(2026, 12, 31, 9) and drill.target_restore == 30
    clock.freeze(local(2026, 12, 28, 8, 59))
    assert schedules.remind_due() == 0
    clock.advance(minutes=1)
    assert schedules.remind_due() == 1 and schedules.remind_due() == 0
    assert "演练提醒" in Alert.objects.get(source="drills:reminder").summary


def test_a_schedule_of_an_unknown_scenario_is_refused(plan_001):
    with pytest.raises(schedules.services.Refused) as refused:
        schedules.create_schedule(plan_id=PLAN, scenario_id="volcano", every=Every.MONTH, time=time(9))
    assert refused.value.field == "scenario_id"
