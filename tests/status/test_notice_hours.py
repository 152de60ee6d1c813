"""Issue 12: a notice's hours have a range (发布公告 持续（小时）= 100000000 was a 500), on the form
and in the service."""
import pytest
from django.core.exceptions import ValidationError

from lifeline.accounts.roles import Role
from lifeline.status import liaison
from lifeline.status.models import Notice

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("hours", ["100000000", "1e20", "721", "0"])
def test_notice_hours_out_of_range_are_refused_naming_the_field(client, make_user, components, t0, hours):
    client.force_login(make_user("duty", Role.DUTY))
    response = client.post("/status/manage/notices/", {"title": "医保网络故障", "hours": hours})
    assert response.status_code == 400
    assert "hours" in response.context["notice_form"].errors
    assert not Notice.objects.exists()
    assert 'max="720"' in client.get("/status/manage/").content.decode()


@pytest.mark.parametrize("hours", [1e20, float("inf"), float("nan")])
def test_the_service_refuses_hours_out_of_range_too(make_user, components, t0, hours):
    with pytest.raises(ValidationError) as refused:
        liaison.publish(title="医保网络故障", hours=hours, user=make_user("duty", Role.DUTY))
    assert "hours" in refused.value.message_dict
    assert not Notice.objects.exists()


def test_a_notice_within_range_is_published(client, make_user, components, t0):
    client.force_login(make_user("duty", Role.DUTY))
    assert client.post("/status/manage/notices/", {"title": "医保网络故障", "hours": "720"}).status_code == 302


def test_a_maintenance_window_ending_in_9999_is_refused_naming_ends_at(components, t0):
    from datetime import datetime, timedelta

    from lifeline.core import clock

    with pytest.raises(ValidationError) as refused:
        liaison.plan_maintenance(components=[components["charging"]], starts_at=clock.now(),
                                 ends_at=datetime(9999, 12, 31, 23, 59, tzinfo=clock.now().tzinfo))
    assert "ends_at" in refused.value.message_dict
    window = liaison.plan_maintenance(components=[components["charging"]], starts_at=clock.now(),
                                      ends_at=clock.now() + timedelta(hours=2))
    assert window.pk
