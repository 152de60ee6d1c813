"""Seed 004's whole-network failure driven through the API with an injected clock.

A department reports; duty opens a class 1 incident on the overall fault; at T+30 min the
worker's timers put outpatient charging (收费处) stand-alone and activate its duty card; at
T+3 h the wards go manual with their cards; resolved, closed; the fault analysis report
lists it all in order.
"""
from datetime import timedelta

import pytest
from django.test import Client

from lifeline.accounts.roles import Role
from lifeline.incidents import firing

pytestmark = pytest.mark.django_db

JSON = "application/json"
MANUAL = ["Inpatient billing", "Pharmacy", "Nurse workstation", "Doctor workstation", "Warehouse",
          "Physical examination"]
STAND_ALONE_TEXT = "Outpatient charging enters the stand-alone operation mode."
MANUAL_TEXT = ("Inpatient billing, pharmacy, nurse workstation, doctor workstation, warehouse, physical examination "
               "and other departments switch to manual operation.")


def as_user(make_user, name, role) -> Client:
    client = Client()
    client.force_login(make_user(name, role))
    return client


def post(client, path, body=None):
    answer = client.post(f"/api/v1{path}", body or {}, content_type=JSON)
    assert answer.status_code in (200, 201), answer.content
    return answer.json()


def get(client, path):
    answer = client.get(f"/api/v1{path}")
    assert answer.status_code == 200, answer.content
    return answer.json()


def worker_runs_at(clock, t0, after: timedelta) -> int:
    """Jump the clock to T+after and run the worker's timer job once."""
    clock.freeze(t0 + after)
    return firing.fire_due_timers(clock.now(), "test-worker")


def test_whole_network_failure_runs_the_plan_through_the_api(load_seed, t0, clock, make_user):
    plan = load_seed("004")
    department = as_user(make_user, "charging", Role.DEPARTMENT)
    duty = as_user(make_user, "duty", Role.DUTY)

    report = post(department, "/reports", {"department": "Outpatient charging", "workstation": "Window 3",
                                           "description": "HIS cannot be reached from any window",
                                           "people_affected": 40, "contact": "8021"})
    incident = post(duty, "/incidents", {"plan": plan, "title": "Whole-hospital HIS down", "scope": "whole",
                                         "reports": [report["number"]], "scenario": "overall_fault"})
    assert (incident["level"], incident["level_name"]) == ("class_1", "Class 1 fault (whole hospital)")
    path = f"/incidents/{incident['id']}"

    clock.advance(minutes=5)
    assert post(duty, f"{path}/transition", {"status": "acknowledged"})["status"] == "acknowledged"

    assert worker_runs_at(clock, t0, timedelta(minutes=29)) == 0
    assert worker_runs_at(clock, t0, timedelta(minutes=30)) >= 2
    seen = get(duty, path)
    assert seen["modes"] == {"Outpatient charging": "stand-alone"}
    assert [(c["card"], c["department"], c["activated_at"][:19]) for c in seen["duty_cards"]] == [
        ("outpatient_charging", "Outpatient charging", "2026-11-22T01:30:00")]

    assert worker_runs_at(clock, t0, timedelta(hours=3)) >= 2
    seen = get(duty, path)
    assert seen["modes"] == {"Outpatient charging": "stand-alone", **{d: "manual" for d in MANUAL}}
    assert sorted(c["department"] for c in seen["duty_cards"]) == sorted(["Outpatient charging", *MANUAL])

    clock.advance(minutes=30)
    assert post(duty, f"{path}/transition", {"status": "resolved", "confirmed": True})["status"] == "resolved"
    clock.advance(minutes=30)
    closed = post(duty, f"{path}/transition", {"status": "closed", "confirmed": True})
    assert closed["status"] == "closed"
    assert closed["time_to_resolve_s"] == timedelta(hours=3, minutes=30).total_seconds()

    analysis = get(duty, f"/analysis/incidents/{incident['id']}")
    assert analysis["figures"]["departments"] == ["Outpatient charging"]
    assert analysis["figures"]["reports"] == 1
    texts = [entry["text"] for entry in analysis["timeline"]]

    def first(match) -> int:
        found = [n for n, text in enumerate(texts) if match(text)]
        assert found, f"not on the timeline: {match.__doc__}"
        return found[0]

    def equal(text):
        return lambda t: t == text

    def containing(needle):
        return lambda t: needle in t

    at = {
        "level": first(equal("Incident opened at level Class 1 fault (whole hospital)")),
        "report": first(containing(report["number"])),
        "acknowledged": first(equal("Status reported → acknowledged")),
        "stand-alone": first(equal(STAND_ALONE_TEXT)),
        "charging card": first(equal("Duty card of Outpatient charging activated")),
        "manual": first(equal(MANUAL_TEXT)),
        **{f"{d} card": first(equal(f"Duty card of {d} activated")) for d in MANUAL},
        "resolved": first(equal("Status acknowledged → resolved")),
        "closed": first(equal("Status resolved → closed")),
    }
    assert list(at) == sorted(at, key=at.get)
    times = [entry["at"] for entry in analysis["timeline"]]
    assert (times[at["stand-alone"]], times[at["charging card"]]) == ("2026-11-22 09:30", "2026-11-22 09:30")
    assert (times[at["manual"]], times[at["Pharmacy card"]]) == ("2026-11-22 12:00", "2026-11-22 12:00")
    fired = [(t["at"], t["text"]) for t in analysis["timers"]]
    assert ("2026-11-22 09:30", STAND_ALONE_TEXT) in fired and ("2026-11-22 12:00", MANUAL_TEXT) in fired
