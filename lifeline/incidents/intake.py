"""Intake (报告受理): a fault report from a department, the hotline, a chat group or the API
is stored with its number. Triage (a report joining an incident) is in lifecycle.

Invariant: a report is valid before it is stored (ValidationError naming each bad field, and
nothing stored), and numbers are unique: a number taken meanwhile by someone else is retried
with the next one. Imports only the models.
"""
from django.db import IntegrityError, transaction
from django.db.models.functions import Length
from django.utils import timezone

from lifeline.core import clock
from lifeline.incidents.models import Report


def submit_report(*, department, description, contact, people_affected=1, workstation="",
                  source=Report.Source.PAGE, reporter=None) -> Report:
    """Store a fault report with its number; raises ValidationError naming each bad field."""
    report = Report(department=(department or "").strip(), description=(description or "").strip(),
                    contact=(contact or "").strip(), people_affected=people_affected,
                    workstation=(workstation or "").strip(), source=source,
                    reporter=reporter if getattr(reporter, "is_authenticated", False) else None,
                    created_at=clock.now())
    report.full_clean(exclude=["number"], validate_unique=False)
    for attempt in range(5):
        report.number = _next_number(report.created_at)
        try:
            with transaction.atomic():
                report.save()
            return report
        except IntegrityError:
            # Someone took the number in the meantime: take the next one.
            report.pk = None
    raise RuntimeError("could not number the report")


def _next_number(at) -> str:
    """BG-<local date>-<sequence of the day>, e.g. BG-20261122-0007."""
    prefix = f"BG-{timezone.localtime(at):%Y%m%d}-"
    last = (Report.objects.filter(number__startswith=prefix)
            .order_by(Length("number").desc(), "-number").values_list("number", flat=True).first())
    sequence = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{sequence:04d}"
