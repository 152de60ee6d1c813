"""The cutover board's rules: dependencies before done, go only on every item signed yes, every
change on the timeline at the clock's time, the migration's length predicted from rehearsals."""
from datetime import UTC, datetime, timedelta

import pytest

from lifeline.core.errors import Refused
from lifeline.cutover import services
from lifeline.cutover.models import Cutover, Task
from lifeline.cutover.prediction import predict
from tests.cutover.board import go_live

pytestmark = pytest.mark.django_db


def test_a_task_is_done_only_after_its_dependencies(clock):
    cutover = go_live()
    migrate, compare = cutover.tasks.order_by("deadline")
    with pytest.raises(Refused, match="老系统基础数据迁移") as refused:
        services.set_task_status(compare, Task.Status.DONE)
    assert refused.value.status == 409
    assert Task.objects.get(pk=compare.pk).status == Task.Status.TODO
    services.set_task_status(migrate, Task.Status.DONE)
    clock.advance(minutes=30)
    done = services.set_task_status(compare, Task.Status.DONE)
    assert done.done_at == clock.now()
    with pytest.raises(Refused) as refused:  # 数据比对, which depends on it, is done
        services.set_task_status(migrate, Task.Status.DOING)
    assert (refused.value.field, refused.value.status) == ("status", 409)
    assert cutover.events.last().text == "数据比对：已完成"
    assert cutover.events.last().at == clock.now()


def test_a_task_depends_only_on_its_own_cutovers_tasks():
    cutover = go_live()
    other = Cutover.objects.create(name="另一次上线", planned_at=cutover.planned_at, old_system="a", new_system="b")
    with pytest.raises(Refused, match="depends_on"):
        services.add_task(other, title="x", unit="u", owner="o", deadline=cutover.planned_at,
                          depends_on=list(cutover.tasks.all()))
    assert not other.tasks.exists()


def test_go_needs_every_item_signed_yes(clock, make_user):
    cutover = go_live()
    boss = make_user("boss")
    with pytest.raises(Refused, match="status"):
        services.move(cutover, Cutover.Status.CUTTING_OVER, boss)
    ready = services.add_check(cutover, "数据比对差异在容差内")
    links = services.add_check(cutover, "专线联调通过")
    services.sign_check(ready, True, boss)
    services.sign_check(links, False, boss, "B 中心未通")
    with pytest.raises(Refused, match="专线联调通过"):
        services.move(cutover, Cutover.Status.CUTTING_OVER, boss)
    services.sign_check(links, True, boss)
    assert services.move(cutover, Cutover.Status.CUTTING_OVER, boss).status == Cutover.Status.CUTTING_OVER
    assert services.move(cutover, Cutover.Status.FALLEN_BACK, boss).status == Cutover.Status.FALLEN_BACK
    with pytest.raises(Refused):
        services.move(cutover, Cutover.Status.LIVE, boss)
    assert cutover.events.last().text == "切换状态：已回退到老系统"


def test_rehearsals_predict_the_real_migration():
    cutover = go_live()
    start = datetime(2022, 8, 10, 20, tzinfo=UTC)
    services.add_rehearsal(cutover, started_at=start, ended_at=start + timedelta(hours=2),
                           table_rows={"挂网目录": 100_000, "配送关系": 20_000}, problems="配送企业账号重复 12 个")
    services.add_rehearsal(cutover, started_at=start + timedelta(days=3), ended_at=start + timedelta(days=3, hours=3),
                           table_rows={"挂网目录": 150_000, "配送关系": 30_000})
    prediction = predict(cutover.rehearsals.all())
    # Rates: 7200 s / 120,000 rows = 0.06 s/row; 10800 s / 180,000 = 0.06 s/row; the latest moved 180,000.
    assert (prediction.rehearsals, prediction.rows) == (2, 180_000)
    assert prediction.expected == prediction.cautious == timedelta(hours=3)
    assert predict(cutover.rehearsals.all(), rows=360_000).expected == timedelta(hours=6)
    assert predict([]) is None


def test_a_rehearsal_ending_before_it_starts_is_refused():
    cutover = go_live()
    start = datetime(2022, 8, 10, 20, tzinfo=UTC)
    with pytest.raises(Refused) as refused:
        services.add_rehearsal(cutover, started_at=start, ended_at=start, table_rows={"a": 1})
    assert refused.value.field == "ended_at"
    with pytest.raises(Refused) as refused:
        services.add_rehearsal(cutover, started_at=start, ended_at=start + timedelta(hours=1), table_rows={"a": -1})
    assert refused.value.field == "table_rows"
    assert not cutover.rehearsals.exists()
