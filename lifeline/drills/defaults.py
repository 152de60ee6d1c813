"""A drill's default targets, read from its plan's scenario (minutes from the drill's start).

- detected: the scenario's first step (快速识别, e.g. seed 001's "1分钟内完成三步核查");
- acknowledged: the level's response time (sla.respond), where the plan gives one;
- emergency mode: the first later step of the respond phase with a deadline (seed 001's
  network outage: 5 minutes to the backup line);
- core business restored: a recover-phase step's deadline, else the level's resolve time,
  else RESTORE_MINUTES.
"""
from dataclasses import dataclass

from lifeline.plans import schema

# Seed 001's 考核标准: "核心业务30分钟内恢复"; only when the plan names no restore deadline.
RESTORE_MINUTES = 30


@dataclass(frozen=True)
class Targets:
    detect: int | None
    acknowledge: int | None
    emergency: int | None
    restore: int | None
    emergency_step: str = ""  # the step whose completion is the switch to emergency mode


def _minutes(duration: str | None) -> int | None:
    return None if duration is None else int(schema.to_timedelta(duration).total_seconds() // 60)


def for_scenario(plan: schema.Plan, scenario: schema.Scenario) -> Targets:
    level = next((lv for lv in plan.levels if lv.id == scenario.level), None)
    sla = level.sla if level else None
    steps = scenario.steps
    detect = _minutes(steps[0].due) if steps and steps[0].due else None
    switch = next((s for s in steps[1:] if s.due and s.phase == "respond"), None)
    recover = next((s for s in steps if s.due and s.phase == "recover"), None)
    restore = _minutes(recover.due) if recover else _minutes(sla.resolve) if sla and sla.resolve else RESTORE_MINUTES
    return Targets(detect=detect, acknowledge=_minutes(sla.respond) if sla and sla.respond else None,
                   emergency=_minutes(switch.due) if switch else None, restore=restore,
                   emergency_step=switch.id if switch else "")
