"""Hostile payloads on the receivers and the API get the API's one error shape, never a 500 or
Django's HTML page (issue 12): a body nested 100,000 levels deep, a 5 MB body, an anonymous write."""
import pytest

from lifeline.detection.models import Alert
from tests.detection.alerting import alert_texts, insurance, plan_001, registration, t0  # noqa: F401
from tests.detection.test_integrations import make  # noqa: F401
from tests.errors import problems

pytestmark = pytest.mark.django_db

DEEP = b"[" * 100_000 + b"]" * 100_000


@pytest.mark.parametrize("kind", ["alertmanager", "zabbix", "webhook"])
def test_a_webhook_nested_100000_levels_deep_is_400_naming_the_body(client, make, kind):  # noqa: F811
    _integration, url = make(kind)
    answer = client.post(url, DEEP, content_type="application/json")
    assert answer.status_code == 400
    assert "body" in problems(answer)
    assert not Alert.objects.exists()


def test_a_deep_body_on_an_ordinary_api_route_is_400_in_the_one_shape(client, make_user):
    from lifeline.accounts.models import ApiToken
    from lifeline.accounts.roles import Role

    _token, key = ApiToken.objects.issue(make_user("duty", Role.DUTY))
    answer = client.post("/api/v1/reports", DEEP, content_type="application/json",
                         HTTP_AUTHORIZATION=f"Bearer {key}")
    assert answer.status_code == 400
    assert problems(answer)


def test_a_5_mb_body_is_413_in_the_one_shape_on_a_receiver(client, make):  # noqa: F811
    _integration, url = make("webhook")
    answer = client.post(url, b'{"summary": "' + b"x" * 5_000_000 + b'"}', content_type="application/json")
    assert answer.status_code == 413
    assert answer["Content-Type"].startswith("application/json")
    assert list(problems(answer)) == [""]
    assert not Alert.objects.exists()


def test_a_5_mb_body_is_413_in_the_one_shape_on_the_api(client, make_user):
    from lifeline.accounts.models import ApiToken
    from lifeline.accounts.roles import Role

    _token, key = ApiToken.objects.issue(make_user("duty", Role.DUTY))
    answer = client.post("/api/v1/reports", b'{"description": "' + b"x" * 5_000_000 + b'"}',
                         content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert answer.status_code == 413
    assert list(problems(answer)) == [""]


def test_an_anonymous_api_write_is_401_not_a_csrf_403(client):
    answer = client.post("/api/v1/reports", {"department": "药房"}, content_type="application/json")
    assert answer.status_code == 401
    assert "CSRF" not in answer.content.decode()
    assert list(problems(answer)) == [""]
