"""The walk: every page of the site, in every role, at 1440×900 and at 390×844, in one headless
Chromium against the demo hospital with one open incident whose scenario has started.

A page fails the walk on a 5xx, a console error, a horizontal scroll on the phone, raw ASCII
words in the visible text of a Chinese page (snake_case ids, Error/Exception/Traceback, an
address of an outside host) or a request to any host but the server. Every finding is listed
at the end, page by page, so the list is the work still to do.

The pages come from the URL conf (tests/accounts/test_route_matrix.py's walk and table); each
role opens the pages its row lets it open, anonymous visitors the public ones.
"""
import re
import time
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from lifeline.accounts.roles import Role, assign_role
from lifeline.core.actor import acting_as
from lifeline.cutover import demo as cutover_demo
from lifeline.detection.models import Probe
from lifeline.drills import demo as drills_demo
from lifeline.incidents import intake, lifecycle
from lifeline.incidents.models import Report
from lifeline.notify import links
from lifeline.people import demo as people_demo
from lifeline.people.models import Member
from lifeline.plans import services as plans
from lifeline.status import demo as status_demo
from lifeline.status.models import Component
from tests.accounts.test_route_matrix import ANONYMOUS, EXPECTED, PUBLIC, World, expected, url_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-9"
PLAN = "general_hospital_his"  # seed 003, the demo's main plan
VIEWPORTS = ({"width": 1440, "height": 900}, {"width": 390, "height": 844})
# Not pages: downloads, feeds, scripts, the signed-out form posts; logout would end the session.
NOT_PAGES = {"logout", "set_language", "healthz", "metrics", "status_feed", "status:banner_js",
             "status:wall_feed", "plans:binder", "people:export", "incidents:tracking_xlsx",
             "incidents:vendors_xlsx", "analysis:analysis_file",
             "inspections:report_file", "inspections:parts_export", "backups:export", "drills:report_file",
             "reconciliation:download"}
ROLE_LETTERS = {"admin": Role.ADMIN, "C": Role.COMMANDER, "D": Role.DUTY, "P": Role.DEPARTMENT,
                "A": Role.AUDITOR}

SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
WORDS = re.compile(r"\b[A-Za-z]*(?:Error|Exception|Traceback)\b")
ADDRESS = re.compile(r"https?://([^\s/:'\"<>)]+)")
# The visible text, less what is meant to be typed as it stands: code samples and examples
# (<code>, <pre>, <kbd>, <samp>) such as a probe's configuration keys.
VISIBLE_TEXT = """() => {
    let text = document.body ? document.body.innerText : "";
    const samples = [...document.body.querySelectorAll("code, pre, kbd, samp")].map(el => el.innerText.trim());
    for (const inner of samples.sort((a, b) => b.length - a.length)) {  // a long sample holds short ones
        if (inner) text = text.split(inner).join(" ");
    }
    return text;
}"""
# Forms that write (POST) inside the page, not the header's log-out and language forms.
AUDITOR_FORMS = """() => [...document.querySelectorAll("main form")]
    .filter(f => (f.getAttribute("method") || "get").toLowerCase() === "post" && f.offsetParent !== null)
    .filter(f => [...f.querySelectorAll("button:not([type=button]), input[type=submit]")]
        .some(b => !b.disabled && b.offsetParent !== null))
    .map(f => f.getAttribute("action") || "(this page)")"""
# Pages whose form the auditor may send: the login page, his own check-in (he is a member too).
AUDITOR_MAY_SEND = {"login", "people:check_in"}
LOCAL_HOSTS = {"127.0.0.1", "localhost", "testserver"}


def ascii_findings(text: str) -> list[str]:
    found = [f"snake_case {m!r}" for m in sorted(set(SNAKE.findall(text)))]
    found += [f"word {m!r}" for m in sorted(set(WORDS.findall(text)))]
    found += [f"outside address {h!r}" for h in sorted(set(ADDRESS.findall(text))) if h not in LOCAL_HOSTS]
    return found


@pytest.fixture
def demo_world(db, clock):
    """The demo hospital (bundled plans, people and rosters, status components, a go-live cutover),
    an open incident on plan 003 with its first scenario started, reported by a department user;
    one login per role."""
    with acting_as("demo"):
        plans.load_bundled()
        demo = people_demo.load_demo(clock.now().astimezone().date(), password=PASSWORD)
        status_demo.load_demo()
        cutover_demo.load_demo()
        drills_demo.load_demo()
    logins = {"admin": _admin()}
    for letter, role in ROLE_LETTERS.items():
        if letter != "admin":
            logins[letter] = demo["users"][role.value][0]
    department_user = Member.objects.get(user__username=logins["P"])
    scenario_id = plans.active_version(PLAN).content.scenarios[0].id
    own = intake.submit_report(department=department_user.department, description="HIS 白屏，挂号无法出号",
                               contact="8021", reporter=department_user.user)
    others = intake.submit_report(department="药房", description="无法发药", contact="8022",
                                  source=Report.Source.HOTLINE)
    incident = lifecycle.open_incident(plan_id=PLAN, title="HIS 故障", reports=[own.number],
                                       scenario_id=scenario_id)
    member = Member.objects.exclude(user=None).first()
    probe = Probe.objects.first() or Probe.objects.create(name="HIS 首页", kind=Probe.Kind.HTTP,
                                                          config={"url": "http://127.0.0.1:9/"})
    component = Component.objects.first()
    world = World(plan_id=PLAN, scenario_id=scenario_id, incident=incident, own_report=own, others_report=others,
                  probe=probe, component=component, ack_token=links.token(incident, member))
    return world, logins


def _admin():
    admin = get_user_model().objects.create_user("admin", password=PASSWORD, first_name="系统管理员")
    assign_role(admin, Role.ADMIN)
    return "admin"


def pages_for(who: str, world: World) -> list[tuple[str, str]]:
    rows = []
    for row, rule in EXPECTED.items():
        name = row.split(" ", 1)[0]
        if name in NOT_PAGES or name == "incidents:act":
            continue
        url = url_of(row, world)
        if expected(rule, who) == "answer" and url not in post_only(world):
            rows.append((row, url))
    return rows


_POST_ONLY = {}


def post_only(world: World) -> set[str]:
    """The URLs that answer GET with 405 (forms' targets): nothing to look at."""
    if id(world) not in _POST_ONLY:
        client = Client()
        client.force_login(get_user_model().objects.get(username="admin"))
        _POST_ONLY[id(world)] = {url for row in EXPECTED if row.split(" ", 1)[0] not in NOT_PAGES
                                 for url in [url_of(row, world)] if client.get(url).status_code == 405}
    return _POST_ONLY[id(world)]


class Visit:
    """Watches one page: console errors, uncaught exceptions, requests off the server."""

    def __init__(self, page, server_host):
        self.errors, self.outside = [], []
        self.server_host = server_host
        page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))
        page.on("request", self._request)

    def _request(self, request):
        host = urlsplit(request.url).netloc
        if request.url.startswith(("http://", "https://", "ws://", "wss://")) and host != self.server_host:
            self.outside.append(request.url)

    def reset(self):
        self.errors.clear()
        self.outside.clear()


def walk_role(browser, live_server, who, username, world) -> tuple[list[str], int]:
    findings, count = [], 0
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    visit = Visit(page, urlsplit(live_server.url).netloc)
    try:
        if username:
            page.goto(f"{live_server.url}/accounts/login/")
            page.fill("#id_username", username)
            page.fill("#id_password", PASSWORD)
            with page.expect_navigation():
                page.click("button[type=submit]")
        for row, url in pages_for(who, world):
            for viewport in VIEWPORTS:
                page.set_viewport_size(viewport)
                visit.reset()
                response = page.goto(live_server.url + url, wait_until="load")
                status = response.status if response else 0
                count += 1
                where = f"{who} {viewport['width']}px {url} ({row})"
                if status >= 500:
                    findings.append(f"{where}: HTTP {status}")
                    continue
                if status == 404:  # a made-up id (the route matrix's MISSING): the page's own 404 is no defect
                    page.wait_for_timeout(100)  # (Chromium says so on the console a moment after the load)
                    visit.errors[:] = [e for e in visit.errors if "status of 404" not in e]
                for error in visit.errors:
                    findings.append(f"{where}: console error: {error[:200]}")
                for request in visit.outside:
                    findings.append(f"{where}: request off the server: {request[:200]}")
                # The auditor reads: no form he cannot send (public pages and the login page aside).
                if (who == "A" and viewport["width"] == 1440 and EXPECTED[row] != PUBLIC
                        and row not in AUDITOR_MAY_SEND):
                    for form in page.evaluate(AUDITOR_FORMS):
                        findings.append(f"{where}: a form the auditor cannot submit: {form}")
                if viewport["width"] == 390:
                    width = page.evaluate("[document.scrollingElement.scrollWidth, innerWidth]")
                    if width[0] > width[1]:
                        findings.append(f"{where}: horizontal scroll ({width[0]} px wide)")
                    lang = page.evaluate("document.documentElement.lang") or ""
                    if lang.lower().startswith("zh"):
                        for problem in ascii_findings(page.evaluate(VISIBLE_TEXT)):
                            findings.append(f"{who} {url} ({row}): {problem}")
    finally:
        context.close()
    return findings, count


def test_every_page_in_every_role_at_desktop_and_phone(browser, live_server, demo_world):
    world, logins = demo_world
    started = time.monotonic()
    findings, count = [], 0
    for who in ("admin", "C", "D", "P", "A", ANONYMOUS):
        found, n = walk_role(browser, live_server, who, logins.get(who), world)
        findings += found
        count += n
    took = time.monotonic() - started
    print(f"\nwalked {count} page views in {took:.0f} s; {len(findings)} findings")
    assert count > 100, f"only {count} page views: is the walk finding the pages?"
    assert not findings, f"{len(findings)} findings in {count} page views:\n" + "\n".join(findings)


def test_the_text_check_bites():
    assert ascii_findings("值班人员 duty_it 已通知") == ["snake_case 'duty_it'"]
    assert ascii_findings("HTTPSConnectionPool: Max retries exceeded (NameResolutionError)") == [
        "word 'NameResolutionError'"]
    assert ascii_findings("ConnectionError: see https://qyapi.weixin.qq.com/cgi-bin") == ["word 'ConnectionError'",
        "outside address 'qyapi.weixin.qq.com'"]
    assert ascii_findings("Traceback (most recent call last)") == ["word 'Traceback'"]
    assert ascii_findings("见 http://127.0.0.1:8000/incidents/ 与 HIS 2.0") == []
