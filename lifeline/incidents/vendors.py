"""Vendors (承建单位, seed 000): their committed repair times, their share of the open problems,
and telling people when a commitment passes.

A plan marks the roles that outside units hold with `vendor: true` (schema.Role): seed 000's
developers, dependency-system builders and carriers, seed 002's software company. When a
vendor says when it will have a problem repaired (排查问题、编制处理单、进行问题修复，并告知修复时间),
IT on duty records it (`commit`); the tracking table shows it beside the SLA deadline. The
vendor view (`items`, `workbook`) lists every open incident a vendor is on (holding its role,
a commitment, or an open step it owns), overdue first.

A commitment that passes with the incident still open tells the vendor's contact (whoever
holds the vendor role in the incident, else whoever is on duty for it) and the commander, once
(`notify_overdue`, run by the worker); a new time from the vendor may be told once more. Both
are on the timeline.

Lock order, as everywhere in incidents: the incident first (locking.locked), then the
commitment. An action here imports only leaves (models, locking, outbox, roles, timeline,
tracking, wording).
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lifeline.core import clock
from lifeline.core.errors import Refused
from lifeline.core.spreadsheets import write_xlsx
from lifeline.incidents.locking import locked, require_open
from lifeline.incidents.models import Assignment, ChecklistItem, Incident, TimelineEntry, VendorCommitment
from lifeline.incidents.outbox import page_body, write
from lifeline.incidents.roles import find_member, holder, lead_role
from lifeline.incidents.timeline import record
from lifeline.incidents.tracking import share_plans, vendor_roles
from lifeline.incidents.wording import in_plan_language, role_title
from lifeline.plans.models import PlanVersion

# A repair promised further ahead than this is a typing mistake, not a commitment.
LONGEST_COMMITMENT = timedelta(days=366)
NOTE_CHARS = VendorCommitment._meta.get_field("note").max_length
# The worker tells at most this many passed commitments per run; the rest wait for the next.
NOTIFY_LIMIT = 100


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


# --- recording a commitment ----------------------------------------------------------------

@transaction.atomic
def commit(incident: Incident, role: str, repair_by: datetime | None, note: str = "", user=None) -> VendorCommitment:
    """Record (or change) when the vendor in `role` says the problem will be repaired."""
    incident = locked(incident)
    require_open(incident)
    vendors = vendor_roles(incident.plan)
    if role not in vendors:
        known = "、".join(vendors.values())
        raise Refused("role", _("%(role)s is not a vendor role of this plan; its vendor roles are: %(known)s")
                      % {"role": role or "-", "known": known} if known else
                      _("this plan marks no role as a vendor (vendor: true)"))
    now = clock.now()
    if repair_by is None:
        raise Refused("repair_by", _("give the date and time the vendor committed to"))
    if timezone.is_naive(repair_by):
        repair_by = timezone.make_aware(repair_by)
    if repair_by <= now:
        raise Refused("repair_by", _("the committed repair time must be later than now"))
    if repair_by > now + LONGEST_COMMITMENT:
        raise Refused("repair_by", _("the committed repair time must be within a year"))
    note = (note or "").strip()
    if len(note) > NOTE_CHARS:
        raise Refused("note", _("a note holds at most %(max)d characters") % {"max": NOTE_CHARS})
    found = VendorCommitment.objects.select_for_update().filter(incident=incident, role=role).first()
    earlier = found.repair_by if found else None
    if found is None:
        found = VendorCommitment(incident=incident, role=role)
    found.repair_by, found.note, found.recorded_at = repair_by, note, now
    found.recorded_by = user if getattr(user, "is_authenticated", False) else None
    found.overdue_notified_at = None  # a new time is told once more when it too passes
    found.save()
    with in_plan_language(incident):
        names = {"vendor": role_title(incident, role), "at": _when(repair_by)}
        if earlier is None:
            text = _("%(vendor)s commits to repair by %(at)s") % names
        else:
            text = _("%(vendor)s changes its committed repair time from %(before)s to %(at)s") % {
                **names, "before": _when(earlier)}
        text = _("%(text)s: %(note)s") % {"text": text, "note": note} if note else text
        record(incident, TimelineEntry.Kind.VENDOR, text, user,
               role=role, repair_by=repair_by.isoformat(), before=earlier.isoformat() if earlier else None)
    return found


# --- a commitment passes -------------------------------------------------------------------

def notify_overdue(now: datetime | None = None, by: str = "worker", limit: int = NOTIFY_LIMIT) -> int:
    """Tell the vendor's contact and the commander about each commitment that passed while its
    incident is open, once each (each in its own transaction); returns how many were told."""
    now = now or clock.now()
    due = (VendorCommitment.objects.filter(overdue_notified_at__isnull=True, repair_by__lte=now,
                                           incident__status__in=_OPEN)
           .order_by("repair_by", "pk").values_list("pk", "incident_id")[:limit])
    told = 0
    for pk, incident_id in list(due):
        with transaction.atomic():
            incident = locked(Incident(pk=incident_id))
            commitment = (VendorCommitment.objects.select_for_update(skip_locked=True)
                          .filter(pk=pk, overdue_notified_at__isnull=True, repair_by__lte=now).first())
            if commitment is None or not incident.is_open:
                continue  # another worker told it, the vendor gave a new time, or the incident is over
            _tell_overdue(incident, commitment, by)
            commitment.overdue_notified_at = now
            commitment.save(update_fields=["overdue_notified_at"])
            told += 1
    return told


_OPEN = [s for s in Incident.Status.values if s not in Incident.Status.finished()]


def _tell_overdue(incident: Incident, commitment: VendorCommitment, by: str):
    role = commitment.role
    commander = holder(incident, Assignment.Kind.COMMANDER)
    lead = lead_role(incident)
    recipients = [(role, holder(incident, role) or find_member(role)),
                  (Assignment.Kind.COMMANDER if commander else lead, commander or find_member(lead))]
    with in_plan_language(incident):
        vendor = role_title(incident, role)
        subject = _("%(vendor)s has not repaired #%(number)s by the committed time %(at)s") % {
            "vendor": vendor, "number": incident.pk, "at": _when(commitment.repair_by)}
        body = f"{page_body(incident)}\n{commitment.note}" if commitment.note else page_body(incident)
        told, nobody = [], []
        for as_role, member in recipients:
            title = _role_name(incident, as_role)
            if member is None:
                nobody.append(title)
                continue
            write(incident, member, as_role, subject, body,
                  f"vendor:{commitment.pk}:{commitment.repair_by:%Y%m%d%H%M}:{member.pk}")
            told.append(_("%(member)s (%(role)s)") % {"member": member, "role": title})
        text = _("The committed repair time of %(vendor)s (%(at)s) has passed") % {
            "vendor": vendor, "at": _when(commitment.repair_by)}
        if told:
            text += _("; told %(people)s") % {"people": "、".join(told)}
        if nobody:
            text += _("; nobody holds or is on duty as %(roles)s to tell") % {"roles": "、".join(nobody)}
        record(incident, TimelineEntry.Kind.PAGE, text, by, role=role, commitment=commitment.pk, overdue=True)


def _role_name(incident: Incident, role: str | None) -> str:
    if role in Assignment.Kind.values:
        return str(Assignment.Kind(role).label)
    return role_title(incident, role)


# --- the vendor view -----------------------------------------------------------------------

@dataclass
class Item:
    """One vendor on one open incident: a row of the vendor view."""

    incident: Incident
    role: str
    vendor: str  # the role as the plan titles it
    contact: str  # who holds the role in the incident ("" when nobody does)
    deadline: datetime | None  # the SLA's (resolution, else response)
    repair_by: datetime | None  # the vendor's commitment
    note: str
    open_steps: int  # open checklist steps the vendor's role owns
    overdue_since: datetime | None  # the commitment passed, or (none given) the SLA deadline did
    overdue_hours: float | None  # how long ago, in hours (one decimal)


def choices() -> list[tuple[str, str]]:
    """(role id, title) of the vendor roles of the active plans, for the vendor filter."""
    found: dict[str, list[str]] = {}
    for version in PlanVersion.objects.filter(is_active=True).defer("source").order_by("plan_id"):
        for role, title in vendor_roles(version.content).items():
            if title not in found.setdefault(role, []):
                found[role].append(title)
    return sorted(((role, " / ".join(titles)) for role, titles in found.items()), key=lambda pair: pair[1])


def items(role: str = "", now: datetime | None = None) -> list[Item]:
    """Every vendor on every open incident (or only the vendor `role`): overdue first (longest
    overdue on top), then by the commitment or, without one, the SLA deadline."""
    now = now or clock.now()
    incidents = share_plans(list(Incident.objects.open().prefetch_related(
        Prefetch("assignments", to_attr="holders",
                 queryset=Assignment.objects.filter(ends_at__isnull=True).select_related("member")),
        "commitments",
        Prefetch("checklist", to_attr="open_steps",
                 queryset=ChecklistItem.objects.filter(status=ChecklistItem.Status.OPEN).only(
                     "incident_id", "owner_role")))))
    found = []
    for incident in incidents:
        holders = {a.role: a.member.name for a in incident.holders}
        commitments = {c.role: c for c in incident.commitments.all()}
        steps: dict[str, int] = {}
        for step in incident.open_steps:
            steps[step.owner_role] = steps.get(step.owner_role, 0) + 1
        for vendor, title in vendor_roles(incident.plan).items():
            if role and vendor != role or not (vendor in holders or vendor in commitments or vendor in steps):
                continue
            commitment = commitments.get(vendor)
            deadline = incident.resolve_by or incident.respond_by
            due = commitment.repair_by if commitment else deadline
            overdue = due if due and due <= now else None
            found.append(Item(incident=incident, role=vendor, vendor=title, contact=holders.get(vendor, ""),
                              deadline=deadline, repair_by=commitment.repair_by if commitment else None,
                              note=commitment.note if commitment else "", open_steps=steps.get(vendor, 0),
                              overdue_since=overdue,
                              overdue_hours=round((now - overdue).total_seconds() / 3600, 1) if overdue else None))
    found.sort(key=lambda i: (i.overdue_since is None, _due(i) is None, _due(i) or now, i.incident.pk))
    return found


def _due(item: Item) -> datetime | None:
    return item.overdue_since or item.repair_by or item.deadline


COLUMNS = [gettext_lazy("Vendor"), gettext_lazy("Contact person"), gettext_lazy("No."), gettext_lazy("Problem"),
           gettext_lazy("Level"), gettext_lazy("Status"), gettext_lazy("Deadline"),
           gettext_lazy("Vendor's committed repair time"), gettext_lazy("Overdue (hours)"),
           gettext_lazy("Open steps"), gettext_lazy("Note")]


def workbook(found: list[Item]) -> bytes:
    """The vendor view as an .xlsx file (core.spreadsheets: no cell text becomes a formula)."""
    rows = ([i.vendor, i.contact, f"#{i.incident.pk}", i.incident.title,
             i.incident.level.name if i.incident.level else i.incident.level_id, i.incident.get_status_display(),
             i.deadline, i.repair_by, i.overdue_hours, i.open_steps, i.note] for i in found)
    return write_xlsx(_("Vendors' open items"), [str(label) for label in COLUMNS], rows)
