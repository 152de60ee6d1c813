"""The inspection pages through Django's test client: IT on duty completes a round and makes
checklists; bad input is refused under its field with nothing written (400, never a 500);
commanders and auditors read without forms; department staff get 403."""
import pytest

from lifeline.accounts.roles import Role
from lifeline.inspections import services
from lifeline.inspections.models import CheckItem, Checklist, Result, Round

pytestmark = pytest.mark.django_db


def manual(daily):
    return {item.title: item for item in daily.items.filter(kind=CheckItem.Kind.MANUAL)}


def answers(daily, **values) -> dict:
    items = manual(daily)
    body = {f"item-{item.pk}-passed": "pass" for item in items.values()}
    body[f"item-{items['机房温度'].pk}-value"] = "22"
    return body | values


def test_today_lists_the_round_and_it_completes_it(morning, daily, it_client, it):
    page = it_client.get("/inspections/").content.decode()
    round_ = Round.objects.get()
    assert f'href="/inspections/rounds/{round_.pk}/"' in page and "机房日常巡检" in page
    form = it_client.get(f"/inspections/rounds/{round_.pk}/").content.decode()
    assert form.count('type="radio"') == 6 and "合格范围 18–27 °C" in form
    response = it_client.post(f"/inspections/rounds/{round_.pk}/", answers(daily))
    assert response.status_code == 302 and response["Location"] == "/inspections/"
    round_.refresh_from_db()
    assert round_.completed_by == it and round_.results.count() == 5
    done = it_client.get(f"/inspections/rounds/{round_.pk}/").content.decode()
    assert "<form method=\"post\" class=\"round-form\"" not in done and "张伟" in done


@pytest.mark.parametrize("change, field_error", [
    ({"value": "abc"}, "数字"),
    ({"value": ""}, "请填写数值（°C）"),
    ({"passed": ""}, "请选择合格或不合格"),
    ({"value": "40"}, "超出合格范围 18–27 °C"),
])
def test_bad_answers_are_refused_under_their_field_and_nothing_is_written(morning, daily, it_client, change,
                                                                          field_error):
    round_ = services.current_rounds()[0]
    temperature = manual(daily)["机房温度"]
    body = answers(daily)
    for part, value in change.items():
        body[f"item-{temperature.pk}-{part}"] = value
    response = it_client.post(f"/inspections/rounds/{round_.pk}/", body)
    assert response.status_code == 400
    page = response.content.decode()
    assert field_error in page and "未完成：请查看下方标出的项目。" in page
    assert not Result.objects.exists() and Round.objects.get().completed_at is None


def test_a_failed_item_needs_a_note(morning, daily, it_client):
    round_ = services.current_rounds()[0]
    fire = manual(daily)["消防设施"]
    response = it_client.post(f"/inspections/rounds/{round_.pk}/", answers(daily, **{f"item-{fire.pk}-passed": "fail"}))
    assert response.status_code == 400 and "请写明存在的问题" in response.content.decode()


def test_a_completed_round_sent_again_says_so_and_keeps_the_first(morning, daily, it_client):
    round_ = services.current_rounds()[0]
    it_client.post(f"/inspections/rounds/{round_.pk}/", answers(daily))
    first = Round.objects.get().completed_at
    response = it_client.post(f"/inspections/rounds/{round_.pk}/", answers(daily), follow=True)
    assert "本次巡检已于" in response.content.decode()
    assert Round.objects.get().completed_at == first and Result.objects.count() == 5


@pytest.mark.parametrize("role", [Role.COMMANDER, Role.AUDITOR])
def test_readers_see_the_round_without_a_form_and_may_not_send_it(morning, daily, client, make_user, role):
    client.force_login(make_user("reader", role))
    round_ = services.current_rounds()[0]
    page = client.get(f"/inspections/rounds/{round_.pk}/").content.decode()
    assert "杀毒软件已更新" in page and 'method="post" class="round-form"' not in page
    assert "尚未完成：由信息中心值班人员填写。" in page
    assert client.post(f"/inspections/rounds/{round_.pk}/", answers(daily)).status_code == 403
    assert client.post("/inspections/checklists/", {"name": "x", "frequency": "daily"}).status_code == 403
    assert not Result.objects.exists() and Checklist.objects.count() == 1


def test_department_staff_see_none_of_it(morning, daily, client, make_user):
    client.force_login(make_user("ward", Role.DEPARTMENT))
    for url in ("/inspections/", "/inspections/report/", "/inspections/parts/", "/inspections/checklists/"):
        assert client.get(url).status_code == 403


def test_an_overdue_round_shows_red(morning, daily, it_client):
    services.current_rounds()
    morning.advance(hours=3)
    page = it_client.get("/inspections/").content.decode()
    assert 'class="overdue"' in page and "已逾期" in page


def test_checklists_and_items_are_made_on_the_page_with_refusals_by_field(morning, it_client, probes):
    response = it_client.post("/inspections/checklists/", {"name": "UPS 季度测试", "frequency": "quarterly",
                                                           "due_time": "16:00"})
    checklist = Checklist.objects.get(name="UPS 季度测试")
    assert response.status_code == 302 and checklist.due_time.hour == 16
    again = it_client.post("/inspections/checklists/", {"name": "UPS 季度测试", "frequency": "daily"})
    assert again.status_code == 400 and "已有同名巡检表" in again.content.decode()
    url = f"/inspections/checklists/{checklist.pk}/"
    bad = it_client.post(url, {"title": "电池电压", "low": "50", "high": "40"})
    assert bad.status_code == 400 and "请填写合格范围的单位" in bad.content.decode()
    assert "不能低于合格下限" in bad.content.decode() and not checklist.items.exists()
    assert it_client.post(url, {"title": "UPS 放电时长", "unit": "分钟", "low": "30"}).status_code == 302
    assert it_client.post(url, {"title": "HIS 状态", "reads": f"probe:{probes[0].pk}"}).status_code == 302
    unknown = it_client.post(url, {"title": "探针", "reads": "probe:99999"})
    assert unknown.status_code == 400
    assert [(i.title, i.kind) for i in checklist.items.all()] == [("UPS 放电时长", "manual"), ("HIS 状态", "automatic")]
    assert "HIS 数据库" in it_client.get(url).content.decode()  # the source in words, not probe:1
