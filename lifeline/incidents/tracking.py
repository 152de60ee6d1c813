"""上线问题跟踪表 (seed 000) and the command dashboard: read-side queries for the incident pages.

Built for many rows: filters hit indexed columns, a page of rows costs a fixed number of
queries (prefetches, no per-row lookups), and each plan version is parsed once per request.
"""
from dataclasses import dataclass
from datetime import datetime, time

from django.db.models import Count, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from lifeline.core import clock
from lifeline.core.errors import Problem
from lifeline.core.spreadsheets import XLSX_TYPE, write_xlsx  # noqa: F401 (the views and the API name it here)
from lifeline.incidents.models import (
    Assignment,
    ChecklistItem,
    DutyCardActivation,
    Incident,
    Report,
    TimelineEntry,
    Timer,
)
from lifeline.plans.models import PlanVersion

# The dashboard shows at most this many open incidents (newest first): more is not a dashboard.
BOARD_LIMIT = 100


def share_plans(incidents):
    """Give the incidents one parsed plan per plan version (loaded once, without its YAML source)."""
    ids = {i.plan_version_id for i in incidents}
    versions = PlanVersion.objects.defer("source").in_bulk(ids)
    for incident in incidents:
        incident.plan_version = versions[incident.plan_version_id]
    return incidents


def vendor_roles(plan) -> dict[str, str]:
    """The plan's vendor roles (`vendor: true`: 承建单位, 厂商, 运营商), id → title, in the plan's order."""
    return {r.id: r.title for r in plan.roles if r.vendor}


def _holders():
    return Prefetch("assignments", to_attr="holders",
                    queryset=Assignment.objects.filter(ends_at__isnull=True).select_related("member"))


# --- the tracking table ------------------------------------------------------------------

@dataclass
class Filters:
    status: str = ""  # a status, "open" or "untriaged" (reports nobody has triaged yet)
    category: str = ""
    level: str = ""
    since: datetime | None = None
    until: datetime | None = None
    drill: str = ""  # "": all, "only", "none"

    @classmethod
    def from_query(cls, query) -> tuple["Filters", list[Problem]]:
        """Filters from a GET query; unreadable values are dropped and named in the errors."""
        errors = []
        status = query.get("status", "")
        if status and status not in ("open", "untriaged", *Incident.Status.values):
            errors.append(Problem("status", _("unknown status %(status)s") % {"status": status}))
            status = ""
        drill = query.get("drill", "")
        if drill not in ("", "only", "none"):
            errors.append(Problem("drill", _("use only or none")))
            drill = ""
        days = {}
        for name, at in (("since", time.min), ("until", time.max)):
            text = query.get(name, "")
            try:
                days[name] = timezone.make_aware(datetime.combine(datetime.strptime(text, "%Y-%m-%d"), at)) \
                    if text else None
            except ValueError:
                errors.append(Problem(name, _("%(value)s is not a date like 2026-11-22") % {"value": text}))
                days[name] = None
        return cls(status, query.get("category", ""), query.get("level", ""), drill=drill, **days), errors

    def incidents(self):
        found = Incident.objects.all()
        if self.status == "open":
            found = found.open()
        elif self.status == "untriaged":
            return found.none()
        elif self.status:
            found = found.filter(status=self.status)
        if self.category:
            found = found.filter(category_id=self.category)
        if self.level:
            found = found.filter(level_id=self.level)
        if self.drill:
            found = found.filter(is_drill=self.drill == "only")
        return found.filter(**self._dates("opened_at"))

    def untriaged(self):
        """Reports not yet in an incident: shown unless the filters ask for incident facts."""
        if (self.status and self.status != "untriaged") or self.category or self.level or self.drill == "only":
            return Report.objects.none()
        return Report.objects.filter(incident__isnull=True, **self._dates("created_at"))

    def _dates(self, field):
        found = {}
        if self.since:
            found[f"{field}__gte"] = self.since
        if self.until:
            found[f"{field}__lte"] = self.until
        return found


def with_row_data(incidents):
    """What a tracking row needs, fetched in a fixed number of queries for any number of rows."""
    return incidents.prefetch_related(
        _holders(),
        Prefetch("reports", queryset=Report.objects.only("number", "department", "incident_id")),
        "commitments",
        Prefetch("timeline", to_attr="outcome", queryset=TimelineEntry.objects.filter(
            kind=TimelineEntry.Kind.STATUS, data__new__in=Incident.Status.finished())))


def incident_row(incident) -> dict:
    plan = incident.plan
    category = next((c for c in plan.problem_categories if c.id == incident.category_id), None)
    holders = {a.role: a.member.name for a in incident.holders}
    commitments = {c.role: c.repair_by for c in incident.commitments.all()}
    vendors = [holders.get(role) or title for role, title in vendor_roles(plan).items()
               if role in holders or role in commitments]
    commitment = max(commitments.values(), default=None)
    return {
        "incident": incident, "number": f"#{incident.pk}", "at": incident.opened_at, "title": incident.title,
        "reports": [r.number for r in incident.reports.all()],
        "departments": sorted({r.department for r in incident.reports.all()}),
        "category": category.name if category else "", "level": incident.level.name if incident.level else "",
        "owner": holders.get(Assignment.Kind.COMMANDER, ""),
        "vendor": ", ".join(vendors),
        "deadline": incident.resolve_by or incident.respond_by,
        # The latest time a vendor gave: when the vendors say it will all be repaired.
        "commitment": commitment,
        "commitment_overdue": bool(commitment and incident.is_open and commitment <= clock.now()),
        "status": incident.get_status_display(),
        "result": resolution(incident.outcome), "is_drill": incident.is_drill,
    }


def resolution(moves) -> str:
    """What was done, in the words IT gave when resolving the incident (else when closing it):
    the note of that move, never the move itself ("状态 已解决 → 已关闭"); "" when none was given."""
    notes = {move.data.get("new"): move.data.get("note", "") for move in sorted(moves, key=lambda m: (m.at, m.pk))}
    return notes.get(Incident.Status.RESOLVED) or notes.get(Incident.Status.CLOSED) or ""


def report_row(report) -> dict:
    return {"incident": None, "number": report.number, "at": report.created_at, "title": report.description,
            "reports": [report.number], "departments": [report.department], "category": "", "level": "",
            "owner": "", "vendor": "", "deadline": None, "commitment": None, "status": _("untriaged"), "result": "",
            "is_drill": False, "commitment_overdue": False}


COLUMNS = [
    ("number", gettext_lazy("No.")), ("at", gettext_lazy("Reported or opened at")), ("title", gettext_lazy("Problem")),
    ("departments", gettext_lazy("Departments")), ("reports", gettext_lazy("Reports")),
    ("category", gettext_lazy("Category")), ("level", gettext_lazy("Level")), ("owner", gettext_lazy("Owner")),
    ("vendor", gettext_lazy("Vendor")), ("deadline", gettext_lazy("Deadline")),
    ("commitment", gettext_lazy("Vendor's committed repair time")), ("status", gettext_lazy("Status")),
    ("result", gettext_lazy("Result")), ("is_drill", gettext_lazy("Drill")),
]


def _cell(value):
    if isinstance(value, list):
        return ", ".join(value)
    if isinstance(value, bool):
        return "演练" if value else ""
    return value


def workbook(filters: Filters) -> bytes:
    """The filtered rows as an .xlsx file: untriaged reports first, then incidents newest first.
    Written by core.spreadsheets: report text never becomes a formula, a control character never
    breaks the file."""
    return write_xlsx(_("Problem tracking"), [str(label) for _key, label in COLUMNS], _rows(filters))


def _rows(filters: Filters):
    for report in filters.untriaged().iterator(chunk_size=2000):
        yield [_cell(report_row(report)[key]) for key, _label in COLUMNS]
    chunk = []
    for incident in with_row_data(filters.incidents()).iterator(chunk_size=2000):
        chunk.append(incident)
        if len(chunk) == 2000:
            yield from _incident_rows(chunk)
            chunk = []
    yield from _incident_rows(chunk)


def _incident_rows(incidents):
    for incident in share_plans(incidents):
        yield [_cell(incident_row(incident)[key]) for key, _label in COLUMNS]


def choices():
    """(categories, levels) of the active plans, as (id, name) pairs for the filter form."""
    categories, levels = {}, {}
    for version in PlanVersion.objects.filter(is_active=True).defer("source"):
        categories.update((c.id, c.name) for c in version.content.problem_categories)
        for lv in version.content.levels:  # each with its plan: plan 004's "Level 1" beside 一级
            levels.setdefault(lv.id, []).append(pgettext("a level with its plan", "%(level)s (%(plan)s)")
                                                % {"level": lv.name, "plan": version.content.name})
    return sorted(categories.items()), sorted((ident, " / ".join(names)) for ident, names in levels.items())


# --- the command dashboard ---------------------------------------------------------------

def board():
    """Open incidents with what the command centre watches, newest first (at most BOARD_LIMIT)."""
    # The open few are found through the status index and sorted here: asked to sort by time,
    # a database that knows most incidents are closed walks the time index through all of them.
    found = Incident.objects.open().order_by().values_list("opened_at", "pk")
    newest = sorted(found, reverse=True)[:BOARD_LIMIT]
    incidents = list(Incident.objects.filter(pk__in=[pk for _at, pk in newest]).prefetch_related(
        _holders(),
        Prefetch("timers", to_attr="pending",
                 queryset=Timer.objects.filter(status=Timer.Status.PENDING).order_by("due_at", "pk")),
        Prefetch("duty_cards", to_attr="waiting_cards",
                 queryset=DutyCardActivation.objects.filter(acknowledged_at__isnull=True)),
    ))
    steps = {row["incident"]: row for row in ChecklistItem.objects.filter(incident__in=incidents).values(
        "incident").annotate(total=Count("pk"), done=Count("pk", filter=~Q(status=ChecklistItem.Status.OPEN)))}
    for incident in share_plans(incidents):
        incident.next_timer = incident.pending[0] if incident.pending else None
        counted = steps.get(incident.pk, {})
        incident.steps, incident.steps_done = counted.get("total", 0), counted.get("done", 0)
    return incidents
