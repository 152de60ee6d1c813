"""A snapshot build's page (under /continuity/builds/<id>/): what it read per entity, why it failed
or was refused, rows stamped ahead of the HIS's clock, drift, and every row it left out or value
it emptied, page by page and as CSV or Excel for the HIS team to fix their data. Readers of the
continuity page read it."""
import csv
import io

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from lifeline.accounts.permissions import can_read
from lifeline.core import spreadsheets
from lifeline.snapshots import builder
from lifeline.snapshots.models import BuildProblem, SnapshotBuild

PAGE_SIZE = 200
EXPORTS = ("csv", "xlsx")


@can_read.page
def build(request, build_id: int):
    record = get_object_or_404(SnapshotBuild, pk=build_id)
    problems = record.problems.all()
    outcome = request.GET.get("outcome", "")
    if outcome in BuildProblem.Outcome.values:
        problems = problems.filter(outcome=outcome)
    page = Paginator(problems, PAGE_SIZE).get_page(request.GET.get("page"))
    entities = [{"name": name, "rows": record.row_counts.get(name), "deleted": record.deleted_counts.get(name),
                 "total": total, "ahead": (record.watermark_ahead or {}).get(name),
                 "drift": (record.drift or {}).get(name)}
                for name, total in record.total_counts.items()]
    return render(request, "snapshots/build.html", {
        "record": record, "entities": entities, "page": page,
        "summary": [{**item, "label": BuildProblem.Outcome(item["outcome"]).label} for item in record.problem_summary],
        "outcome": outcome, "outcomes": BuildProblem.Outcome.choices, "kept": record.problems.count(),
        "found": sum(item["count"] for item in record.problem_summary),
        "limit": builder.PROBLEMS_KEPT, "query": f"outcome={outcome}" if outcome else "",
        "ahead": {name: a for name, a in (record.watermark_ahead or {}).items() if a.get("rows") or a.get("since_was")},
        "drifted": {name: d for name, d in (record.drift or {}).items() if d["keys"]}})


@can_read.page
def export_problems(request, build_id: int, fmt: str):
    """Every problem kept for the build, as CSV (UTF-8 with a byte-order mark, so Excel reads the
    Chinese) or Excel (through core.spreadsheets)."""
    if fmt not in EXPORTS:
        raise Http404(_("unknown format"))
    record = get_object_or_404(SnapshotBuild, pk=build_id)
    header = [_("entity"), _("row key"), _("field"), _("outcome"), _("reason")]
    labels = dict(BuildProblem.Outcome.choices)
    rows = ((p.entity, p.key, p.field, str(labels.get(p.outcome, p.outcome)), p.reason)
            for p in record.problems.order_by("id").iterator(chunk_size=2000))
    name = f"snapshot-build-{record.pk}-problems.{fmt}"
    if fmt == "xlsx":
        response = HttpResponse(spreadsheets.write_xlsx(_("Problems"), header, rows),
                                content_type=spreadsheets.XLSX_TYPE)
    else:
        response = HttpResponse(csv_text(header, rows).encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def csv_text(header, rows) -> str:
    """CSV whose cells cannot be formulas: text a spreadsheet would run (=, +, -, @ first) starts
    with an apostrophe, as Excel itself shows such text."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in [header, *rows]:
        writer.writerow(["'" + value if isinstance(value, str) and spreadsheets.looks_like_formula(value) else value
                         for value in map(spreadsheets.safe_value, row)])
    return out.getvalue()
