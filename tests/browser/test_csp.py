"""The Content-Security-Policy in a real Chromium: the main pages load without a single violation
(no inline script or style the policy refuses), with the demo hospital's data on them."""
import io

import pytest
from django.core.management import call_command

from lifeline.incidents.models import Incident
from lifeline.plans.models import PlanVersion

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Violations reach the page as events; the init script runs before any of the page's own.
COLLECT = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sample || ""));
});
"""

PAGES = ["/accounts/login/", "/", "/incidents/", "/incidents/report/", "/incidents/hotline/", "/incidents/triage/",
         "/incidents/tracking/", "/incidents/duty-cards/", "/plans/",
         "/people/", "/people/roster/", "/people/check-in/", "/detection/probes/", "/detection/integrations/",
         "/detection/silences/", "/notify/", "/continuity/", "/analysis/", "/analysis/follow-ups/",
         "/analysis/statistics/", "/status/manage/", "/status/wall/", "/status/", "/status/banner/",
         "/admin/", "/admin/people/member/", "/admin/people/member/export/", "/admin/people/member/import/",
         "/admin/audit/auditentry/",
         "/api/v1/docs"]


@pytest.fixture
def demo(settings, tmp_path, monkeypatch):
    settings.DATA_DIR, settings.SNAPSHOT_DIR, settings.SNAPSHOT_KEY_FILE = tmp_path, tmp_path / "snapshots", None
    monkeypatch.setenv("LIFELINE_ADMIN_PASSWORD", "correct-horse-9")
    call_command("demo", stdout=io.StringIO())


def test_main_pages_load_without_a_csp_violation(page, live_server, login, demo):
    console = []
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    page.add_init_script(COLLECT)
    login(page, "admin")
    version, scenario = next((v, s) for v in PlanVersion.objects.filter(is_active=True)
                             for s in v.content.scenarios if s.decision_tree)
    plan = f"/plans/{version.plan_id}"
    paths = [*PAGES, f"{plan}/", f"{plan}/scenarios/{scenario.id}/", f"{plan}/duty-cards/"]
    incident = Incident.objects.order_by("-pk").first()
    if incident:
        paths.append(f"/incidents/{incident.pk}/")
        paths.append(f"/analysis/incidents/{incident.pk}/")
    found = {}
    for path in paths:
        answer = page.goto(f"{live_server.url}{path}")
        assert answer.ok, (path, answer.status)
        assert "Content-Security-Policy" in {k.title(): v for k, v in answer.headers.items()}, path
        page.wait_for_load_state("networkidle")
        violations = page.evaluate("window.__csp")
        if violations:
            found[path] = violations
    assert found == {} and console == []
