"""Monthly and yearly drills: the worker keeps each active schedule's next drill planned and
reminds (an alarm, as overdue inspections do) `remind_days` before a planned drill.

Occurrences are computed in the hospital's time zone; a day past a month's end falls on its
last day (the 31st of a monthly drill is 30 April's). The unique (schedule, planned_at) row
makes planning idempotent across workers.
"""
import calendar
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lifeline.core import alarms, clock
from lifeline.drills import services
from lifeline.drills.models import Drill, Every, Schedule

DEFAULT_REMIND_DAYS = 3


def _on(year: int, month: int, schedule: Schedule) -> datetime:
    day = min(schedule.day, calendar.monthrange(year, month)[1])
    return timezone.make_aware(datetime.combine(datetime(year, month, day).date(), schedule.time))


def next_occurrence(schedule: Schedule, after: datetime) -> datetime:
    """The first occurrence strictly after `after`."""
    local = timezone.localtime(after)
    year, month = local.year, (local.month if schedule.every == Every.MONTH else schedule.month)
    while True:
        at = _on(year, month, schedule)
        if at > after:
            return at
        if schedule.every == Every.MONTH:
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        else:
            year += 1


def plan_next(now=None) -> int:
    """Each active schedule has its next drill planned; returns how many were planned now."""
    now, planned = now or clock.now(), 0
    for schedule in Schedule.objects.filter(active=True):
        if schedule.drills.filter(status=Drill.Status.PLANNED, planned_at__gt=now).exists():
            continue
        try:
            with transaction.atomic():
                services.plan_drill(plan_id=schedule.plan_id, scenario_id=schedule.scenario_id,
                                    planned_at=next_occurrence(schedule, now), participants=schedule.participants,
                                    schedule=schedule)
        except IntegrityError:  # another worker planned it first
            continue
        planned += 1
    return planned


def remind_due(now=None) -> int:
    """One reminder per planned drill, `remind_days` before it; returns how many were sent."""
    now, sent = now or clock.now(), 0
    for drill in Drill.objects.filter(status=Drill.Status.PLANNED, reminded=False, planned_at__gt=now):
        days = drill.schedule.remind_days if drill.schedule else DEFAULT_REMIND_DAYS
        if drill.planned_at - timedelta(days=days) > now:
            continue
        with transaction.atomic():
            if not Drill.objects.filter(pk=drill.pk, reminded=False).update(reminded=True):
                continue
            when = timezone.localtime(drill.planned_at).strftime("%Y-%m-%d %H:%M")
            alarms.raise_alarm(source=services.REMINDER_SOURCE, fingerprint=f"drill-{drill.pk}", firing=True,
                               summary=_("Drill coming: %(drill)s at %(when)s") % {"drill": drill, "when": when},
                               labels={"drill": str(drill.pk), "scenario": drill.scenario_id})
        sent += 1
    return sent



def create_schedule(*, plan_id, scenario_id, every, time, day=1, month=1, remind_days=DEFAULT_REMIND_DAYS,
                    participants="") -> Schedule:
    """A recurring drill of a loaded plan's scenario (refused naming plan_id / scenario_id otherwise)."""
    services.scenario_of(plan_id, scenario_id)
    schedule = Schedule(plan_id=plan_id, scenario_id=scenario_id, every=every, time=time, day=day, month=month,
                        remind_days=remind_days, participants=participants)
    schedule.full_clean()
    schedule.save()
    return schedule
