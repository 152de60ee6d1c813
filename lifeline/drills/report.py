"""The drill report's content (演练报告): scenario, timeline, each milestone against its target,
findings, sign-off, and a chart of the hospital's drill timings over the drill's year."""
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from lifeline.core import charts, clock
from lifeline.drills import results, services
from lifeline.drills.models import Drill, Milestone


@dataclass
class Report:
    drill: Drill
    title: str
    scenario: str
    scenario_steps: list[str]
    timeline: list[tuple[datetime, str]]
    milestones: list[results.Result]
    findings: list
    fault: list
    year_chart: charts.Chart
    printed: str


def verdict(result: results.Result, drill: Drill) -> str:
    """A milestone not reached is only missed once the drill is over; before, it is still to come."""
    if result.minutes is None:
        return _("not reached") if drill.status in (Drill.Status.ENDED, Drill.Status.SIGNED) else _("not yet")
    if result.target is None:
        return _("no target")
    if result.met:
        return _("met")
    return _("missed by %(minutes)s min") % {"minutes": f"{result.missed_by:g}"}


def year_chart(year: int) -> charts.Chart:
    """Minutes to each milestone, one column group per drill of the year (drills not yet run left out)."""
    drills = list(Drill.objects.filter(started_at__year=year).order_by("started_at"))
    labels = [timezone.localtime(d.started_at).strftime("%m-%d") for d in drills]
    per_drill = [{r.milestone: r.minutes for r in results.results(d)} for d in drills]
    series = [(str(m.label), [row.get(m.value) for row in per_drill]) for m in Milestone]
    return charts.columns(_("Drill timings %(year)s (minutes from start)") % {"year": year}, labels, series,
                          stacked=False, unit="")


def build(drill: Drill) -> Report:
    if drill.status == Drill.Status.RUNNING:
        services.sync_milestones(drill)
    plan, scenario = services.scenario_of(drill.plan_id, drill.scenario_id)
    timeline = [(e.at, e.text) for e in drill.incident.timeline.all()] if drill.incident else []
    year = timezone.localtime(drill.started_at or drill.planned_at).year
    return Report(drill=drill, title=_("Drill report: %(drill)s") % {"drill": drill.title},
                  scenario=f"{plan.name} · {scenario.name}", scenario_steps=[s.title for s in scenario.steps],
                  timeline=timeline, milestones=results.results(drill), findings=list(drill.findings.all()),
                  fault=list(drill.faults.all()), year_chart=year_chart(year),
                  printed=timezone.localtime(clock.now()).strftime("%Y-%m-%d %H:%M"))
