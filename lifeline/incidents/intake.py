"""Intake (报告受理): a fault report from a department, the hotline, a chat group or the API
is stored with its number. Triage (a report joining an incident) is in lifecycle.

Invariant: a report is valid before it is stored (ValidationError naming each bad field, and
nothing stored), and numbers are unique: a number taken meanwhile by someone else is retried
with the next one. A report is filed in the reporter's own department (their member record's),
unless the one filing runs incidents (IT on duty or a commander taking a call). Imports only the
models and the policies.
"""
from django.db import IntegrityError, transaction
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.translation import gettext as _

from lifeline.accounts.permissions import can_run_incidents
from lifeline.core import clock
from lifeline.core.errors import Refused
from lifeline.incidents.models import Report
from lifeline.people.models import Member


def submit_report(*, department, description, contact, people_affected=1, workstation="",
                  source=Report.Source.PAGE, reporter=None) -> Report:
    """Store a fault report with its number; raises ValidationError naming each bad field, and
    Refused("department") when department staff file under another department than their own."""
    department = own_department(reporter, department)
    report = Report(department=(department or "").strip(), description=(description or "").strip(),
                    contact=(contact or "").strip(), people_affected=people_affected,
                    workstation=(workstation or "").strip(), source=source,
                    reporter=reporter if getattr(reporter, "is_authenticated", False) else None,
                    created_at=clock.now())
    report.full_clean(exclude=["number"], validate_unique=False)
    for _attempt in range(5):
        report.number = _next_number(report.created_at)
        try:
            with transaction.atomic():
                report.save()
            return report
        except IntegrityError:
            # Someone took the number in the meantime: take the next one.
            report.pk = None
    raise RuntimeError("could not number the report")


def own_department(reporter, department: str) -> str:
    """The department a report is filed under: department staff file under their member record's
    (empty means theirs); IT on duty and commanders (taking calls) file for anyone."""
    department = (department or "").strip()
    if not getattr(reporter, "is_authenticated", False) or can_run_incidents(reporter):
        return department
    own = (Member.objects.filter(user=reporter).values_list("department", flat=True).first() or "").strip()
    if not own:
        return department  # no member record names a department: nothing to hold them to
    if department and department != own:
        raise Refused("department", _("you report for your own department (%(own)s); "
                                      "IT on duty takes reports for other departments") % {"own": own})
    return own


def _next_number(at) -> str:
    """BG-<local date>-<sequence of the day>, e.g. BG-20261122-0007."""
    prefix = f"BG-{timezone.localtime(at):%Y%m%d}-"
    last = (Report.objects.filter(number__startswith=prefix)
            .order_by(Length("number").desc(), "-number").values_list("number", flat=True).first())
    sequence = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{sequence:04d}"
