"""Delivering the outbox through Apprise to fake vendors and a real SMTP server."""
from datetime import timedelta

import pytest

from lifeline.incidents.models import Incident, OutboxMessage
from lifeline.notify.models import Delivery, DeliveryAttempt

pytestmark = pytest.mark.django_db


def test_a_page_reaches_the_wecom_bot_and_is_recorded(incident_003, vendor, channel, dispatcher, clock):
    incident, director = incident_003()
    channel(director, "wecom", "wecombot://director-key")
    assert dispatcher(clock) == 1

    [received] = vendor.received
    assert received.path == "/cgi-bin/webhook/send" and received.query["key"] == ["director-key"]
    assert received.body["msgtype"] == "text"
    print(received.text)
    message = OutboxMessage.objects.get(incident=incident, member=director)
    assert message.status == "sent"
    assert message.delivery.status == "sent"
    [attempt] = DeliveryAttempt.objects.all()
    assert (attempt.kind, attempt.recipient, attempt.number, attempt.ok, attempt.error) == (
        "wecom", "王建国", 1, True, "")
    assert attempt.at == clock.now() and attempt.incident == incident
