"""Seeding a database for real `lifeline worker` processes (run through `lifeline shell -c`)."""
from datetime import timedelta

from lifeline.core import clock
from lifeline.incidents import lifecycle
from lifeline.incidents.models import Timer
from lifeline.plans import services as plans
from tests.plans.seeds import bundled_file


def seed(incidents: int, timers_each: int, due_in_minutes: float):
    """Seed 004's overall fault `incidents` times, each with `timers_each` extra set-mode timers."""
    plan = plans.load_files([bundled_file("004")])[0].plan_id
    due = clock.now() + timedelta(minutes=due_in_minutes)
    for number in range(incidents):
        incident = lifecycle.open_incident(plan_id=plan, title=f"HIS down {number}", scope="whole",
                                           scenario_id="overall_fault")
        Timer.objects.bulk_create(
            Timer(incident=incident, kind=Timer.Kind.PLAN, key=f"load:{i}", due_at=due,
                  action={"kind": "set_mode", "text": f"Department {i} manual", "mode": "manual",
                          "departments": [f"Department {i}"]})
            for i in range(timers_each))
