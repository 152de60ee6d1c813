"""The acknowledgement link in a notification: works without logging in, GET changes nothing,
expires, and refuses a changed link."""
import base64
import json
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from lifeline.incidents import lifecycle
from lifeline.incidents.models import Incident, TimelineEntry, Timer
from lifeline.notify import links

pytestmark = pytest.mark.django_db


@pytest.fixture
def paged(incident_003, vendor, channel, dispatcher, clock):
    """An incident whose IT director got the page on the fake WeCom; the link's path from that page."""
    incident, director = incident_003()
    channel(director, "wecom", "wecombot://director-key")
    dispatcher(clock)
    url = re.search(r"https://\S+", vendor.received[0].text).group(0)
    return incident, director, urlsplit(url).path


def link_entries(incident):
    return incident.timeline.filter(kind=TimelineEntry.Kind.PAGE, data__ack_link=True)


def test_get_shows_and_changes_nothing(paged, client):
    incident, director, path = paged
    entries = incident.timeline.count()
    page = client.get(path)
    assert page.status_code == 200
    text = page.content.decode()
    assert "挂号系统无法登录" in text and "王建国，请点击下方按钮，确认您已收到此事件。" in text
    assert "尚无人确认：您确认后升级通知即停止。" in text and 'id="acknowledge"' in text
    incident.refresh_from_db()
    assert incident.status == "reported" and incident.timeline.count() == entries


def test_post_acknowledges_without_login_and_stops_the_escalation(paged, client, clock):
    incident, director, path = paged
    escalation = incident.timers.filter(kind=Timer.Kind.ACK_ESCALATION, status="pending")
    assert escalation.exists()
    clock.advance(minutes=2)
    done = client.post(path)

    assert done.status_code == 200
    assert "谢谢，王建国：事件已确认，升级通知已停止。" in done.content.decode()
    incident = Incident.objects.get(pk=incident.pk)
    assert incident.status == "acknowledged" and incident.acknowledged_at == clock.now()
    [entry] = link_entries(incident)
    assert entry.text == "王建国 通过通知链接确认" and entry.actor_name == "王建国"
    assert incident.timeline.get(kind=TimelineEntry.Kind.STATUS).actor_name == "王建国"
    assert not escalation.exists()

    again = client.post(path)  # a second press records nothing more
    assert "王建国，您之前已确认过此事件。" in again.content.decode()
    assert link_entries(incident).count() == 1
    assert "王建国，您已确认过此事件。" in client.get(path).content.decode()


def test_acknowledging_after_someone_else_is_recorded_only(paged, client, on_duty):
    incident, director, path = paged
    lifecycle.transition(incident, "acknowledged")
    lifecycle.transition(incident, "investigating")
    done = client.post(path)

    assert "谢谢，王建国：您的确认已记入事件时间线。" in done.content.decode()
    incident.refresh_from_db()
    assert incident.status == "investigating"
    assert link_entries(incident).get().text == "王建国 通过通知链接确认"


def test_an_expired_link_is_refused_and_changes_nothing(paged, client, clock):
    incident, director, path = paged
    clock.advance(hours=23, minutes=59)
    assert client.get(path).status_code == 200
    clock.advance(minutes=1, seconds=1)
    entries = incident.timeline.count()
    for answer in (client.get(path), client.post(path)):
        assert answer.status_code == 400
        text = answer.content.decode()
        assert "此链接已过期（链接有效期为 24 小时）。" in text and "未做任何更改。" in text
    incident.refresh_from_db()
    assert incident.status == "reported" and incident.timeline.count() == entries


def another_incident(token: str) -> str:
    payload, rest = token.split(":", 1)
    incident_id, member_id, issued = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = base64.urlsafe_b64encode(json.dumps([incident_id + 1, member_id, issued]).encode()).rstrip(b"=")
    return f"{forged.decode()}:{rest}"


@pytest.mark.parametrize("tamper", [
    lambda token: token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"),  # signature changed
    lambda token: another_incident(token),  # the payload names another incident, same signature
    lambda token: token[: len(token) // 2],  # cut short
])
def test_a_changed_link_is_refused(paged, client, tamper):
    incident, director, path = paged
    token = path.rstrip("/").rsplit("/", 1)[1]
    answer = client.post(path.replace(token, tamper(token)))
    assert answer.status_code == 400
    assert "此链接无效：链接被改动或不完整。" in answer.content.decode()
    incident.refresh_from_db()
    assert incident.status == "reported" and not link_entries(incident).exists()


def test_a_closed_incident_takes_no_acknowledgement(paged, client):
    incident, director, path = paged
    for status in ("acknowledged", "resolved", "closed"):
        lifecycle.transition(incident, status, confirmed=True)
    shown = client.get(path).content.decode()
    assert "该事件已关闭，无需再确认。" in shown and 'id="acknowledge"' not in shown
    answer = client.post(path)
    assert answer.status_code == 400 and "该事件已关闭，无需再确认。" in answer.content.decode()
    assert not link_entries(incident).exists()


def test_link_lifetime_follows_the_setting(incident_003, settings, client, clock):
    settings.LIFELINE_ACK_LINK_HOURS = 2
    incident, director = incident_003()
    path = urlsplit(links.url(incident, director)).path
    clock.advance(hours=2, seconds=1)
    assert "链接有效期为 2 小时" in client.get(path).content.decode()
    assert links.max_age() == timedelta(hours=2)
