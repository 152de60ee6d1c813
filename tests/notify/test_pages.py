"""The delivery log, the channel test, the incident page's notifications and the admin, with who
may do what."""
import pytest
from django.urls import reverse

from lifeline.accounts.roles import Role
from lifeline.incidents import escalation
from lifeline.notify.models import DeliveryAttempt

pytestmark = pytest.mark.django_db
LOG = "/notify/"


@pytest.fixture
def delivered(incident_003, on_duty, vendor, channel, dispatcher, clock):
    """One page sent on WeCom, one failed on every channel (a refused DingTalk robot)."""
    incident, director = incident_003()
    channel(director, "wecom", "wecombot://director-key")
    dispatcher(clock)
    dba = on_duty("dba", "李敏")
    channel(dba, "dingtalk", "dingtalk://refusedtoken")
    vendor.refuse("refusedtoken")
    escalation.notify(incident, ["dba"], "请立即逻辑备份全部数据库", "test")
    for _round in range(4):
        dispatcher(clock)
        clock.advance(seconds=60)
    return incident, director, dba


def as_role(client, make_user, role, name=None):
    user = make_user(name or f"user-{role.name.lower()}", role)
    client.force_login(user)
    return user


@pytest.mark.parametrize("role", [Role.COMMANDER, Role.DUTY, Role.AUDITOR])
def test_readers_see_the_log(client, make_user, delivered, role):
    incident, director, dba = delivered
    as_role(client, make_user, role)
    page = client.get(LOG)
    assert page.status_code == 200
    text = page.content.decode()
    assert "通知投递记录" in text and "王建国" in text and "李敏" in text
    assert "所有通道均失败" in text and "errcode=310000" in text
    assert ('action="/notify/check/"' in text) == (role != Role.AUDITOR)


def test_department_staff_and_strangers_are_kept_out(client, make_user, delivered):
    assert client.get(LOG).status_code == 302  # to the login page
    as_role(client, make_user, Role.DEPARTMENT)
    assert client.get(LOG).status_code == 403
    assert client.post(reverse("notify:check"), {"channel": 1}).status_code == 403


def test_filters_by_status_channel_and_incident(client, make_user, delivered):
    incident, director, dba = delivered
    as_role(client, make_user, Role.DUTY)

    def rows(query):
        return [d.message.member.name for d in client.get(LOG, query).context["page"]]

    assert rows({"status": "failed"}) == ["李敏"]
    assert rows({"status": "sent"}) == ["王建国"]
    assert rows({"kind": "dingtalk"}) == ["李敏"]
    assert sorted(rows({"incident": incident.pk})) == ["李敏", "王建国"]
    assert rows({"incident": incident.pk + 1}) == []
    bad = client.get(LOG, {"incident": "abc"}).content.decode()
    field = next(b for b in bad.split('<div class="field') if 'name="incident"' in b)
    assert "field-error" in field and "输入整数。" in field  # beside the field it is about


@pytest.mark.parametrize("role, allowed", [(Role.DUTY, True), (Role.COMMANDER, True), (Role.AUDITOR, False)])
def test_send_a_test_message_to_a_channel(client, make_user, incident_003, vendor, channel, role, allowed):
    incident, director = incident_003()
    wecom = channel(director, "wecom", "wecombot://director-key")
    as_role(client, make_user, role)
    answer = client.post(reverse("notify:check"), {"channel": wecom.pk}, follow=True)
    if not allowed:
        assert answer.status_code == 403 and vendor.received == []
        return
    assert "测试消息已发送到 王建国 · 企业微信。" in answer.content.decode()
    assert vendor.texts()[0].startswith("Lifeline 测试消息\n收到此消息说明该通道可用")
    [attempt] = DeliveryAttempt.objects.all()
    assert attempt.is_test and attempt.ok and attempt.channel == wecom


def test_a_failing_test_message_says_why(client, make_user, incident_003, vendor, channel):
    incident, director = incident_003()
    wecom = channel(director, "wecom", "wecombot://revoked-key")
    vendor.refuse("revoked-key")
    as_role(client, make_user, Role.DUTY)
    text = client.post(reverse("notify:check"), {"channel": wecom.pk}, follow=True).content.decode()
    said, listed = text.split('id="checks"', 1)
    assert "发送到 王建国 · 企业微信 的测试消息失败：渠道返回了错误" in said and "errcode" not in said
    assert "WeCom Bot refused the message: errcode=93000" in listed  # the raw error, behind its details
    refused = client.post(reverse("notify:check"), {"channel": "x"}).content.decode()
    field = next(b for b in refused.split('<div class="field') if 'name="channel"' in b)
    assert "field-error" in field and "请从列出的通道中选择一个" in field


def test_the_incident_page_lists_its_notifications(client, make_user, delivered):
    incident, director, dba = delivered
    as_role(client, make_user, Role.COMMANDER)
    text = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    section = text[text.index('id="deliveries"'):]
    assert "王建国" in section and "企业微信 ✓" in section and "钉钉 ✗" in section
    assert f"/notify/?incident={incident.pk}" in section


def test_admin_shows_deliveries_read_only(client, make_user, delivered):
    as_role(client, make_user, Role.COMMANDER)
    assert client.get(reverse("admin:notify_delivery_changelist")).status_code == 200
    attempts = client.get(reverse("admin:notify_deliveryattempt_changelist"))
    assert attempts.status_code == 200 and "errcode=310000" in attempts.content.decode()
    assert client.get(reverse("admin:notify_delivery_add")).status_code == 403
    attempt = DeliveryAttempt.objects.first()
    change = client.post(reverse("admin:notify_deliveryattempt_change", args=[attempt.pk]), {"ok": "on"})
    assert change.status_code == 403
