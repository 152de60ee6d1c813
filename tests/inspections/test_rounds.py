"""Rounds: one per checklist and period, completed once with every item answered, overdue ones
alarmed once (injected clock) and resolved by completing them."""
from datetime import date

import pytest

from lifeline.audit.models import AuditEntry
from lifeline.core import alarms
from lifeline.core.errors import Refused
from lifeline.inspections import services
from lifeline.inspections.models import Frequency, Result, Round

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("frequency, day, start, end", [
    (Frequency.DAILY, date(2026, 12, 2), date(2026, 12, 2), date(2026, 12, 2)),
    (Frequency.WEEKLY, date(2026, 12, 2), date(2026, 11, 30), date(2026, 12, 6)),
    (Frequency.MONTHLY, date(2026, 2, 14), date(2026, 2, 1), date(2026, 2, 28)),
    (Frequency.QUARTERLY, date(2026, 11, 5), date(2026, 10, 1), date(2026, 12, 31)),
])
def test_periods(frequency, day, start, end):
    assert services.period(frequency, day) == (start, end)


def test_current_rounds_are_opened_once_per_period(morning, daily):
    first = services.current_rounds()
    assert services.current_rounds() == first and len(first) == 1
    assert first[0].period_start == date(2026, 12, 2)
    assert services.timezone.localtime(first[0].due_at).strftime("%Y-%m-%d %H:%M") == "2026-12-02 10:00"


def answers(daily, **overrides):
    manual = {i.title: i for i in daily.items.filter(kind="manual")}
    given = {"杀毒软件已更新": services.Answer(True), "机房温度": services.Answer(True, 22.5),
             "消防设施": services.Answer(True)} | overrides
    return {manual[title].pk: answer for title, answer in given.items()}


def test_completing_records_automatic_readings_and_manual_answers_with_who_and_when(morning, daily, it):
    round_ = services.current_rounds()[0]
    services.complete(round_, it, answers(daily), "一切正常")
    round_.refresh_from_db()
    assert round_.completed_by == it and round_.completed_at == morning.now()
    results = {r.item.title: r for r in Result.objects.filter(round=round_)}
    assert results["HIS 数据库状态"].passed and not results["PACS 接口状态"].passed
    assert "故障" in results["PACS 接口状态"].reading or "Down" in results["PACS 接口状态"].reading
    assert results["机房温度"].value == 22.5
    entry = AuditEntry.objects.filter(object_type="inspections.round", object_id=str(round_.pk)).last()
    assert entry.actor_label or entry.actor_id is not None
    assert "completed_at" in entry.changes


def test_completing_twice_is_a_conflict(morning, daily, it):
    round_ = services.current_rounds()[0]
    services.complete(round_, it, answers(daily))
    with pytest.raises(Refused) as refused:
        services.complete(round_, it, answers(daily))
    assert refused.value.status == 409 and refused.value.field == "round"


def test_bad_answers_are_refused_naming_each_field_and_nothing_is_written(morning, daily, it):
    round_ = services.current_rounds()[0]
    temperature = daily.items.get(title="机房温度")
    fire = daily.items.get(title="消防设施")
    antivirus = daily.items.get(title="杀毒软件已更新")
    given = answers(daily, 机房温度=services.Answer(True, 31), 消防设施=services.Answer(False))
    del given[antivirus.pk]
    with pytest.raises(Refused) as refused:
        services.complete(round_, it, given)
    fields = {p.field: p.message for p in refused.value.problems}
    assert set(fields) == {f"item-{temperature.pk}-value", f"item-{fire.pk}-note", f"item-{antivirus.pk}-passed"}
    assert "18–27 °C" in fields[f"item-{temperature.pk}-value"]
    round_.refresh_from_db()
    assert round_.completed_at is None and not Result.objects.exists()


def test_an_overdue_round_alarms_once_and_completing_it_resolves_the_alarm(morning, daily, it):
    heard = []

    def receiver(sender, **alarm):
        heard.append((alarm["fingerprint"], alarm["firing"], alarm["summary"]))

    alarms.alarm.connect(receiver)
    try:
        round_ = services.current_rounds()[0]
        assert services.alarm_overdue() == 0
        morning.advance(hours=2, minutes=1)  # 10:01, past the 10:00 due time
        assert services.alarm_overdue() == 1 and services.alarm_overdue() == 0
        assert heard[-1][:2] == (f"round-{round_.pk}", True) and "机房日常巡检" in heard[-1][2]
        assert services.todays_rounds()[0].is_overdue(morning.now())
        services.complete(round_, it, answers(daily))
        assert heard[-1][:2] == (f"round-{round_.pk}", False)
    finally:
        alarms.alarm.disconnect(receiver)


def test_yesterdays_undone_round_stays_on_todays_page_first(morning, daily):
    yesterday = services.current_rounds()[0]
    morning.advance(days=1)
    rounds = services.todays_rounds()
    assert [r.pk for r in rounds][0] == yesterday.pk and len(rounds) == 2


@pytest.mark.django_db(transaction=True)  # the job closes old connections, as in the worker
def test_the_worker_job_opens_the_round_and_its_overdue_alarm_becomes_a_detection_alert(morning, daily, it):
    from lifeline.detection.models import Alert
    from lifeline.inspections import tasks

    tasks.open_and_alarm_rounds(morning.now())
    assert Round.objects.count() == 1 and not Alert.objects.exists()
    morning.advance(hours=2, minutes=30)
    tasks.open_and_alarm_rounds(morning.now())
    alert = Alert.objects.get(source=services.ALARM_SOURCE)
    assert alert.status == Alert.Status.FIRING and "巡检逾期：机房日常巡检" in alert.summary
    services.complete(Round.objects.get(), it, answers(daily))
    alert.refresh_from_db()
    assert alert.status == Alert.Status.RESOLVED
