"""Issue 13's leftovers: on the triage page every refusal sits beside the field it is about
(none above the form, the first one brought into view by forms.js), and switching the
language on a page that answers a POST goes back to a page that can be fetched."""
import re

import pytest

from lifeline.accounts.roles import Role
from lifeline.incidents import intake, lifecycle
from lifeline.incidents.models import Incident, Report

pytestmark = pytest.mark.django_db
TRIAGE = "/incidents/triage/"


@pytest.fixture(autouse=True)
def in_chinese(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"


@pytest.fixture
def waiting(load_seed, t0):
    load_seed("004")
    return intake.submit_report(department="挂号处", description="白屏", people_affected=3,
                                contact="8001")


OPEN = {"do": "open", "title": "HIS 故障", "scenario": "his_failure/"}


@pytest.mark.parametrize(("field", "control", "data"), [
    ("title", 'name="title"', {**OPEN, "title": " "}),
    ("scenario", 'name="scenario"', {**OPEN, "scenario": "no_such_plan/"}),
    ("scenario", 'name="scenario"', {"do": "suggest", "scenario": "no_such_plan/"}),
    ("scope", 'name="scope"', {**OPEN, "scope": "galaxy"}),
    ("users_pct", 'name="users_pct"', {**OPEN, "users_pct": "500"}),
    ("level", 'name="level"', {**OPEN, "level": "no_such_level"}),
    ("category", 'name="category"', {**OPEN, "category": "no_such_category"}),
    ("reports", 'name="reports"', {"do": "attach"}),
    ("incident", 'name="incident"', {"do": "attach", "incident": ""}),
])
def test_each_triage_refusal_renders_beside_its_field(client, duty, waiting, field, control, data):
    if field == "incident":
        data = {**data, "reports": [waiting.number]}
    page = client.post(TRIAGE, data)
    html = page.content.decode()
    assert page.status_code == 200
    errors = re.findall(r'<span class="errorlist" id="([a-z_]+)-error">', html)
    assert errors == [field]  # beside its field, and only there
    assert '<ul class="messages">' not in html and 'class="errorlist nonfield"' not in html
    # The message sits in its field's paragraph, whose first control is that field's (forms.js
    # scrolls to the first message and puts the cursor in its paragraph's first control).
    at = html.index(f'id="{field}-error"')
    if field not in ("reports", "incident"):  # after the reports' table; in the attach box
        paragraph = html[html.rindex("<p>", 0, at):at]
        assert re.findall(r'<(?:input|select)[^>]* name="([a-z_]+)"', paragraph)[0] == field
    if field != "reports":
        assert re.search(rf'{control}[^>]*aria-invalid="true" aria-describedby="{field}-error"', html)
    assert "lifeline/forms.js" in html  # brings the first .errorlist into view and focuses its field
    assert not Incident.objects.exists() and Report.objects.get().incident is None


@pytest.fixture
def duty(client, make_user):
    user = make_user("duty", Role.DUTY)
    client.force_login(user)
    return user


def language_next(html: str) -> str:
    return re.search(r'<input name="next" type="hidden" value="([^"]*)">', html).group(1)


def test_a_get_page_switches_language_on_itself(client, duty, waiting):
    assert language_next(client.get(TRIAGE + "?x=1").content.decode()) == TRIAGE + "?x=1"


def test_switching_language_on_the_resolve_confirmation_goes_back_to_the_incident_page(client, duty, load_seed, t0):
    load_seed("003")
    incident = lifecycle.open_incident(plan_id="general_hospital_his", title="HIS 停机",
                                       scenario_id="desktop_emergency_system")
    lifecycle.transition(incident, "acknowledged")
    asked = client.post(f"/incidents/{incident.pk}/transition/", {"status": "resolved"})
    html = asked.content.decode()
    assert 'id="confirm-move"' in html
    back = language_next(html)
    assert back == f"/incidents/{incident.pk}/"
    switched = client.post("/i18n/setlang/", {"language": "en", "next": back})
    assert switched.status_code == 302 and switched.url == back
    assert client.get(back).status_code == 200  # was the action URL: GET → 405
