"""The local sink (issue 12): sink:// channels keep messages on the server, shown at /notify/sink/
to IT and command; the demo's contacts use it, so the demo never reaches for the internet."""
from datetime import date

import pytest

from lifeline.accounts.roles import Role
from lifeline.notify import channels
from lifeline.notify.models import SinkMessage
from lifeline.people.demo import load_demo
from lifeline.people.models import ContactChannel

pytestmark = pytest.mark.django_db


def test_a_sink_channel_keeps_the_message_and_the_page_shows_it(client, make_user):
    outcome = channels.send("sink://wecom/13800100001", "HIS 全院故障，请确认", title="有事件待确认")
    assert outcome.ok, outcome.error
    kept = SinkMessage.objects.get()
    assert (kept.kind, kept.to, kept.title) == ("wecom", "13800100001", "有事件待确认")
    assert kept.body == "HIS 全院故障，请确认"
    client.force_login(make_user("duty", Role.DUTY))
    page = client.get("/notify/sink/")
    assert page.status_code == 200 and "HIS 全院故障，请确认" in page.content.decode()
    client.force_login(make_user("nurse", Role.DEPARTMENT))
    assert client.get("/notify/sink/").status_code == 403


def test_the_demo_contacts_deliver_to_the_local_sink_only(db):
    load_demo(date(2026, 12, 7), password="demo-pass-123")
    urls = list(ContactChannel.objects.values_list("url", flat=True))
    assert urls and all(url.startswith("sink://") for url in urls)
