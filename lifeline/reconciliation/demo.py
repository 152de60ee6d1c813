"""The demo hospital's reconciliation of this morning's downtime (lifeline.recovery.demo): the
incident the command centre ran for it under seed 003's plan (both database servers down,
resolved), its reconciliation not yet signed off, and the emergency department's handwritten
registration slips collected, half of them entered back. Idempotent: loads once."""
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model

from lifeline.core import clock
from lifeline.incidents import lifecycle
from lifeline.incidents.models import Incident
from lifeline.plans.models import PlanVersion
from lifeline.reconciliation import paper, services
from lifeline.reconciliation.models import PaperForm, Reconciliation
from lifeline.recovery.models import ReceivedEvent

PLAN, SCENARIO, LEVEL = "general_hospital_his", "db_cluster_both_down", "level_2"
TITLE = "HIS数据库服务器故障，门诊启用应急工作站"
COMMANDER = "lijianguo"  # people.demo's commander (信息中心主任)
SLIPS = 4  # the emergency department's slips collected; the first half entered
EMERGENCY_DEPARTMENT = "急诊科"


def load_demo(start: datetime, end: datetime) -> dict:
    """The incident start..end, its reconciliation and the paper bundle (once; the found one after)."""
    found = Reconciliation.objects.filter(incident__title=TITLE).first()
    if found is None:
        if not PlanVersion.objects.filter(plan_id=PLAN, is_active=True).exists():
            return {}
        commander = get_user_model().objects.filter(username=COMMANDER).first()
        found = services.create(commander, incident=_incident(start, end, commander))
        _paper(start, commander)
    return {"reconciliation": str(found), "paper": paper.left_per_department()}


def _incident(start: datetime, end: datetime, commander) -> Incident:
    """Opened, acknowledged and resolved at the downtime's times (the clock set back meanwhile,
    so the timeline reads as it happened; after, the clock is as it was)."""
    with clock.restored():
        clock.freeze(start)
        incident = lifecycle.open_incident(plan_id=PLAN, title=TITLE, scenario_id=SCENARIO, level_id=LEVEL,
                                           user=commander)
        clock.freeze(start + timedelta(minutes=4))
        lifecycle.transition(incident, "acknowledged", user=commander)
        clock.freeze(end)
        lifecycle.transition(incident, "resolved", user=commander, note="数据库主库恢复，HIS恢复使用",
                             confirmed=True)
    return Incident.objects.get(pk=incident.pk)


def _paper(start: datetime, commander):
    """The emergency department registered on paper (its own window had no station): slips for
    patients the HIS knows, at the clinic and fee the stations registered at."""
    registrations = [event.payload for event in ReceivedEvent.objects.filter(kind="registration")
                     .order_by("station", "seq")[:SLIPS // 2]]
    if not registrations:
        return
    bundle = paper.collect(commander, EMERGENCY_DEPARTMENT, PaperForm.REGISTRATION_SLIP, SLIPS)
    for serial, visit in enumerate(registrations, start=1):
        paper.enter(bundle, commander, {
            "serial": str(serial), "recorded_at": start + timedelta(minutes=10 * serial), "operator": "JZ01",
            "card_no": visit["card_no"], "department_code": visit["department_code"],
            "doctor_code": visit["doctor_code"], "fee": visit["fee"]})
