"""Each milestone against its target: minutes from the drill's start, met or missed by how much."""
from dataclasses import dataclass
from datetime import datetime

from lifeline.drills.models import Drill, Milestone


@dataclass(frozen=True)
class Result:
    milestone: str
    label: str
    target: int | None  # minutes
    at: datetime | None
    minutes: float | None  # from the drill's start
    source: str

    @property
    def met(self) -> bool | None:
        """None: not reached, or nothing to measure against."""
        if self.minutes is None or self.target is None:
            return None
        return self.minutes <= self.target

    @property
    def missed_by(self) -> float | None:
        return round(self.minutes - self.target, 1) if self.met is False else None


def results(drill: Drill) -> list[Result]:
    records = {r.milestone: r for r in drill.milestones.all()}
    found = []
    for milestone in Milestone:
        record = records.get(milestone.value)
        minutes = (round((record.at - drill.started_at).total_seconds() / 60, 1)
                   if record and drill.started_at else None)
        found.append(Result(milestone.value, str(milestone.label), drill.target(milestone.value),
                            record.at if record else None, minutes,
                            record.get_source_display() if record else ""))
    return found
