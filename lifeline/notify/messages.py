"""The text people receive, from the templates in notify/templates/notify/.

A message is written when it is sent, not when the incident queued it, so the elapsed
time and the next step are those of the moment it goes out. It is in the language of the
incident's plan (Chinese unless the plan is English), like the incident's timeline.
The first line is the subject; a drill's starts with 【演练】, exactly once.
"""
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from lifeline.core import clock
from lifeline.incidents.models import DRILL_MARK, ChecklistItem, OutboxMessage
from lifeline.incidents.wording import in_plan_language, role_title
from lifeline.notify import links

# A message says what to do next, not the whole checklist: WeCom takes 2048 characters at most.
STEPS_SHOWN = 3
REPORTER_ROLE = "reporter"


@dataclass
class Text:
    subject: str
    body: str


def subject_of(message: OutboxMessage) -> str:
    subject = message.subject.strip()
    if message.incident.is_drill:
        return DRILL_MARK + subject.removeprefix(DRILL_MARK)
    return subject


def elapsed(seconds: float) -> str:
    minutes = max(int(seconds // 60), 0)
    if minutes < 60:
        return _("%(minutes)d min") % {"minutes": minutes}
    return _("%(hours)d h %(minutes)d min") % {"hours": minutes // 60, "minutes": minutes % 60}


def next_steps(incident) -> list[tuple[str, str]]:
    """The next open checklist steps with who does them; without a checklist, the level's actions."""
    items = incident.checklist.filter(status=ChecklistItem.Status.OPEN).order_by("order")[:STEPS_SHOWN]
    steps = [(item.title, role_title(incident, item.owner_role) if item.owner_role else "") for item in items]
    if not steps and incident.level:
        steps = [(action, "") for action in incident.level.actions[:STEPS_SHOWN]]
    return steps


def duty_card(incident, member):
    """The duty card activated for the member's own department, if any."""
    if member is None or not member.department:
        return None
    activation = incident.duty_cards.filter(department=member.department).first()
    return next((c for c in incident.plan.duty_cards if activation and c.id == activation.card_id), None)


def compose(message: OutboxMessage) -> Text:
    incident = message.incident
    member = message.member
    subject = subject_of(message)
    # The timers write the incident in one line; anything after it is a note for the recipient.
    note = "\n".join(message.body.splitlines()[1:]).strip()
    with in_plan_language(incident):
        context = {
            "subject": subject, "incident": incident, "note": note,
            "level": incident.level.name if incident.level else incident.level_id,
            "status": incident.get_status_display(),
            "scenario": incident.scenario.name if incident.scenario else "",
            "services": "、".join(incident.services),
            "elapsed": elapsed((clock.now() - incident.opened_at).total_seconds()),
        }
        if message.role == REPORTER_ROLE:
            body = render_to_string("notify/report_news.txt", context)
        else:
            context.update(steps=next_steps(incident), card=duty_card(incident, member),
                           ack_url=links.url(incident, member) if member and incident.is_open else "",
                           ack_hours=f"{links.max_age().total_seconds() / 3600:g}")
            body = render_to_string("notify/page.txt", context)
    return Text(subject, body.strip())


def check_text() -> Text:
    subject = _("Lifeline test message")
    return Text(subject, f"{subject}\n" + _("If you can read this, the channel works. Nothing needs doing."))
