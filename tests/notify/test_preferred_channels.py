"""A message carrying a plan level's channels (OutboxMessage.channels) tries the member's
channels that serve them first, in the plan's order; the member's others follow as fallback."""
import pytest

from lifeline.incidents import lifecycle
from lifeline.incidents.models import OutboxMessage
from lifeline.notify.delivery import targets_of
from lifeline.people.models import ContactChannel, Member

pytestmark = pytest.mark.django_db


@pytest.fixture
def wang(db):
    member = Member.objects.create(name="王工", phone="13900002222")
    for order, (kind, url) in enumerate([("email", "mailto://wang:pw@smtp.hospital.cn?to=wang@hospital.cn"),
                                         ("企业微信群", "wecombot://group-key"),
                                         ("sms", "json://sms-gw.hospital.local/send?:mobile=13900002222")]):
        ContactChannel.objects.create(member=member, kind=kind, url=url, order=order)
    return member


def tried(member, preferred):
    message = OutboxMessage(member=member, channels=preferred)
    targets, reason = targets_of(message)
    assert reason == ""
    return [t.url.split("://")[0] for t in targets]


def test_preferred_channels_first_in_the_plans_order_then_the_members_own_order(wang):
    assert tried(wang, []) == ["mailto", "wecombot", "json"]  # no preference: the member's order
    # 值班群 is served by the group bot (by its URL: the label is the hospital's own); 电话 by SMS
    assert tried(wang, ["chat_group", "phone"]) == ["wecombot", "json", "mailto"]
    assert tried(wang, ["sms", "email"]) == ["json", "mailto", "wecombot"]
    # channels that reach no one person change nothing
    assert tried(wang, ["broadcast", "screen", "official_account"]) == ["mailto", "wecombot", "json"]


def test_the_sms_gateway_stands_in_for_sms_when_the_member_has_no_sms_channel(wang, settings):
    ContactChannel.objects.filter(member=wang, kind="sms").delete()
    settings.LIFELINE_NOTIFY_SMS_URL = "form://sms-gw.hospital.local/send?:to={to}"
    message = OutboxMessage(member=wang, channels=["sms"])
    targets, _reason = targets_of(message)
    assert [(t.key, t.url) for t in targets][0] == ("sms", "form://sms-gw.hospital.local/send?:to=13900002222")
    assert [t.kind for t in targets[1:]] == ["email", "企业微信群"]


def test_a_levels_message_goes_by_its_channel_and_falls_back_to_the_others(
        load_seed, on_duty, vendor, smtp, channel, dispatcher, clock):
    """Seed 001's 二级 tells the head of IT by 公众号 and 值班群: his WeCom group bot, before his email."""
    on_duty("tech_lead", "王组长")
    director = on_duty("it_director", "张主任")
    channel(director, "email", smtp.mailto("zhang@example.org"), order=0)
    channel(director, "wecom", "wecombot://director-key", order=1)
    lifecycle.open_incident(plan_id=load_seed("001"), title="挂号系统故障", users_pct=30)
    dispatcher(clock)
    [received] = vendor.received
    assert received.text.splitlines()[0] == "事件已创建，级别：二级"
    assert smtp.mails == []

    vendor.refuse("director-key")
    lifecycle.open_incident(plan_id=load_seed("001"), title="预约系统故障", users_pct=25)
    for wait_s in (0, 10, 30, 0):  # three tries on the bot, then email takes over at once
        clock.advance(seconds=wait_s)
        dispatcher(clock)
    assert [mail["Subject"] for mail in smtp.mails] == ["事件已创建，级别：二级"]
