"""The quarterly inspection report (季度巡检报告, as seed 002 writes it): scope, results,
recommendations, with charts of the automatic items over the quarter. Built once from the
database; printing.py renders it as PDF and DOCX, the page shows the same."""
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from lifeline.core import charts, clock
from lifeline.core.errors import Refused
from lifeline.inspections import services
from lifeline.inspections.models import CheckItem, Result, Round, SparePart

PASS_FAIL_COLOURS = ("#009e73", "#d55e00")  # Okabe-Ito green and vermilion
QUARTER = re.compile(r"^(\d{4})[Qq]([1-4])$")


@dataclass
class Report:
    quarter: str  # 2026Q4
    title: str
    start: date
    end: date
    printed: str
    scope: list[dict] = field(default_factory=list)  # per checklist: frequency, items, rounds due/done/missed
    results: list[dict] = field(default_factory=list)  # per item: passes, fails, last reading
    failures: list[dict] = field(default_factory=list)  # every failed result: when, item, value, note
    recommendations: list[str] = field(default_factory=list)
    figures: list[charts.Chart] = field(default_factory=list)  # charts of the automatic items


def parse_quarter(text: str | None) -> tuple[date, date, str]:
    """"2026Q4" as its first and last day; empty means the current quarter. Refused naming `quarter`."""
    if not text:
        start, end = services.quarter(timezone.localdate(clock.now()))
    else:
        found = QUARTER.match(text.strip())
        if not found or not 2000 <= int(found[1]) <= 2100:
            raise Refused("quarter", _("write a quarter such as 2026Q4"))
        start, end = services.quarter(date(int(found[1]), (int(found[2]) - 1) * 3 + 1, 1))
    return start, end, f"{start.year}Q{(start.month - 1) // 3 + 1}"


def build(quarter: str | None = None) -> Report:
    start, end, key = parse_quarter(quarter)
    rounds = list(Round.objects.filter(period_start__gte=start, period_start__lte=end)
                  .select_related("checklist", "completed_by").order_by("period_start"))
    results = list(Result.objects.filter(round__in=rounds).select_related("item", "round__checklist"))
    report = Report(quarter=key, title=_("Quarterly inspection report %(year)d Q%(q)d")
                    % {"year": start.year, "q": (start.month - 1) // 3 + 1},
                    start=start, end=end, printed=timezone.localtime(clock.now()).strftime("%Y-%m-%d %H:%M"))
    report.scope = _scope(rounds)
    report.results = _results(results)
    report.failures = [{"day": r.round.period_start.isoformat(), "checklist": r.round.checklist.name,
                        "item": r.item.title, "value": _value(r), "note": r.note}
                       for r in sorted(results, key=lambda r: (r.round.period_start, r.item.position)) if not r.passed]
    report.recommendations = _recommendations(report)
    report.figures = _charts(results, start, end)
    return report


def _scope(rounds: list[Round]) -> list[dict]:
    now = clock.now()
    by_checklist: dict = {}
    for r in rounds:
        by_checklist.setdefault(r.checklist, []).append(r)
    return [{"checklist": c.name, "frequency": c.get_frequency_display(), "items": c.items.count(),
             "rounds": len(rs), "done": sum(r.completed_at is not None for r in rs),
             "missed": sum(r.is_overdue(now) for r in rs),
             "by": "、".join(sorted({(r.completed_by.get_full_name() or r.completed_by.username)
                                     for r in rs if r.completed_by}))}
            for c, rs in by_checklist.items()]


def _value(result: Result) -> str:
    if result.reading:
        return result.reading
    return f"{result.value:g} {result.item.unit}" if result.value is not None else ""


def _results(results: list[Result]) -> list[dict]:
    by_item: dict[CheckItem, list[Result]] = {}
    for r in results:
        by_item.setdefault(r.item, []).append(r)
    return [{"checklist": item.checklist.name, "item": item.title, "kind": item.get_kind_display(),
             "passed": sum(r.passed for r in rs), "failed": sum(not r.passed for r in rs),
             "last": _value(max(rs, key=lambda r: r.round.period_start))}
            for item, rs in sorted(by_item.items(), key=lambda kv: (kv[0].checklist.name, kv[0].position))]


def _recommendations(report: Report) -> list[str]:
    found = [_("Find and remove the cause of “%(item)s” (%(checklist)s): failed %(n)d times this quarter.")
             % {"item": row["item"], "checklist": row["checklist"], "n": row["failed"]}
             for row in report.results if row["failed"]]
    found += [_("Do “%(checklist)s” on time: %(n)d rounds were not done by their due time.")
              % {"checklist": row["checklist"], "n": row["missed"]} for row in report.scope if row["missed"]]
    found += [_("Restock %(part)s: %(stock)d in stock, minimum %(minimum)d (%(location)s).")
              % {"part": p.name, "stock": p.quantity, "minimum": p.minimum, "location": p.location}
              for p in SparePart.objects.all() if p.below_minimum]
    return found or [_("Every inspection of the quarter was done and passed: keep the schedule as it is.")]


def _charts(results: list[Result], start: date, end: date) -> list[charts.Chart]:
    """The automatic items: passes and failures per week of the quarter, and per item."""
    automatic = [r for r in results if r.item.kind == CheckItem.Kind.AUTOMATIC]
    weeks = [start + timedelta(days=7 * n) for n in range((end - start).days // 7 + 1)]
    week_of = [min((r.round.period_start - start).days // 7, len(weeks) - 1) for r in automatic]
    per_week = [("pass", [0.0] * len(weeks)), ("fail", [0.0] * len(weeks))]
    for r, w in zip(automatic, week_of, strict=True):
        per_week[0 if r.passed else 1][1][w] += 1
    names = sorted({r.item.title for r in automatic})
    per_item = [(label, [float(sum(1 for r in automatic if r.item.title == n and r.passed == ok)) for n in names])
                for label, ok in ((_("pass"), True), (_("fail"), False))]
    by_week = charts.columns(_("Automatic items per week: passed and failed"),
                             [f"{d:%m-%d}" for d in weeks], [(_("pass"), per_week[0][1]),
                                                            (_("fail"), per_week[1][1])], stacked=True)
    by_week.x_labels = by_week.x_labels[::2]  # 13 weeks: every other date keeps the labels apart
    by_item = charts.columns(_("Automatic items: passed and failed"), names, per_item, stacked=True)
    return [_pass_fail_colours(c) for c in (by_week, by_item)]


def _pass_fail_colours(chart: charts.Chart) -> charts.Chart:
    """Passed in green, failed in vermilion (the palette's first two would say orange and red)."""
    colours = dict(zip(charts.PALETTE[:2], PASS_FAIL_COLOURS, strict=True))
    for bar in chart.bars:
        bar.colour = colours.get(bar.colour, bar.colour)
    chart.legend = [(colours.get(colour, colour), name) for colour, name in chart.legend]
    return chart
