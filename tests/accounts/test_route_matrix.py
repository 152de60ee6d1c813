"""Every route × every role: who gets an answer, who gets 403, who is sent to log in.

The expectations are written out by hand below, one row per URL name, in role letters:

    C 指挥 commander   D 值班 IT on duty   P 部门 department staff   A 审计 auditor

An administrator passes every policy, so admin is expected to get an answer wherever a role
does. "public" means no login: anonymous visitors get an answer too. Anonymous visitors are
sent to the login page everywhere else; a role the row names gets an answer (not 403, not
5xx: a 404 for a made-up id is an answer); any other role gets 403.

The walk starts from the URL conf itself, so a route without a row here fails the test with
a message saying where to add it. The admin site's own pages (past its index) keep the admin's
rules; the REST API has its own table (API_EXPECTED) and walk beside this one.
"""
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from lifeline.accounts import permissions
from lifeline.accounts.roles import Role
from lifeline.cutover.models import Cutover
from lifeline.detection.models import Probe
from lifeline.drills.models import Drill
from lifeline.incidents import intake, lifecycle
from lifeline.incidents import views as incident_views
from lifeline.incidents.models import Report
from lifeline.notify import links
from lifeline.people.models import Member
from lifeline.plans import services as plans
from lifeline.reconciliation.models import Reconciliation
from lifeline.status.models import Component
from tests.incidents.conftest import load_seed, t0  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

# --- shared by the page walk and the API walk ----------------------------------------------

ROLES = {"admin": Role.ADMIN, "C": Role.COMMANDER, "D": Role.DUTY, "P": Role.DEPARTMENT, "A": Role.AUDITOR}
ANONYMOUS = "anonymous"
PUBLIC = "public"
# No login, but its own credential: /metrics answers only a bearer token or an allowed network
# (LIFELINE_METRICS_TOKEN / LIFELINE_METRICS_ALLOW), never a session, so every caller here is refused.
TOKEN = "public with a token"


@pytest.fixture
def users(make_user) -> dict:
    """One user per role, by letter ("admin", "C", "D", "P", "A"), and the anonymous visitor."""
    found = {letter: make_user(f"matrix_{letter.lower()}", role) for letter, role in ROLES.items()}
    found[ANONYMOUS] = AnonymousUser()
    return found


def expected(rule: str, who: str, anonymous: str = "login") -> str:
    """What `who` should get from a route whose row says `rule` ("C D A", "public"):
    "answer", "refused" (403) or, for an anonymous caller, `anonymous` (pages send them to log
    in; the API would say 401)."""
    if rule == PUBLIC:
        return "answer"
    if rule == TOKEN:
        return "refused"
    if who == ANONYMOUS:
        return anonymous
    letters = set(rule.split())
    unknown = letters - set(ROLES)
    assert not unknown, f"rule {rule!r}: unknown role letters {sorted(unknown)}; use {' '.join(ROLES)}"
    return "answer" if who == "admin" or who in letters else "refused"


def client_for(user) -> Client:
    client = Client()
    if user.is_authenticated:
        client.force_login(user)
    return client


# --- pages ---------------------------------------------------------------------------------

# One row per URL name; "name variant" rows try one route several ways (an action, whose report).
EXPECTED = {
    # core, accounts and the admin site's index (its own rule: the staff roles)
    "home": "C D P A",
    "healthz": PUBLIC,
    "favicon": PUBLIC,
    "metrics": TOKEN,
    "login": PUBLIC,
    "logout": PUBLIC,
    "set_language": PUBLIC,
    "admin:index": "C D A",
    # plans
    "plans:list": "C D P A",
    "plans:detail": "C D P A",
    "plans:scenario": "C D P A",
    "plans:duty_cards": "C D P A",
    "plans:departments": "C",
    "plans:binder": "C D P A",
    # people
    "people:organisation": "C D P A",
    "people:roster": "C D P A",
    "people:check_in": "C D P A",
    "people:export": "C D A",
    "people:import": "C D",
    # incidents (department staff open the dashboard and are sent on to their report page)
    "incidents:dashboard": "C D P A",
    "incidents:board": "C D A",
    "incidents:report": "C D P",
    "incidents:hotline": "C D",
    "incidents:report_detail own": "C D P A",
    "incidents:report_detail others": "C D A",
    "incidents:report_sent": "C D P A",
    "incidents:triage": "C D A",
    "incidents:duty_cards": "C D P A",
    "incidents:tracking": "C D A",
    "incidents:tracking_xlsx": "C D A",
    "incidents:vendors": "C D A",
    "incidents:vendors_xlsx": "C D A",
    "incidents:commit": "C D",
    "incidents:detail": "C D A",
    "incidents:act transition": "C D",
    "incidents:act reclassify": "C",
    "incidents:act assign": "C D",
    "incidents:act scenario": "C D",
    "incidents:act tick": "C D",
    "incidents:act skip": "C D",
    "incidents:act reassign": "C D",
    "incidents:act answer": "C D",
    "incidents:act note": "C D",
    "incidents:act reminder": "C D",
    "incidents:act card": "C D P",
    # continuity
    "stations:page": "C D A",
    "snapshots:build": "C D A",
    "snapshots:build_problems": "C D A",
    "stations:create_station": "C D",
    "stations:revoke_station": "C D",
    "stations:declare_mode": "C D",
    "stations:declare": "C D",
    "recovery:sendback": "C D A",
    "recovery:import_journal": "C D",
    "merge:page": "C",
    "merge:start": "C",
    "merge:decide": "C",
    "merge:accept_all": "C",
    # fault analysis
    "analysis:index": "C D A",
    "analysis:analysis": "C D A",
    "analysis:analysis_file": "C D A",
    "analysis:add_follow_up": "C D",
    "analysis:follow_ups": "C D A",
    "analysis:follow_up_done": "C D",
    "analysis:statistics": "C D A",
    # inspections and spare parts (IT on duty does the rounds and keeps the stock)
    "inspections:today": "C D A",
    "inspections:round": "C D A",
    "inspections:checklists": "C D A",
    "inspections:checklist": "C D A",
    "inspections:plan_offers": "C D A",
    "inspections:adopt": "D",
    "inspections:report": "C D A",
    "inspections:report_file": "C D A",
    "inspections:parts": "C D A",
    "inspections:parts_export": "C D A",
    "inspections:parts_import": "D",
    "inspections:part": "C D A",
    "inspections:withdraw": "D",
    "inspections:restock": "D",
    # go-live cutover board (everyone signed in reads it; commanders and IT on duty change it)
    "cutover:list": "C D P A",
    "cutover:board": "C D P A",
    "cutover:add_task": "C D",
    "cutover:task_status": "C D",
    "cutover:add_check": "C D",
    "cutover:sign_check": "C D",
    "cutover:add_event": "C D",
    "cutover:add_rehearsal": "C D",
    "cutover:move": "C D",
    # detection
    "detection:integrations": "C D A",
    "detection:silences": "C D A",
    "detection:end_silence": "C D",
    "detection:probes": "C D A",
    "detection:new_probe": "C D",
    "detection:probe": "C D A",
    "detection:edit_probe": "C D",
    # notifications (the acknowledgement link is signed: it is the credential)
    "notify:log": "C D A",
    "notify:check": "C D",
    "notify:sink": "C D A",
    "notify:ack": PUBLIC,
    # service status: the public page, feed and banner; the wall; the liaison's page
    "status:page": PUBLIC,
    "status:banner": PUBLIC,
    "status:banner_js": PUBLIC,
    "status_feed": PUBLIC,
    "status:wall": "C D A",
    "status:wall_feed": "C D A",
    "status:manage": "C D A",
    "status:component_new": "C D",
    "status:component_edit": "C D A",
    "status:override_new": "C D",
    "status:override_withdraw": "C D",
    "status:notice_new": "C D",
    "status:notice_withdraw": "C D",
    "status:maintenance_new": "C D",
    "status:maintenance_end": "C D",
    # backups and DR: IT on duty change them, commanders and auditors read; failovers start incidents
    "backups:catalogue": "C D A",
    "backups:check": "D",
    "backups:add": "D",
    "backups:edit": "D",
    "backups:export": "C D A",
    "backups:import": "D",
    "backups:restore_tests": "C D A",
    "backups:restore_test": "C D A",
    "backups:run_restore_test": "D",
    "backups:dr": "C D A",
    "backups:component": "C D A",
    "backups:switchover": "C D",
    "backups:plan_measures": "C D A",
    "backups:confirm_measure": "D",
    # drills (commanders and IT on duty run them; auditors read the records)
    "drills:list": "C D A",
    "drills:schedules": "C D A",
    "drills:findings": "C D A",
    "drills:drill": "C D A",
    "drills:start": "C D",
    "drills:milestone": "C D",
    "drills:end": "C D",
    "drills:add_finding": "C D",
    "drills:finding_status": "C D",
    "drills:sign_off": "C",
    "drills:report_file": "C D A",
    "reconciliation:index": "C D P A",
    "reconciliation:detail": "C D P A",
    "reconciliation:download": "C D P A",
    "reconciliation:sign_off": "C",
    "reconciliation:resettled": "C D P",
    "reconciliation:paper": "C D P A",
    "reconciliation:bundle": "C D P A",
}

# An id nothing has: the view answers 404 once the policy has let the caller through.
MISSING = 999_999


@dataclass
class World:
    """The few rows the pages need to answer 200: a plan, an incident, reports, a probe …"""

    plan_id: str
    scenario_id: str
    incident: object
    own_report: Report
    others_report: Report
    probe: Probe
    component: Component
    ack_token: str


@pytest.fixture
def world(users, load_seed, t0) -> World:
    plan_id = load_seed("004")
    scenario_id = plans.active_version(plan_id).content.scenarios[0].id
    member = Member.objects.create(name="赵敏", phone="13800000001", department="收费处", user=users["P"])
    own = intake.submit_report(department="收费处", description="HIS 白屏", contact="8021", reporter=users["P"])
    others = intake.submit_report(department="药房", description="无法发药", contact="8022",
                                  source=Report.Source.HOTLINE)
    incident = lifecycle.open_incident(plan_id=plan_id, title="HIS 故障", reports=[own.number],
                                       scenario_id=scenario_id)
    return World(plan_id=plan_id, scenario_id=scenario_id, incident=incident, own_report=own, others_report=others,
                 probe=Probe.objects.create(name="HIS 首页", kind=Probe.Kind.HTTP,
                                            config={"url": "http://127.0.0.1:9/"}),
                 component=Component.objects.create(key="his", name="HIS"),
                 ack_token=links.token(incident, member))


# Path parameters by row (or by URL name, for every row of it).
ARGS = {
    "plans:detail": lambda w: {"plan_id": w.plan_id},
    "plans:scenario": lambda w: {"plan_id": w.plan_id, "scenario_id": w.scenario_id},
    "plans:duty_cards": lambda w: {"plan_id": w.plan_id},
    "plans:departments": lambda w: {"plan_id": w.plan_id},
    "plans:binder": lambda w: {"plan_id": w.plan_id, "fmt": "docx"},
    "people:export": lambda w: {"what": "members"},
    "incidents:report_detail own": lambda w: {"number": w.own_report.number},
    "incidents:report_detail others": lambda w: {"number": w.others_report.number},
    "incidents:report_sent": lambda w: {"number": w.own_report.number},
    "incidents:detail": lambda w: {"incident_id": w.incident.pk},
    "incidents:commit": lambda w: {"incident_id": w.incident.pk},
    "incidents:act": lambda w, action: {"incident_id": w.incident.pk, "action": action},
    "stations:revoke_station": lambda w: {"station_id": MISSING},
    "snapshots:build": lambda w: {"build_id": MISSING},
    "merge:decide": lambda w: {"conflict_id": MISSING},
    "merge:accept_all": lambda w: {"kind": "price_changed"},
    "snapshots:build_problems": lambda w: {"build_id": MISSING, "fmt": "csv"},
    "analysis:analysis": lambda w: {"incident_id": w.incident.pk},
    "analysis:analysis_file": lambda w: {"incident_id": w.incident.pk, "fmt": "docx"},
    "analysis:add_follow_up": lambda w: {"incident_id": w.incident.pk},
    "analysis:follow_up_done": lambda w: {"pk": MISSING},
    "inspections:round": lambda w: {"pk": MISSING},
    # the demo's cutover where the walk loaded it (its board is a page to look at), else a made-up id
    "cutover:board": lambda w: {"pk": Cutover.objects.values_list("pk", flat=True).first() or MISSING},
    "cutover:add_task": lambda w: {"pk": MISSING},
    "cutover:task_status": lambda w: {"pk": MISSING, "task_pk": MISSING},
    "cutover:add_check": lambda w: {"pk": MISSING},
    "cutover:sign_check": lambda w: {"pk": MISSING, "check_pk": MISSING},
    "cutover:add_event": lambda w: {"pk": MISSING},
    "cutover:add_rehearsal": lambda w: {"pk": MISSING},
    "cutover:move": lambda w: {"pk": MISSING},
    "inspections:checklist": lambda w: {"pk": MISSING},
    "inspections:adopt": lambda w: {"plan_id": w.plan_id, "measure_id": "server_check"},
    "inspections:report_file": lambda w: {"fmt": "docx"},
    "inspections:part": lambda w: {"pk": MISSING},
    "inspections:withdraw": lambda w: {"pk": MISSING},
    "inspections:restock": lambda w: {"pk": MISSING},
    "detection:end_silence": lambda w: {"silence_id": MISSING},
    "detection:probe": lambda w: {"probe_id": w.probe.pk},
    "detection:edit_probe": lambda w: {"probe_id": w.probe.pk},
    "notify:ack": lambda w: {"token": w.ack_token},
    "status:component_edit": lambda w: {"key": w.component.key},
    "status:override_withdraw": lambda w: {"pk": MISSING},
    "status:notice_withdraw": lambda w: {"pk": MISSING},
    "status:maintenance_end": lambda w: {"pk": MISSING},
    "backups:add": lambda w: {"what": "system"},
    "backups:edit": lambda w: {"what": "system", "pk": MISSING},
    "backups:export": lambda w: {"what": "systems"},
    "backups:restore_test": lambda w: {"pk": MISSING},
    "backups:run_restore_test": lambda w: {"pk": MISSING},
    "backups:component": lambda w: {"pk": MISSING},
    "backups:switchover": lambda w: {"pk": MISSING},
    "backups:plan_measures": lambda w: {"plan_id": w.plan_id},
    "backups:confirm_measure": lambda w: {"plan_id": w.plan_id, "measure_id": "db_daily_backup"},
    # the demo's last drill where the walk loaded it, else a made-up id
    "drills:drill": lambda w: {"pk": Drill.objects.values_list("pk", flat=True).first() or MISSING},
    "drills:start": lambda w: {"pk": MISSING},
    "drills:milestone": lambda w: {"pk": MISSING},
    "drills:end": lambda w: {"pk": MISSING},
    "drills:add_finding": lambda w: {"pk": MISSING},
    "drills:finding_status": lambda w: {"pk": MISSING},
    "drills:sign_off": lambda w: {"pk": MISSING},
    "drills:report_file": lambda w: {"pk": MISSING, "fmt": "docx"},
    "reconciliation:detail": lambda w: {"pk": reconciliation_of(w.incident).pk},
    "reconciliation:download": lambda w: {"pk": reconciliation_of(w.incident).pk, "fmt": "xlsx"},
    "reconciliation:sign_off": lambda w: {"pk": MISSING},
    "reconciliation:resettled": lambda w: {"pk": MISSING, "resettlement_pk": MISSING},
    "reconciliation:bundle": lambda w: {"pk": MISSING},
}


def reconciliation_of(incident) -> Reconciliation:
    """The world's incident's reconciliation (its page and file are pages to look at)."""
    return (Reconciliation.objects.filter(incident=incident).first()
            or Reconciliation.objects.create(incident=incident, start=incident.opened_at, end=incident.opened_at))


SKIPPED_NAMESPACES = {"api"}  # the API's own walk: API_EXPECTED


def page_routes(resolver=None, namespace="") -> dict[str, URLPattern]:
    """Every URL pattern of the URL conf by its full name, through every include; of the admin
    site only its index; none of the API."""
    found = {}
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(n for n in (namespace, entry.namespace) if n)
            if inner in SKIPPED_NAMESPACES:
                continue
            found.update(page_routes(entry, inner))
        elif namespace == "admin" and entry.name != "index":
            continue
        else:
            name = entry.name or f"<unnamed {entry.pattern}>"
            found[f"{namespace}:{name}" if namespace else name] = entry
    return found


def route_of(row: str) -> str:
    return row.split(" ", 1)[0]


def missing_rows(table: dict) -> list[str]:
    """URL names with no row in the table."""
    ruled = {route_of(row) for row in table}
    return sorted(name for name in page_routes() if name not in ruled)


def url_of(row: str, world: World) -> str:
    name, _sep, variant = row.partition(" ")
    if row in ARGS:
        kwargs = ARGS[row](world)
    elif name in ARGS:
        kwargs = ARGS[name](world, variant) if variant else ARGS[name](world)
    else:
        kwargs = {}
    return reverse(name, kwargs=kwargs)


def outcome(response, user) -> str:
    """'answer', 'refused' (403; or, from the admin site, its login page for a signed-in user),
    'login' (sent to log in) or 'error' (5xx)."""
    if response.status_code >= 500:
        return "error"
    if response.status_code in (401, 403):  # 401: a route with its own credential (TOKEN)
        return "refused"
    if response.status_code in (301, 302) and "/login/?next=" in response["Location"]:
        return "refused" if user.is_authenticated else "login"
    return "answer"


def ask(url: str, user):
    """GET the page; a POST-only page (405) gets a POST with an empty body."""
    response = client_for(user).get(url)
    if response.status_code == 405:
        response = client_for(user).post(url)
    return response


@dataclass
class Surprise:
    row: str
    url: str
    who: str
    want: str
    got: str
    status: int

    def __str__(self):
        return f"{self.row} ({self.url}) as {self.who}: expected {self.want}, got {self.got} ({self.status})"


def walk_pages(world: World, users: dict, rows=None) -> list[Surprise]:
    """Every row (or those given) with every role and anonymous; what did not go as the table says."""
    surprises = []
    for row in rows or EXPECTED:
        url = url_of(row, world)
        for who, user in users.items():
            want = expected(EXPECTED[row], who)
            response = ask(url, user)
            got = outcome(response, user)
            if got != want:
                surprises.append(Surprise(row, url, who, want, got, response.status_code))
    return surprises


def test_every_route_has_a_row():
    missing = missing_rows(EXPECTED)
    assert not missing, (f"routes without a rule: {missing}. Decorate the view with its policy "
                         f"(lifeline.accounts.permissions) and add a row for it to EXPECTED in {__file__}")
    stale = sorted({route_of(row) for row in EXPECTED} - set(page_routes()))
    assert not stale, f"rows for routes that no longer exist: {stale}; remove them from EXPECTED"


def test_every_incident_action_has_a_row():
    rows = {row.split(" ", 1)[1] for row in EXPECTED if route_of(row) == "incidents:act"}
    assert rows == set(incident_views.ACTIONS), "add a row 'incidents:act <action>' for each action"


def test_every_page_names_its_policy():
    """Each of Lifeline's pages carries a policy (or says why it is public), and the table
    agrees on which pages are public."""
    for name, pattern in page_routes().items():
        view = pattern.callback
        if name.startswith("admin:"):
            continue
        assert hasattr(view, "policy"), f"{name}: decorate {view.__module__}.{view.__name__} with its policy"
        if view.policy is None:
            assert getattr(view, "public_because", ""), f"{name}: say why it is public"
        rules = {EXPECTED[row] for row in EXPECTED if route_of(row) == name}
        assert (view.policy is None) == (rules <= {PUBLIC, TOKEN}), (
            f"{name}: public in the view or in the table, not both")


def test_every_route_answers_every_role_as_the_table_says(world, users):
    surprises = walk_pages(world, users)
    assert not surprises, "\n".join(map(str, surprises))


def test_the_table_bites_when_a_policy_changes(world, users, monkeypatch):
    """Let department staff read (a one-word slip in permissions.py): the walk says where."""
    monkeypatch.setattr(permissions.can_read, "roles", (*permissions.can_read.roles, Role.DEPARTMENT))

    surprises = walk_pages(world, users, rows=["incidents:board", "notify:log", "incidents:report"])

    assert [(s.row, s.who, s.want, s.got) for s in surprises] == [
        ("incidents:board", "P", "refused", "answer"), ("notify:log", "P", "refused", "answer")]


def test_a_route_without_a_row_is_named():
    assert missing_rows({row: rule for row, rule in EXPECTED.items() if route_of(row) != "notify:log"}) == [
        "notify:log"]


# --- the API (OpenAPI operations): API_EXPECTED and its walk go here -------------------------
