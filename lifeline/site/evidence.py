"""The evidence pack (评审材料) an auditor asks for about readiness in a period: each active plan's
binder, the drills run with their reports, inspection rounds and the quarterly reports covering
the period, the backup catalogue and restore runs, incidents with their fault analysis reports,
and the audit log's verification, with an index (index.pdf, index.json) listing every item with
its path in the zip and the checklist items it answers (lifeline.site.evidence_map).

Invariant: the zip is written to a temporary file beside the target and renamed over it only
when complete, so a failure never leaves a half-written pack.
"""
import json
import os
import tempfile
import zipfile
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from lifeline.analysis import printing as analysis_printing
from lifeline.analysis import services as analysis
from lifeline.audit import services as audit
from lifeline.backups.models import BackupJob, RestoreRun
from lifeline.core import clock
from lifeline.core.documents import FONT_STACK
from lifeline.core.errors import Refused
from lifeline.drills import printing as drill_printing
from lifeline.drills import report as drill_report
from lifeline.drills.models import Drill
from lifeline.incidents.models import Incident
from lifeline.inspections import printing as inspection_printing
from lifeline.inspections import report as inspection_report
from lifeline.inspections.models import Round
from lifeline.plans import printing as plan_printing
from lifeline.plans.models import PlanVersion
from lifeline.site.evidence_map import CLAUSES, clauses_of


@dataclass
class Item:
    kind: str  # a key of evidence_map.ANSWERS
    path: str  # inside the zip
    title: str
    facts: dict = field(default_factory=dict)


@dataclass
class Period:
    start: date
    end: date  # inclusive

    @property
    def since(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def until(self) -> datetime:
        """The first moment after the period."""
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))


def parse_period(start: str, end: str) -> Period:
    """Refused naming `from` or `to` when a date does not parse or the period runs backwards."""
    dates = []
    for name, text in (("from", start), ("to", end)):
        try:
            dates.append(date.fromisoformat((text or "").strip()))
        except ValueError:
            raise Refused(name, _("write a date as YYYY-MM-DD, not “%(text)s”") % {"text": text}) from None
    if dates[1] < dates[0]:
        raise Refused("to", _("the period ends before it starts"))
    return Period(*dates)


def write_pack(period: Period, target: Path) -> list[Item]:
    """Build the pack for the period into `target` (replaced only when complete); its items."""
    target = Path(target)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(handle)
    try:
        with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as pack:
            items = []
            for collect in COLLECTORS:
                for item, content in collect(period):
                    pack.writestr(item.path, content)
                    items.append(item)
            pack.writestr("index.json", json.dumps(_index_json(period, items), ensure_ascii=False, indent=2))
            pack.writestr("index.pdf", _index_pdf(period, items))
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return items


def _local(at) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M") if at else "—"


def _plans(period: Period):
    for version in PlanVersion.objects.filter(is_active=True).order_by("plan_id"):
        plan = version.content
        yield Item("plan", f"plans/{version.plan_id}-v{version.number}.pdf", plan.name,
                   {"version": version.number, "plan_version": plan.version, "sha256": version.sha256,
                    "activated_at": _local(version.activated_at),
                    "effective_date": plan.effective_date.isoformat(),
                    "review_date": plan.review_date.isoformat(), "review_due": plan.review_date <= period.end}), \
            plan_printing.render_binder(plan, "pdf")
    yield from _plan_versions(period)


def _plan_versions(period: Period):
    """Every version loaded up to the period's end: the plans' revision history (定期修订)."""
    versions = PlanVersion.objects.filter(loaded_at__lt=period.until).order_by("plan_id", "number")
    rows = [[v.plan_id, f"{v.number}", v.data.get("version", ""), _local(v.loaded_at), _local(v.activated_at),
             _("yes") if v.is_active else _("no"), v.sha256] for v in versions]
    in_period = sum(v.loaded_at >= period.since for v in versions)
    yield Item("plan", "plans/versions.pdf", _("Plan versions"), {"versions": len(rows), "loaded": in_period}), \
        _table_pdf(_("Plan versions"), period, [_("Plan"), _("Version"), _("Version in the plan"), _("Loaded at"),
                                                _("Activated at"), _("Active"), _("SHA-256")], rows)


def _drills(period: Period):
    drills = Drill.objects.filter(started_at__gte=period.since, started_at__lt=period.until).order_by("started_at")
    for drill in drills:
        yield Item("drill", f"drills/{timezone.localtime(drill.started_at):%Y-%m-%d}-{drill.pk}.pdf", drill.title,
                   {"started_at": _local(drill.started_at), "status": drill.get_status_display()}), \
            drill_printing.render(drill_report.build(drill), "pdf")


def _quarters(period: Period) -> list[str]:
    quarters, day = [], date(period.start.year, (period.start.month - 1) // 3 * 3 + 1, 1)
    while day <= period.end:
        quarters.append(f"{day.year}Q{(day.month - 1) // 3 + 1}")
        day = date(day.year + (day.month + 2) // 12, (day.month + 2) % 12 + 1, 1)
    return quarters


def _inspections(period: Period):
    rounds = Round.objects.filter(period_start__gte=period.start, period_start__lte=period.end) \
        .select_related("checklist").order_by("period_start", "checklist__name") \
        .annotate(checked=Count("results"), failed=Count("results", filter=Q(results__passed=False)))
    rows = [[r.checklist.name, f"{r.period_start:%Y-%m-%d}", f"{r.period_end:%Y-%m-%d}", _local(r.due_at),
             _local(r.completed_at), f"{r.checked}", f"{r.failed}"] for r in rounds]
    done = sum(r.completed_at is not None for r in rounds)
    yield Item("inspection", "inspections/rounds.pdf", _("Inspection rounds"), {"rounds": len(rows), "done": done}), \
        _table_pdf(_("Inspection rounds"), period, [pgettext("evidence pack", "Checklist"), _("Period from"),
                                                    _("Period to"), _("Due at"), _("Completed at"),
                                                    _("Items checked"), _("Items failed")], rows)
    for quarter in _quarters(period):
        report = inspection_report.build(quarter)
        yield Item("inspection", f"inspections/quarterly-{quarter}.pdf", report.title, {"quarter": quarter}), \
            inspection_printing.render(report, "pdf")


def _backups(period: Period):
    jobs = BackupJob.objects.select_related("system").order_by("system__name", "name")
    rows = [[j.system.name, j.name, j.get_kind_display(), j.schedule_text or f"{j.every_hours} h",
             j.get_state_display(), _local(j.last_run_at), f"{j.system.rpo_minutes}", f"{j.system.rto_minutes}"]
            for j in jobs]
    yield Item("backup", "backups/catalogue.pdf", _("Backup catalogue"), {"jobs": len(rows)}), \
        _table_pdf(_("Backup catalogue"), period, [_("System"), _("Job"), _("Kind"), _("Schedule"), _("State"),
                                                   _("Last run"), _("RPO (min)"), _("RTO (min)")], rows)
    runs = RestoreRun.objects.filter(started_at__gte=period.since, started_at__lt=period.until) \
        .select_related("test__destination__job__system").order_by("started_at")
    rows = [[r.test.name, _local(r.started_at), r.get_status_display(),
             "—" if r.minutes is None else f"{r.minutes:.1f}", f"{r.test.destination.job.system.rto_minutes}",
             _within_rto(r), r.backup_name] for r in runs]
    passed = sum(r.status == RestoreRun.Status.PASSED for r in runs)
    yield Item("restore", "backups/restore-runs.pdf", _("Restore tests"), {"runs": len(rows), "passed": passed}), \
        _table_pdf(_("Restore tests"), period, [_("Restore test"), _("Started at"), pgettext("evidence pack", "Result"),
                                                _("Restore time (min)"), _("RTO objective (min)"),
                                                _("Within RTO"), pgettext("evidence pack", "Backup")], rows)


def _within_rto(run: RestoreRun) -> str:
    """Only a passed run's time counts against the objective: a failed restore recovered nothing."""
    if run.status != RestoreRun.Status.PASSED or run.minutes is None:
        return "—"
    return _("yes") if run.minutes <= run.test.destination.job.system.rto_minutes else _("no")


def _incidents(period: Period):
    incidents = Incident.objects.filter(is_drill=False, opened_at__gte=period.since, opened_at__lt=period.until) \
        .order_by("opened_at")
    for incident in incidents:
        report = analysis.build(incident)
        yield Item("incident", f"incidents/{incident.pk}-analysis.pdf", f"#{incident.pk} {incident.title}",
                   {"opened_at": _local(incident.opened_at), "status": incident.get_status_display(),
                    "analysis_written": report.analysis.pk is not None}), analysis_printing.render(report, "pdf")


def _audit(period: Period):
    result = audit.verify()
    if result.ok:
        verdict = _("Chain intact: %(checked)d entries checked") % {"checked": result.checked}
    else:
        verdict = _("Chain BROKEN at entry %(seq)s: %(reason)s (%(checked)d entries before it intact)") % {
            "seq": result.broken_seq or "—", "reason": result.reason, "checked": result.checked}
    last = result.last_anchor
    item = Item("audit", "audit/verification.txt", verdict,
                {"ok": result.ok, "checked": result.checked, "broken_seq": result.broken_seq,
                 "reason": result.reason, "head_hash": result.head_hash,
                 "anchored_through": last.seq if last else None, "unanchored": result.unanchored})
    lines = [verdict, *_facts(item), _("%(label)s: %(value)s") % {"label": _("Verified at"),
                                                                   "value": _local(clock.now())}]
    yield item, "\n".join([*lines, ""]).encode()


COLLECTORS = [_plans, _drills, _inspections, _backups, _incidents, _audit]


def _index_json(period: Period, items: list[Item]) -> dict:
    return {"from": period.start.isoformat(), "to": period.end.isoformat(), "built_at": _local(clock.now()),
            "items": [{**asdict(item), "clauses": [f"{c.source} {c.number}" for c in clauses_of(item.kind)]}
                      for item in items]}


def _table_pdf(title: str, period: Period, header: list[str], rows: list[list[str]]) -> bytes:
    return _pdf("site/evidence/table.html", {"title": title, "period": period, "header": header, "rows": rows})


def _index_pdf(period: Period, items: list[Item]) -> bytes:
    clauses = {clause: [] for clause in CLAUSES}  # every checklist item, answered in this period or not
    for item in items:
        for clause in clauses_of(item.kind):
            clauses[clause].append(item.path)
    return _pdf("site/evidence/index.html", {"period": period, "built_at": _local(clock.now()),
                                             "audit": [i.title for i in items if i.kind == "audit"],
                                             "items": [(i, _facts(i), clauses_of(i.kind)) for i in items],
                                             "clauses": list(clauses.items())})


# What the index PDF calls each fact of an item (index.json keeps the keys).
FACT_LABELS = {
    "version": gettext_lazy("Version"), "plan_version": gettext_lazy("Version in the plan"),
    "sha256": gettext_lazy("SHA-256"), "effective_date": gettext_lazy("Effective date"),
    "review_date": gettext_lazy("Review date"), "review_due": gettext_lazy("Review due"),
    "activated_at": gettext_lazy("Activated at"), "analysis_written": gettext_lazy("Fault analysis written"),
    "started_at": gettext_lazy("Started at"), "opened_at": gettext_lazy("Opened at"),
    "status": gettext_lazy("Status"), "quarter": gettext_lazy("Quarter"),
    "versions": gettext_lazy("Versions"), "loaded": gettext_lazy("Loaded in the period"),
    "rounds": gettext_lazy("Rounds in the period"), "done": gettext_lazy("Done"), "jobs": gettext_lazy("Jobs"),
    "runs": gettext_lazy("Restore runs"), "passed": gettext_lazy("Passed"), "ok": gettext_lazy("Chain intact"),
    "checked": gettext_lazy("Entries checked"), "broken_seq": gettext_lazy("First bad entry"),
    "reason": gettext_lazy("Reason"), "head_hash": gettext_lazy("Head hash"),
    "anchored_through": gettext_lazy("Anchored through entry"),
    "unanchored": gettext_lazy("Newer entries not anchored yet"),
}


def _facts(item: Item) -> list[str]:
    shown = {True: _("yes"), False: _("no"), None: "—"}
    return [_("%(label)s: %(value)s") % {"label": FACT_LABELS[key],
                                         "value": shown[value] if isinstance(value, bool | None) else value}
            for key, value in item.facts.items() if value != ""]


def _pdf(template: str, context: dict) -> bytes:
    from weasyprint import HTML

    return HTML(string=render_to_string(template, {"font_stack": FONT_STACK, **context})).write_pdf()
