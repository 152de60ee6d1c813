"""Inspection rounds: which round is due, completing one, and alarming the overdue ones.

Invariants: one round per checklist and period (a unique constraint; `current_rounds` may run in
every request and every worker at once); a round is completed once, all at once (every item
answered, automatic items read at that moment) or refused with nothing written; an overdue round
raises one alarm (`alarmed`) which its completion resolves.
"""
import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from lifeline.core import alarms, clock
from lifeline.core.errors import Problem, Refused
from lifeline.inspections import providers
from lifeline.inspections.models import CheckItem, Checklist, Frequency, Result, Round

ALARM_SOURCE = "inspections:overdue"
# At most this many rounds alarmed per worker run, so the worker's other jobs get their turn.
LIMIT = 200


def period(frequency: str, day: date) -> tuple[date, date]:
    """The first and last day of the period of `frequency` that holds `day` (weeks start on Monday)."""
    if frequency == Frequency.DAILY:
        return day, day
    if frequency == Frequency.WEEKLY:
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    first_month = day.month if frequency == Frequency.MONTHLY else (day.month - 1) // 3 * 3 + 1
    last_month = first_month if frequency == Frequency.MONTHLY else first_month + 2
    return (date(day.year, first_month, 1),
            date(day.year, last_month, calendar.monthrange(day.year, last_month)[1]))


def quarter(day: date) -> tuple[date, date]:
    return period(Frequency.QUARTERLY, day)


def current_rounds(now=None) -> list[Round]:
    """The round of the current period of every active checklist, opened if need be."""
    now = now or clock.now()
    today = timezone.localdate(now)
    found = []
    for checklist in Checklist.objects.filter(active=True):
        start, end = period(checklist.frequency, today)
        due = timezone.make_aware(datetime.combine(end, checklist.due_time))
        found.append(Round.objects.get_or_create(checklist=checklist, period_start=start,
                                                 defaults={"period_end": end, "due_at": due})[0])
    return found


def todays_rounds(now=None) -> list[Round]:
    """What the person on duty has to do: earlier rounds left undone (overdue) first, then the
    current ones, soonest due first."""
    now = now or clock.now()
    current = {r.pk for r in current_rounds(now)}
    rounds = (Round.objects.filter(pk__in=current) | Round.objects.filter(completed_at__isnull=True,
                                                                          checklist__active=True))
    rounds = rounds.select_related("checklist", "completed_by").distinct()
    return sorted(rounds, key=lambda r: (not r.is_overdue(now), r.completed_at is not None, r.due_at))


@dataclass(frozen=True)
class Answer:
    """A manual item's answer as the person gave it (None: not given)."""

    passed: bool | None = None
    value: float | None = None
    note: str = ""


def field(item: CheckItem, part: str = "passed") -> str:
    """The form and API field of an item's answer: item-12-passed, item-12-value, item-12-note."""
    return f"item-{item.pk}-{part}"


def automatic_readings(checklist: Checklist) -> dict[int, providers.Reading]:
    return {item.pk: providers.read(item.provider, item.source)
            for item in checklist.items.all() if item.kind == CheckItem.Kind.AUTOMATIC}


def complete(round_: Round, user, answers: dict[int, Answer], note: str = "") -> Round:
    """Record the round: automatic items as read now, manual ones as answered. Refused, naming
    each field at fault, unless every manual item is answered consistently; 409 when done already."""
    with transaction.atomic():
        round_ = Round.objects.select_for_update().select_related("checklist").get(pk=round_.pk)
        if round_.completed_at is not None:
            raise Refused("round", _("this inspection was completed on %(at)s")
                          % {"at": date_format(timezone.localtime(round_.completed_at), "Y-m-d H:i")}, status=409)
        items = list(round_.checklist.items.all())
        if not items:
            raise Refused("round", _("this checklist has no items yet"))
        problems = [p for item in items if item.kind == CheckItem.Kind.MANUAL
                    for p in _check(item, answers.get(item.pk) or Answer())]
        if problems:
            raise Refused.of(problems)
        readings = automatic_readings(round_.checklist)
        for item in items:
            Result.objects.create(round=round_, item=item, **_result(item, answers.get(item.pk), readings))
        round_.completed_at, round_.completed_by, round_.note = clock.now(), user, note.strip()
        round_.save(update_fields=["completed_at", "completed_by", "note"])
    if round_.alarmed:
        alarms.raise_alarm(source=ALARM_SOURCE, fingerprint=f"round-{round_.pk}", firing=False,
                           summary=_("Inspection done: %(round)s") % {"round": round_})
    return round_


def _check(item: CheckItem, answer: Answer) -> list[Problem]:
    found = []
    if answer.passed is None:
        found.append(Problem(field(item), _("choose pass or fail")))
    if item.measured and answer.value is None:
        found.append(Problem(field(item, "value"), _("write the value in %(unit)s") % {"unit": item.unit}))
    elif item.measured and answer.passed and not _within(item, answer.value):
        found.append(Problem(field(item, "value"), _("%(value)g %(unit)s is outside %(bounds)s: mark it failed")
                             % {"value": answer.value, "unit": item.unit, "bounds": bounds(item)}))
    if answer.passed is False and not answer.note.strip():
        found.append(Problem(field(item, "note"), _("say what is wrong")))
    return found


def _within(item: CheckItem, value: float) -> bool:
    return (item.low is None or value >= item.low) and (item.high is None or value <= item.high)


def bounds(item: CheckItem) -> str:
    """The passing range in words: 18–27 °C, ≥ 20 %, ≤ 30 °C, or "" without bounds."""
    if item.low is not None and item.high is not None:
        return f"{item.low:g}–{item.high:g} {item.unit}"
    if item.low is not None:
        return f"≥ {item.low:g} {item.unit}"
    return f"≤ {item.high:g} {item.unit}" if item.high is not None else ""


def _result(item: CheckItem, answer: Answer | None, readings: dict) -> dict:
    if item.kind == CheckItem.Kind.AUTOMATIC:
        reading = readings[item.pk]
        return {"passed": reading.passed, "reading": reading.text[:200], "note": ""}
    return {"passed": answer.passed, "value": answer.value if item.measured else None, "note": answer.note.strip()}


def alarm_overdue(now=None, limit: int = LIMIT) -> int:
    """Raise one alarm for each round past its due time and not completed; returns how many."""
    now = now or clock.now()
    done = 0
    while done < limit:
        with transaction.atomic():
            round_ = (Round.objects.select_for_update(skip_locked=True).select_related("checklist")
                      .filter(completed_at__isnull=True, alarmed=False, due_at__lt=now).order_by("due_at").first())
            if round_ is None:
                break
            due = date_format(timezone.localtime(round_.due_at), "Y-m-d H:i")
            alarms.raise_alarm(source=ALARM_SOURCE, fingerprint=f"round-{round_.pk}", firing=True,
                               summary=_("Inspection overdue: %(round)s, due %(due)s") % {"round": round_, "due": due},
                               labels={"checklist": round_.checklist.name})
            round_.alarmed = True
            round_.save(update_fields=["alarmed"])
        done += 1
    return done
