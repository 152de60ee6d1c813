"""The outbox (发件箱): every message about an incident is first a row here; lifeline.notify
delivers the rows (Apprise, retries, fallback, acknowledgement links).

Delivery dedupe: each row has a dedupe key, `<incident id>:<cause>`, unique in the table;
writing the same cause for the same person again returns the row already there, so a timer
re-run or a repeated status change never messages anyone twice. A drill's subjects carry
DRILL_MARK. Rows are written in the caller's transaction: rolled back with it, or committed
with the action that caused them. A leaf: imports only the models.
"""
from django.utils.translation import gettext as _

from lifeline.core import clock
from lifeline.incidents.models import DRILL_MARK, Incident, OutboxMessage
from lifeline.people.models import Member


def page_body(incident: Incident) -> str:
    """The one-line summary under every page: number, title, level, status."""
    level = incident.level
    return f"#{incident.pk} {incident.title} · {level.name if level else incident.level_id} · {incident.status}"


def write(incident, member, role, subject, body, dedupe_key, contact="", channels=()) -> OutboxMessage:
    """One message in the outbox; the same cause for the same person is written once.

    `member` may be None for a reporter without a member record: `contact` is then the
    address they left on their report. `channels` are the plan's channels to prefer (a
    level's `channels`), in order; lifeline.notify tries the member's matching ones first.
    """
    prefix = DRILL_MARK if incident.is_drill else ""
    message, _created = OutboxMessage.objects.get_or_create(
        dedupe_key=f"{incident.pk}:{dedupe_key}"[:200],
        defaults={"incident": incident, "member": member, "contact": contact, "role": role or "",
                  "subject": f"{prefix}{subject}"[:300], "body": body, "created_at": clock.now(),
                  "channels": list(channels)})
    return message


def tell_reporters(incident: Incident, note: str = ""):
    """Tell everyone who reported into the incident its new status: their member record if
    their login has one, else the contact they left on the report (the outbox's `contact`)."""
    members = {m.user_id: m for m in Member.objects.filter(user__fault_reports__incident=incident).distinct()}
    subject = _("Your report %(number)s: the incident is now %(status)s")
    for report in incident.reports.all():
        member = members.get(report.reporter_id)
        text = subject % {"number": report.number, "status": incident.get_status_display()}
        body = f"{page_body(incident)}\n{note}" if note else page_body(incident)
        write(incident, member, "reporter", text, body, f"report:{report.number}:{incident.status}",
              contact="" if member else report.contact)
