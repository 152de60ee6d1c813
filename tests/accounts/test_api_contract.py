"""The REST API's contract, walked from its own OpenAPI document.

1. Every operation has a rule in API_EXPECTED (written out here by hand, not read from the
   code), and answers every role and an anonymous caller as the rule says: 401 without
   credentials, 403 for a role the rule leaves out, neither for a role it names.
2. Every write (POST, PUT, PATCH) refuses a bad request in the one error shape,
   {"errors": [{"field": …, "message": …}]}, naming the field at fault.
A new operation without a rule fails the first test.
"""
import json
import re

import pytest
from django.test import Client

from lifeline.accounts import permissions
from lifeline.accounts.roles import Role
from lifeline.api import api

ROLES = {"C": Role.COMMANDER, "D": Role.DUTY, "P": Role.DEPARTMENT, "A": Role.AUDITOR}
# Who may call each operation besides an administrator: C commander, D IT on duty,
# P department staff, A auditor. "public": the token in the URL is the key (alert receivers,
# heartbeats): no 401 for anybody. "station": emergency workstations' own tokens only.
API_EXPECTED = {
    ("GET", "/api/v1/plans/"): "C D P A",
    ("POST", "/api/v1/plans/load"): "C",
    ("GET", "/api/v1/plans/{plan_id}"): "C D P A",
    ("GET", "/api/v1/plans/{plan_id}/versions"): "C D P A",
    ("POST", "/api/v1/plans/{plan_id}/versions/{number}/activate"): "C",
    ("GET", "/api/v1/people/members"): "C D P A",
    ("GET", "/api/v1/people/teams"): "C D P A",
    ("GET", "/api/v1/people/on-duty"): "C D P A",
    ("POST", "/api/v1/people/check-in"): "C D P A",
    ("GET", "/api/v1/people/fastest"): "C D P A",
    ("GET", "/api/v1/audit/entries"): "C A",
    ("POST", "/api/v1/reports"): "C D P",
    ("GET", "/api/v1/reports"): "C D P A",
    ("GET", "/api/v1/reports/{number}"): "C D P A",
    ("GET", "/api/v1/incidents"): "C D A",
    ("POST", "/api/v1/incidents"): "C D",
    ("GET", "/api/v1/incidents/tracking.xlsx"): "C D A",
    ("GET", "/api/v1/incidents/{incident_id}"): "C D A",
    ("POST", "/api/v1/incidents/{incident_id}/reports"): "C D",
    ("POST", "/api/v1/incidents/{incident_id}/transition"): "C D",
    ("POST", "/api/v1/incidents/{incident_id}/reclassify"): "C",
    ("POST", "/api/v1/incidents/{incident_id}/roles"): "C D",
    ("POST", "/api/v1/incidents/{incident_id}/scenario"): "C D",
    ("POST", "/api/v1/incidents/{incident_id}/checklist/{item_id}/tick"): "C D",
    ("POST", "/api/v1/incidents/{incident_id}/checklist/{item_id}/skip"): "C D",
    ("POST", "/api/v1/incidents/{incident_id}/checklist/{item_id}/reassign"): "C D",
    ("POST", "/api/v1/incidents/{incident_id}/tree/answer"): "C D",
    ("POST", "/api/v1/incidents/{incident_id}/notes"): "C D",
    ("GET", "/api/v1/incidents/{incident_id}/timers"): "C D A",
    ("POST", "/api/v1/incidents/{incident_id}/timers"): "C D",
    ("POST", "/api/v1/incidents/{incident_id}/duty-cards/{card_id}/acknowledge"): "C D P",
    ("POST", "/api/v1/incidents/{incident_id}/commitments"): "C D",
    ("GET", "/api/v1/vendor-items"): "C D A",
    ("GET", "/api/v1/vendor-items.xlsx"): "C D A",
    ("GET", "/api/v1/continuity/packages/latest"): "C D A station",
    ("GET", "/api/v1/continuity/packages/{package_id}"): "station",
    ("POST", "/api/v1/continuity/stations/holding"): "station",
    ("POST", "/api/v1/continuity/stations/leases"): "station",
    ("GET", "/api/v1/continuity/stations/operators"): "station",
    ("GET", "/api/v1/continuity/stations"): "C D A",
    ("POST", "/api/v1/continuity/stations/mode"): "C D",
    ("GET", "/api/v1/continuity/stations/journal"): "station",
    ("POST", "/api/v1/continuity/stations/journal"): "station",
    ("GET", "/api/v1/analysis/incidents/{incident_id}"): "C D A",
    ("PUT", "/api/v1/analysis/incidents/{incident_id}"): "C D",
    ("POST", "/api/v1/analysis/incidents/{incident_id}/follow-ups"): "C D",
    ("GET", "/api/v1/analysis/follow-ups"): "C D A",
    ("POST", "/api/v1/analysis/follow-ups/{follow_up_id}/done"): "C D",
    ("GET", "/api/v1/analysis/statistics"): "C D A",
    ("GET", "/api/v1/inspections/today"): "C D A",
    ("POST", "/api/v1/inspections/rounds/{round_id}/complete"): "D",
    ("GET", "/api/v1/inspections/parts"): "C D A",
    ("POST", "/api/v1/inspections/parts/{part_id}/withdrawals"): "D",
    ("GET", "/api/v1/cutovers"): "C D P A",
    ("GET", "/api/v1/cutovers/{cutover_id}"): "C D P A",
    ("POST", "/api/v1/cutovers/{cutover_id}/tasks"): "C D",
    ("POST", "/api/v1/cutovers/{cutover_id}/tasks/{task_id}/status"): "C D",
    ("POST", "/api/v1/cutovers/{cutover_id}/checks/{check_id}/sign"): "C D",
    ("POST", "/api/v1/cutovers/{cutover_id}/events"): "C D",
    ("POST", "/api/v1/cutovers/{cutover_id}/rehearsals"): "C D",
    ("POST", "/api/v1/integrations/{kind}/{token}"): "public",
    ("GET", "/api/v1/probes"): "C D A",
    ("GET", "/api/v1/probes/{probe_id}"): "C D A",
    ("GET", "/api/v1/heartbeat/{token}"): "public",
    ("POST", "/api/v1/heartbeat/{token}"): "public",
    ("GET", "/api/v1/backups/systems"): "C D A",
    ("POST", "/api/v1/backups/jobs/{job_id}/check"): "D",
    ("GET", "/api/v1/backups/restore-tests/{test_id}/runs"): "C D A",
    ("POST", "/api/v1/backups/restore-tests/{test_id}/run"): "D",
    ("POST", "/api/v1/backups/dr/components/{component_id}/switchover"): "C D",
    ("GET", "/api/v1/drills"): "C D A",
    ("POST", "/api/v1/drills"): "C D",
    ("GET", "/api/v1/drills/{drill_id}"): "C D A",
    ("POST", "/api/v1/drills/{drill_id}/start"): "C D",
    ("POST", "/api/v1/drills/{drill_id}/milestones"): "C D",
    ("POST", "/api/v1/drills/{drill_id}/end"): "C D",
    ("POST", "/api/v1/drills/{drill_id}/findings"): "C D",
    ("POST", "/api/v1/drills/findings/{finding_id}/status"): "C D",
}


def operations():
    """(method, path, operation) for every operation of the OpenAPI document."""
    schema = api.get_openapi_schema()
    return [(method.upper(), path, operation) for path, methods in schema["paths"].items()
            for method, operation in methods.items()]


def _filled(path: str, operation: dict, bad: bool = False) -> str:
    """Path parameters filled in: 1 for a number, "x" for text; "abc" for a number when `bad`."""
    kinds = {p["name"]: p.get("schema", {}).get("type") for p in operation.get("parameters", ())
             if p.get("in") == "path"}

    def value(match):
        number = kinds.get(match.group(1)) == "integer"
        return ("abc" if bad else "1") if number else "x"

    return re.sub(r"\{(\w+)\}", value, path)


def call(client, method, path, operation, bad=False, **kwargs):
    body = kwargs.pop("body", "{}" if method in {"POST", "PUT", "PATCH"} else None)
    args = {"data": body, "content_type": "application/json"} if body is not None else {}
    return getattr(client, method.lower())(_filled(path, operation, bad), **args, **kwargs)


def is_error_shape(response) -> bool:
    try:
        found = response.json()
    except ValueError:
        return False
    return (set(found) == {"errors"} and isinstance(found["errors"], list) and found["errors"]
            and all({"field", "message"} <= set(e) and isinstance(e["message"], str) and e["message"]
                    for e in found["errors"]))


@pytest.fixture
def clients(db, make_user):
    made = {"anonymous": Client()}
    admin = make_user("matrix-admin", Role.ADMIN)
    made["admin"] = Client()
    made["admin"].force_login(admin)
    for letter, role in ROLES.items():
        made[letter] = Client()
        made[letter].force_login(make_user(f"matrix-{letter}", role))
    return made


def mismatch(clients, method, path, operation, who) -> str | None:
    """What is wrong with how the operation answered `who` (a role letter, admin or anonymous)."""
    rule = API_EXPECTED[(method, path)].split()
    answer = call(clients[who], method, path, operation)
    status = answer.status_code
    if status >= 500:
        return f"{who}: server error {status}"
    if status in (401, 403) and not is_error_shape(answer):
        return f"{who}: {status} without the error shape: {answer.content[:200]!r}"
    if "public" in rule:
        return f"{who}: {status} on a public operation" if status in (401, 403) else None
    if who == "anonymous":
        return None if status == 401 else f"anonymous: {status}, expected 401"
    allowed = who == "admin" or who in rule
    if "station" in rule and rule == ["station"]:
        return None if status in (401, 403) else f"{who}: {status}, expected 401/403 (stations only)"
    if allowed and status in (401, 403):
        return f"{who}: {status}, expected to be let through"
    if not allowed and status != 403:
        return f"{who}: {status}, expected 403"
    return None


def test_every_operation_has_a_rule():
    missing = [f"{m} {p}" for m, p, _op in operations() if (m, p) not in API_EXPECTED]
    gone = [f"{m} {p}" for m, p in API_EXPECTED if (m, p) not in {(m2, p2) for m2, p2, _o in operations()}]
    assert not missing, f"add these operations to API_EXPECTED with the roles that may call them: {missing}"
    assert not gone, f"API_EXPECTED names operations the API no longer has: {gone}"


def test_every_operation_answers_every_role_as_its_rule_says(clients):
    wrong = []
    for method, path, operation in operations():
        for who in ("anonymous", "admin", *ROLES):
            found = mismatch(clients, method, path, operation, who)
            if found:
                wrong.append(f"{method} {path}: {found}")
    assert not wrong, "\n".join(wrong)


def test_the_table_bites_when_a_policy_is_loosened(clients, monkeypatch):
    """Letting department staff read incidents must show up as a mismatch."""
    monkeypatch.setattr(permissions.can_read, "roles", (*permissions.can_read.roles, Role.DEPARTMENT))
    method, path = "GET", "/api/v1/incidents"
    operation = next(op for m, p, op in operations() if (m, p) == (method, path))
    assert mismatch(clients, method, path, operation, "P") == "P: 200, expected 403"


# --- one error shape -------------------------------------------------------------------------

def _bad_body(operation: dict) -> tuple[str, str] | None:
    """A body of the wrong shape for the operation, and its content type; None: it takes none."""
    content = operation.get("requestBody", {}).get("content", {})
    if "application/yaml" in content:
        return "id: bad plan\nname: [not, text]\n", "application/yaml"
    if "application/json" not in content:
        return None
    schema = content["application/json"]["schema"]
    if "$ref" in schema:
        schema = api.get_openapi_schema()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    properties = schema.get("properties", {})
    if not properties:
        return "[]", "application/json"
    # Nested in the payload's own name when ninja wraps it (one body parameter named payload).
    names = schema.get("required") or list(properties)
    return json.dumps({name: [[{}]] for name in names}), "application/json"


# Writes only a station's own token may make.
STATION_WRITES = ("/api/v1/continuity/stations/holding", "/api/v1/continuity/stations/leases",
                  "/api/v1/continuity/stations/journal")


@pytest.fixture
def station_token(db):
    from lifeline.stations import registry

    return registry.create(name="收费 1 号", department="收费处")[1]


def test_every_write_refuses_a_bad_request_in_the_one_shape_naming_the_field(clients, station_token):
    wrong = []
    for method, path, operation in operations():
        if method not in {"POST", "PUT", "PATCH"}:
            continue
        bad = _bad_body(operation)
        extra = {"HTTP_AUTHORIZATION": f"Bearer {station_token}"} if path.startswith(STATION_WRITES) else {}
        client = Client() if extra else clients["admin"]
        if bad is None:
            answer = call(client, method, path, operation, bad=True, **extra)
        else:
            answer = client.generic(method, _filled(path, operation), bad[0], content_type=bad[1], **extra)
        named = is_error_shape(answer) and any(e["field"] for e in answer.json()["errors"])
        if not (400 <= answer.status_code < 500 and named):
            wrong.append(f"{method} {path}: {answer.status_code} {answer.content[:300]!r}")
    assert not wrong, "\n".join(wrong)


def test_a_refusal_speaks_the_readers_language(clients):
    answer = clients["admin"].post("/api/v1/incidents", data={"plan": "none", "title": ""},
                                   content_type="application/json")
    assert answer.status_code == 400
    assert answer.json() == {"errors": [{"field": "title", "message": "请填写事件标题"}]}
