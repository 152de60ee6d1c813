"""Delivering the outbox through Apprise to fake vendors and a real SMTP server: results kept,
vendors' refusals, retries with backoff, fallback to the next channel, dead channels."""
import base64
import hashlib
import hmac
import time
from concurrent.futures import wait
from datetime import timedelta

import pytest

from lifeline.audit.models import AuditEntry
from lifeline.incidents import escalation, intake, lifecycle
from lifeline.incidents.models import OutboxMessage, TimelineEntry, Timer
from lifeline.notify import channels, messages
from lifeline.notify.delivery import LEASE, Dispatcher
from lifeline.notify.models import Delivery, DeliveryAttempt
from tests.notify.fakes import free_port

pytestmark = pytest.mark.django_db


def attempts(member=None):
    found = DeliveryAttempt.objects.order_by("pk")
    if member is not None:
        found = found.filter(recipient=member.name)
    return [(a.kind, a.number, a.ok) for a in found]


def page_to(member):
    return OutboxMessage.objects.get(member=member, role="it_director")


def test_a_page_reaches_the_wecom_bot_and_is_recorded(incident_003, vendor, channel, dispatcher, clock):
    incident, director = incident_003()
    channel(director, "wecom", "wecombot://director-key")
    assert dispatcher(clock) == 1

    [received] = vendor.received
    assert received.path == "/cgi-bin/webhook/send" and received.query["key"] == ["director-key"]
    assert received.body["msgtype"] == "text"
    lines = received.text.splitlines()
    assert lines[0] == "有事件待确认"
    assert lines[1] == f"事件：#{incident.pk} 挂号系统无法登录"
    assert lines[2] == "级别：三级故障 · 状态：已上报 · 已持续 0 分钟"
    assert "故障场景：数据库服务器集群单台故障" in lines
    assert "1. 逻辑备份全部数据库 · 数据库管理员" in lines
    assert lines[-1].startswith("确认收到（链接 24 小时内有效）：https://lifeline.hospital.example/notify/ack/")

    message = page_to(director)
    assert message.status == "sent" and message.delivery.status == "sent"
    [attempt] = DeliveryAttempt.objects.all()
    assert (attempt.kind, attempt.recipient, attempt.number, attempt.ok, attempt.error) == (
        "wecom", "王建国", 1, True, "")
    assert attempt.at == clock.now() and attempt.incident == incident
    assert attempt.channel.url == "wecombot://director-key"
    assert dispatcher(clock) == 0 and len(vendor.received) == 1  # sent once
    # Machine records stay out of the audit log; the outbox's status change (an incident's) is in it.
    assert not AuditEntry.objects.filter(object_type__startswith="notify.").exists()


def test_errcode_is_a_failure_retried_with_backoff_then_email_takes_over(incident_003, vendor, smtp, channel,
                                                                         dispatcher, clock):
    incident, director = incident_003()
    channel(director, "wecom", "wecombot://revoked-key", order=0)
    channel(director, "email", smtp.mailto("wang@hospital.example"), order=1)
    vendor.refuse("revoked-key")
    t0 = clock.now()

    dispatcher(clock)
    first = DeliveryAttempt.objects.get()
    assert not first.ok and "errcode=93000" in first.error and "invalid webhook url" in first.error
    delivery = page_to(director).delivery
    assert delivery.status == "pending" and delivery.next_at == t0 + timedelta(seconds=10)

    for wait_s, expected in ((9, 1), (1, 2), (29, 2), (1, 3)):
        clock.advance(seconds=wait_s)
        dispatcher(clock)
        assert len(vendor.texts("/cgi-bin/webhook/send")) == expected, f"after {wait_s} s more"
    assert smtp.mails == []  # the third failure hands over to the next channel, at once
    dispatcher(clock)

    [mail] = smtp.mails
    assert mail["To"] == "wang@hospital.example" and mail["Subject"] == "有事件待确认"
    assert f"事件：#{incident.pk} 挂号系统无法登录" in smtp.bodies()[0]
    assert attempts() == [("wecom", 1, False), ("wecom", 2, False), ("wecom", 3, False), ("email", 1, True)]
    assert page_to(director).status == "sent"


def test_all_channels_dead_fails_the_message_not_the_incident_nor_the_others(incident_003, on_duty, vendor,
                                                                              channel, dispatcher, clock):
    incident, director = incident_003()
    channel(director, "wecom", "wecombot://revoked-key", order=0)
    channel(director, "webhook", f"json://127.0.0.1:{free_port()}/nobody-listens", order=1)
    vendor.refuse("revoked-key")
    dba = on_duty("dba", "李敏")
    channel(dba, "dingtalk", "dingtalk://dbatoken")
    escalation.notify(incident, ["dba"], "请立即逻辑备份全部数据库", "test")

    for _round in range(8):
        dispatcher(clock)
        clock.advance(seconds=60)

    message = page_to(director)
    assert message.status == "failed" and message.delivery.status == "failed"
    assert attempts(director) == [("wecom", 1, False), ("wecom", 2, False), ("wecom", 3, False),
                                  ("webhook", 1, False), ("webhook", 2, False), ("webhook", 3, False)]
    assert "Connection error" in DeliveryAttempt.objects.filter(kind="webhook").first().error
    entry = incident.timeline.get(kind=TimelineEntry.Kind.PAGE, data__undelivered=True)
    assert entry.text.startswith("发给 王建国 的通知未送达：")
    # The incident runs on: still reported, its escalation still set; the DBA got the word.
    incident.refresh_from_db()
    assert incident.status == "reported"
    assert incident.timers.filter(kind=Timer.Kind.ACK_ESCALATION, status="pending").exists()
    assert attempts(dba) == [("dingtalk", 1, True)]
    assert vendor.texts("/robot/send")[0].startswith("请立即逻辑备份全部数据库\n")
    assert OutboxMessage.objects.get(member=dba).status == "sent"


def test_a_slow_channel_holds_neither_the_job_nor_the_other_messages(incident_003, on_duty, vendor, channel,
                                                                      settings, clock):
    settings.LIFELINE_NOTIFY_TIMEOUT = 1
    incident, director = incident_003()
    channel(director, "wecom", "wecombot://slow-key")
    vendor.slow("slow-key", 3)
    dba = on_duty("dba", "李敏")
    channel(dba, "wecom", "wecombot://dba-key")
    escalation.notify(incident, ["dba"], "请立即逻辑备份全部数据库", "test")
    dispatcher = Dispatcher()

    started = time.monotonic()
    assert dispatcher.run(clock.now()) == 2
    assert time.monotonic() - started < 0.9  # the job returned before the slow channel's timeout
    dispatcher.collect(wait_for_answers=True)

    assert attempts(dba) == [("wecom", 1, True)]
    [slow] = DeliveryAttempt.objects.filter(recipient="王建国")
    assert not slow.ok and "timed out" in slow.error.lower() and slow.duration_ms < 2500
    dispatcher.pool.shutdown()


def test_a_worker_dying_mid_send_means_at_least_once_never_lost(incident_003, vendor, channel, clock):
    incident, director = incident_003()
    channel(director, "wecom", "wecombot://director-key")
    dying = Dispatcher()
    assert dying.run(clock.now()) == 1
    wait(dying.in_flight)  # it sent, then died before recording the answer
    other = Dispatcher()

    assert other.run(clock.now(), wait_for_answers=True) == 0  # held by the lease: not sent twice
    clock.advance(seconds=LEASE.total_seconds() - 1)
    assert other.run(clock.now(), wait_for_answers=True) == 0
    clock.advance(seconds=1)
    assert other.run(clock.now(), wait_for_answers=True) == 1

    assert len(vendor.received) == 2
    assert page_to(director).status == "sent" and attempts() == [("wecom", 1, True)]
    for dispatcher in (dying, other):
        dispatcher.pool.shutdown()


def test_contacts_without_a_member_by_email_or_sms_else_undeliverable(load_seed, on_duty, vendor, smtp, settings,
                                                                       dispatcher, clock):
    settings.LIFELINE_NOTIFY_EMAIL_URL = smtp.mailto("{to}")
    settings.LIFELINE_NOTIFY_SMS_URL = (f"json://{vendor.hostport}/sms/send?:phone={{to}}&:message=content"
                                        "&:title=&:version=&:type=&:attachments=")
    director = on_duty("it_director", "王建国")
    reports = [intake.submit_report(department="门诊收费", description="收费系统无法登录", contact=contact)
               for contact in ("zhang@hospital.example", "138 0013 8000", "分机8021")]
    incident = lifecycle.open_incident(plan_id=load_seed("003"), title="收费系统无法登录",
                                       reports=[r.number for r in reports])
    lifecycle.transition(incident, "acknowledged")
    dispatcher(clock)

    sms = {r.body["phone"]: r.body for r in vendor.received if r.path == "/sms/send"}
    # The reporter's mobile; and the IT director, who has no channel, by the mobile on record.
    assert set(sms) == {"13800138000", director.phone}
    assert set(sms["13800138000"]) == {"phone", "content"}
    assert sms["13800138000"]["content"].startswith(f"您的故障报告 {reports[1].number}：事件当前状态为已确认\n")
    [mail] = smtp.mails
    assert mail["To"] == "zhang@hospital.example"
    assert mail["Subject"] == f"您的故障报告 {reports[0].number}：事件当前状态为已确认"
    undeliverable = OutboxMessage.objects.get(contact="分机8021")
    assert undeliverable.status == "failed" and undeliverable.delivery.status == "undeliverable"
    assert undeliverable.delivery.reason == "联系方式 分机8021 既不是邮箱地址也不是电话号码"
    assert not undeliverable.delivery.attempts.exists()


def test_a_member_without_channels_is_reached_by_sms_if_a_gateway_is_set(incident_003, vendor, settings,
                                                                          dispatcher, clock):
    incident, director = incident_003(phone="13900001111")
    dispatcher(clock)
    assert page_to(director).delivery.status == "undeliverable"
    assert page_to(director).delivery.reason == "王建国 没有登记联系方式，且未配置短信网关（LIFELINE_NOTIFY_SMS_URL）"

    OutboxMessage.objects.filter(member=director).update(status="pending")
    Delivery.objects.all().delete()
    settings.LIFELINE_NOTIFY_SMS_URL = f"form://{vendor.hostport}/sms?:to={{to}}"
    dispatcher(clock)
    assert attempts(director) == [("sms", 1, True)]


def test_drill_messages_start_with_the_drill_mark_exactly_once(incident_003, vendor, smtp, channel, dispatcher,
                                                                clock):
    incident, director = incident_003(is_drill=True)
    channel(director, "wecom", "wecombot://director-key")
    channel(director, "email", smtp.mailto("wang@hospital.example"), order=1)
    vendor.refuse("director-key")
    for _round in range(4):
        dispatcher(clock)
        clock.advance(seconds=60)

    for text in vendor.texts():
        assert text.startswith("【演练】有事件待确认\n") and text.count("【演练】") == 1
    [mail] = smtp.mails
    assert mail["Subject"] == "【演练】有事件待确认"
    assert smtp.bodies()[0].startswith("【演练】有事件待确认") and smtp.bodies()[0].count("【演练】") == 1


def test_english_plan_english_message(load_seed, on_duty, vendor, channel, dispatcher, clock):
    director = on_duty("it_director", "Wang Jianguo")
    channel(director, "wecom", "wecombot://director-key")
    incident = lifecycle.open_incident(plan_id=load_seed("004"), title="Whole-hospital HIS down", scope="whole",
                                       scenario_id="overall_fault")
    clock.advance(minutes=75)
    dispatcher(clock)

    lines = vendor.received[0].text.splitlines()
    assert lines[0] == "Incident needs acknowledging"
    assert lines[1] == f"Incident: #{incident.pk} Whole-hospital HIS down"
    assert lines[2].startswith(f"Level: {incident.level.name} · Status: reported · open for 1 h 15 min")
    assert "Next steps:" in lines
    assert lines[-1].startswith("Acknowledge (link valid for 24 h): https://lifeline.hospital.example/notify/ack/")


def test_dingtalk_feishu_and_wecom_app_through_their_apis(incident_003, vendor, channel, dispatcher, clock):
    incident, director = incident_003()
    channel(director, "dingtalk", "dingtalk://refusedtoken", order=0)
    channel(director, "feishu", "feishu://feishu-token", order=1)
    channel(director, "wecom-app", "wechat://corp1:app-secret@1000002/@wangjg", order=2)
    vendor.refuse("refusedtoken")
    vendor.refuse("feishu-token")
    for _round in range(8):
        dispatcher(clock)
        clock.advance(seconds=60)

    assert attempts(director) == [("dingtalk", 1, False), ("dingtalk", 2, False), ("dingtalk", 3, False),
                                  ("feishu", 1, False), ("feishu", 2, False), ("feishu", 3, False),
                                  ("wecom-app", 1, True)]
    errors = [a.error for a in DeliveryAttempt.objects.filter(ok=False).order_by("pk")]
    assert "errcode=310000" in errors[0] and "code=19024" in errors[3]
    [app] = [r for r in vendor.received if r.path == "/cgi-bin/message/send"]
    assert app.query["access_token"] == ["fake-token"] and app.body["touser"] == "wangjg"
    assert app.body["agentid"] == 1000002 and app.body["text"]["content"].startswith("有事件待确认")


def test_keys_in_channel_urls_do_not_reach_the_error_text(incident_003, settings, channel, dispatcher, clock):
    settings.LIFELINE_WECOM_API_BASE = f"http://127.0.0.1:{free_port()}"
    incident, director = incident_003()
    key = "d1c2b3a4-0000-4e5f-9a8b-7c6d5e4f3a2b"
    channel(director, "wecom", f"wecombot://{key}")
    dispatcher(clock)

    [attempt] = DeliveryAttempt.objects.all()
    assert not attempt.ok and "Connection refused" in attempt.error
    assert key not in attempt.error and "key=***" in attempt.error


def test_dingtalk_signed_robot_gets_a_valid_signature(vendor):
    outcome = channels.send("dingtalk://robotsecret@signedtoken/13800138000", "【演练】测试", "")
    assert outcome.ok, outcome.error
    [received] = vendor.received
    timestamp, sign = received.query["timestamp"][0], received.query["sign"][0]  # decoded once by the server
    expected = hmac.new(b"robotsecret", f"{timestamp}\nrobotsecret".encode(), hashlib.sha256).digest()
    assert sign == base64.b64encode(expected).decode()
    assert received.query["access_token"] == ["signedtoken"]
    assert received.body["at"] == {"atMobiles": ["13800138000"], "isAtAll": False}


def test_a_message_that_cannot_be_written_fails_alone(incident_003, on_duty, vendor, channel, dispatcher, clock,
                                                      monkeypatch):
    incident, director = incident_003()
    channel(director, "wecom", "wecombot://director-key")
    dba = on_duty("dba", "李敏")
    channel(dba, "wecom", "wecombot://dba-key")
    escalation.notify(incident, ["dba"], "请立即逻辑备份全部数据库", "test")
    real_compose = messages.compose

    def compose(message):
        if message.member == director:
            raise ValueError("template broken")
        return real_compose(message)

    monkeypatch.setattr(messages, "compose", compose)
    dispatcher(clock)
    assert page_to(director).delivery.status == "failed"
    assert "template broken" in page_to(director).delivery.reason
    assert attempts(dba) == [("wecom", 1, True)]


def test_a_wecom_app_refusal_is_a_failure_and_the_next_channel_takes_over(incident_003, vendor, channel,
                                                                           dispatcher, clock):
    incident, director = incident_003()
    channel(director, "wecom-app", "wechat://corp1:app-secret@1000002/@wangjg", order=0)
    channel(director, "dingtalk", "dingtalk://goodtoken", order=1)
    vendor.refuse("fake-token")  # the app's access token: WeCom answers HTTP 200 with errcode 93000
    for _round in range(6):
        dispatcher(clock)
        clock.advance(seconds=60)

    assert attempts(director) == [("wecom-app", 1, False), ("wecom-app", 2, False), ("wecom-app", 3, False),
                                  ("dingtalk", 1, True)]
    assert all("errcode=93000" in a.error for a in DeliveryAttempt.objects.filter(ok=False))
