"""Overdue follow-ups page their owner, then the commander (a worker job, see tasks.py).

A follow-up is overdue from the day after its due date (`FollowUp.objects.overdue(today)`,
as the pages show it). The worker pages its owner once (`owner_paged_at`); one still open
COMMANDER_AFTER later pages the incident's commander once (`commander_paged_at`). A
follow-up owned by a vendor, with no member to page, goes to the commander at once. Each
page is on the incident's timeline, in its plan's language.

Follow-ups are counted in days, not minutes, so the commander hears a day after the owner,
not after the plan's escalation interval (meant for the first hours of an incident).

Each follow-up is claimed with SELECT … FOR UPDATE SKIP LOCKED, and its page, its timeline
entry and its mark are written in one transaction: several workers, or a worker killed at
any moment, never page anyone twice for it.
"""
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lifeline.analysis.models import FollowUp
from lifeline.core import clock
from lifeline.incidents.escalation import commander
from lifeline.incidents.models import TimelineEntry
from lifeline.incidents.outbox import page_body, write
from lifeline.incidents.timeline import record
from lifeline.incidents.wording import in_plan_language

COMMANDER_AFTER = timedelta(days=1)
# At most this many follow-ups per run, so the worker's other jobs get their turn.
LIMIT = 200


def page_overdue(now=None, worker_name: str = "", limit: int = LIMIT) -> int:
    """Page the owners (then the commanders) of overdue follow-ups; returns how many pages."""
    now = now or clock.now()
    by = worker_name or "worker"
    today = timezone.localdate(now)
    owners = FollowUp.objects.overdue(today).filter(owner_paged_at__isnull=True)
    commanders = FollowUp.objects.open().filter(owner_paged_at__lte=now - COMMANDER_AFTER,
                                                commander_paged_at__isnull=True)
    done = 0
    for waiting, stage in ((owners, "owner"), (commanders, "commander")):
        while done < limit:
            with transaction.atomic():
                # Only the follow-up is locked: its owner is the nullable side of an outer join.
                follow_up = (waiting.select_for_update(skip_locked=True, of=("self",))
                             .select_related("incident", "owner").order_by("due_on", "pk").first())
                if follow_up is None:
                    break
                _page(follow_up, stage, now, by)
            done += 1
    return done


def _page(follow_up: FollowUp, stage: str, now, by: str):
    incident = follow_up.incident
    with in_plan_language(incident):
        facts = {"title": follow_up.title, "due": follow_up.due_on.isoformat(), "owner": follow_up.owner_name}
        if stage == "owner" and follow_up.owner is not None:
            role, member = "owner", follow_up.owner
            subject = _("Follow-up overdue: %(title)s (due %(due)s)") % facts
            said = _("Follow-up overdue, paged its owner %(member)s: %(title)s")
        else:
            role, member = commander(incident)
            subject = _("Follow-up still open after its due date: %(title)s (due %(due)s, %(owner)s)") % facts
            said = _("Follow-up overdue, paged the commander %(member)s: %(title)s")
        if member is None:
            record(incident, TimelineEntry.Kind.PAGE, _("Follow-up overdue, nobody on duty to page: %(title)s")
                   % facts, by, follow_up=follow_up.pk, stage=stage)
        else:
            write(incident, member, role, subject, page_body(incident),
                  f"overdue:follow_up:{follow_up.pk}:{stage}:{member.pk}")
            record(incident, TimelineEntry.Kind.PAGE, said % {"member": member, "title": follow_up.title}, by,
                   follow_up=follow_up.pk, stage=stage, member=member.pk)
    # Without a member as owner, the commander was paged at the first stage: that is both.
    if stage == "owner":
        follow_up.owner_paged_at = now
    if stage == "commander" or follow_up.owner is None:
        follow_up.commander_paged_at = now
    follow_up.save(update_fields=["owner_paged_at", "commander_paged_at"])
