"""The reconciliation of a downtime: which events it covers, the HIS's takings around it, the
insurance settlements to redo with their deadline, and the command centre's sign-off.

The figures themselves are computed by figures.py (no Django); here they are fed from the
database and the HIS, and written into the Report the page, the Excel file and the PDF share.
"""
import logging
from datetime import date, datetime, time, timedelta

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lifeline.accounts.permissions import can_sign_off_reconciliation
from lifeline.analysis.sections import Section
from lifeline.core import clock, workdays
from lifeline.core.actor import acting_as
from lifeline.core.errors import Refused
from lifeline.incidents.models import Incident
from lifeline.reconciliation import figures as fig
from lifeline.reconciliation.models import Reconciliation, Resettlement
from lifeline.recovery.models import ReceivedEvent

log = logging.getLogger("lifeline.reconciliation")

# The journal's kinds the figures read (others: leases, modes, prices confirmed, …).
KINDS = ("charge", "void", "refund", "invoice_number_set", "dispensing", "manual_dispensing", "prescription",
         "new_patient", "registration")


def window(rec: Reconciliation) -> tuple[datetime, datetime]:
    """The downtime: the incident's opened..resolved (still open: until now), else the period."""
    if rec.incident_id:
        return rec.incident.opened_at, rec.incident.resolved_at or clock.now()
    return rec.start, rec.end


def create(user, *, incident: Incident | None = None, start: datetime | None = None,
           end: datetime | None = None) -> Reconciliation:
    """A reconciliation of an incident's downtime, or of the period start..end."""
    if incident is not None:
        start, end = incident.opened_at, incident.resolved_at or clock.now()
    elif start is None or end is None:
        raise Refused("incident", _("Choose an incident, or give the period's start and end"))
    if end <= start:
        raise Refused("end", _("The end must come after the start"))
    return Reconciliation.objects.create(incident=incident, start=start, end=end, created_by=user)


def _moment(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def entries(start: datetime, end: datetime, drill: bool = False) -> list[fig.Entry]:
    """The received events recorded during start..end (the station's clock) in the downtime's
    mode: emergency events, or a drill's own events for a drill (never both)."""
    mode = "drill" if drill else "emergency"
    rows = (ReceivedEvent.objects.filter(kind__in=KINDS, mode=mode).select_related("station")
            .only("station__name", "seq", "event_id", "operator", "recorded_at", "kind", "payload", "merged_at"))
    found = []
    for e in rows.iterator(chunk_size=2000):
        at = _moment(e.recorded_at)
        if at is not None and start <= at <= end:
            found.append(fig.Entry(e.station.name, e.seq, e.event_id, e.operator, at, e.kind, e.payload,
                                   e.merged_at is not None))
    return found


def decisions(event_ids: list[str]) -> dict[str, tuple[str, str]]:
    """new_patient event id -> (state of its patient-match conflict, the HIS card confirmed)."""
    try:
        conflict = apps.get_model("recovery", "Conflict")
    except LookupError:  # merge-back's conflicts not installed: every temporary patient still open
        return {}
    found = {}
    for event_id, state, resolution in conflict.objects.filter(
            kind="patient_match", event__event_id__in=event_ids).values_list("event__event_id", "state", "resolution"):
        found[event_id] = (state, str((resolution or {}).get("card_no") or ""))
    return found


def his_takings(start: datetime, end: datetime) -> tuple[list | None, list | None, str]:
    """The HIS's takings per cashier and payment method on the downtime's day before the switch
    (day start..start) and after it (end..the day's end, or now): through the mapping's
    merge-back lookup cashier_takings. (None, None, why) when the HIS cannot say."""
    if not settings.SNAPSHOT_MAPPING:
        return None, None, _("No HIS mapping file is configured (LIFELINE_SNAPSHOT_MAPPING): the takings before and "
                             "after the switch come from the HIS's own report.")
    from lifeline.his import mapping as his_mapping
    from lifeline.his.writer import MergeRefused, Writer

    # The HIS keeps the hospital's wall-clock time (no zone): it is asked in local time.
    start, end = timezone.localtime(start).replace(tzinfo=None), timezone.localtime(end).replace(tzinfo=None)
    day_start = datetime.combine(start.date(), time.min)
    day_end = min(datetime.combine(end.date() + timedelta(days=1), time.min),
                  max(timezone.localtime(clock.now()).replace(tzinfo=None), end))
    try:
        writer = Writer(his_mapping.load(settings.SNAPSHOT_MAPPING))
        try:
            return (writer.lookup("cashier_takings", start=day_start, end=start),
                    writer.lookup("cashier_takings", start=end, end=day_end), "")
        finally:
            writer.dispose()
    except (MergeRefused, his_mapping.MappingInvalid, OSError) as exc:
        log.warning("cashier takings not read from the HIS: %s", exc)
        return None, None, _("The HIS's takings before and after the switch could not be read: %(reason)s") % {
            "reason": exc}


def compute(rec: Reconciliation) -> tuple[fig.Figures, str]:
    """The reconciliation's figures and, when the HIS could not give its takings, why."""
    start, end = window(rec)
    found = entries(start, end, drill=bool(rec.incident_id and rec.incident.is_drill))
    before, after, note = his_takings(start, end)
    return fig.compute(found, before=before, after=after,
                       decisions=decisions([e.event_id for e in found if e.kind == "new_patient"])), note


# --- insurance settlements to redo ---------------------------------------------------------

def deadline(rec: Reconciliation) -> datetime:
    """Re-settle within RESETTLEMENT_WORKDAYS working days of the downtime's end."""
    return workdays.add_working_days(window(rec)[1], settings.RESETTLEMENT_WORKDAYS)


def working_days_left(now: datetime, until: datetime) -> int:
    """Working days from today (not counted) to the deadline's day (counted); 0 on the day
    itself and after it. A day of a year the calendar does not know counts Monday to Friday."""
    today, last = timezone.localtime(now).date(), timezone.localtime(until).date()
    left, day = 0, today
    while day < last:
        day += timedelta(days=1)
        working = workdays.is_working_day(day)
        left += (day.weekday() < 5) if working is None else working
    return left


def resettlements(found: fig.Figures) -> list[Resettlement]:
    """The rows for the charges pending insurance, created when first shown: by the
    reconciliation itself (so the audit log does not name whoever happened to open the page)."""
    held = set(Resettlement.objects.filter(event_id__in=[c.event_id for c in found.pending_insurance])
               .values_list("event_id", flat=True))
    with acting_as("reconciliation"):
        for c in found.pending_insurance:
            if c.event_id not in held:
                Resettlement.objects.get_or_create(event_id=c.event_id, defaults={
                    "charge_no": c.charge_no, "card_no": c.card_no, "insurance_no": c.insurance_no or "",
                    "insurance_unit": c.insurance_unit or "", "amount": c.total, "charged_at": c.at})
    return list(Resettlement.objects.filter(event_id__in=[c.event_id for c in found.pending_insurance])
                .select_related("done_by"))


def mark_resettled(resettlement: Resettlement, user) -> Resettlement:
    if resettlement.done_at:
        raise Refused("resettlement", _("Charge %(no)s was re-settled already") % {"no": resettlement.charge_no},
                      status=409)
    resettlement.done_at, resettlement.done_by = clock.now(), user
    resettlement.save(update_fields=["done_at", "done_by"])
    return resettlement


# --- sign-off -------------------------------------------------------------------------------

def sign_off(rec: Reconciliation, user, note: str = "") -> Reconciliation:
    """The command centre signs the reconciliation off; its figures are kept with the sign-off
    (and so in the audit log) and shown in the incident's fault analysis."""
    can_sign_off_reconciliation.check(user)
    with transaction.atomic():
        rec = Reconciliation.objects.select_for_update().get(pk=rec.pk)
        if rec.signed_off_at:
            raise Refused("reconciliation", _("This reconciliation was signed off already"), status=409)
        found, _note = compute(rec)
        rec.signed_figures = found.summary()
        rec.signed_off_at, rec.signed_off_by, rec.sign_off_note = clock.now(), user, note.strip()[:500]
        rec.save(update_fields=["signed_figures", "signed_off_at", "signed_off_by", "sign_off_note"])
    return rec


def summary_pairs(summary: dict) -> list[tuple[str, str]]:
    """The signed figures in words, for the fault analysis and the page."""
    outcomes = summary.get("temporary_patients", {})
    pairs = [(_("Events reconciled"), str(summary.get("events", 0))),
             (_("Takings during the downtime (net)"), summary.get("net", "0.00"))]
    for cashier, methods in summary.get("cashiers", {}).items():
        pairs.append((_("Cashier %(code)s") % {"code": cashier},
                      "、".join(f"{method_name(m)} {amount}" for m, amount in methods.items())))
    pairs += [
        (_("Invoice number gaps"), str(summary.get("invoice_gaps", 0))),
        (_("Duplicate invoice numbers"), str(summary.get("invoice_duplicates", 0))),
        (_("Dispensed unpaid"), str(summary.get("dispensed_unpaid", 0))),
        (_("Paid not dispensed"), str(summary.get("paid_not_dispensed", 0))),
        (_("Temporary patients"), "、".join(f"{outcome_name(k)} {v}" for k, v in outcomes.items()) or "0"),
        (_("Insurance settlements to redo"), _("%(count)s, %(amount)s yuan") % {
            "count": summary.get("pending_insurance", 0), "amount": summary.get("pending_insurance_amount", "0.00")}),
    ]
    return pairs


def analysis_section(incident) -> list[Section]:
    """analysis.sections provider: each signed-off reconciliation of the incident."""
    found = []
    for rec in incident.reconciliations.filter(signed_off_at__isnull=False).select_related("signed_off_by"):
        by = rec.signed_off_by.get_username() if rec.signed_off_by_id else ""
        found.append(Section(_("Reconciliation (signed off)"), [
            (_("Signed off"), f"{timezone.localtime(rec.signed_off_at):%Y-%m-%d %H:%M} {by}".strip()),
            *([(_("Note"), rec.sign_off_note)] if rec.sign_off_note else []),
            *summary_pairs(rec.signed_figures)]))
    return found


# --- words ----------------------------------------------------------------------------------

def method_name(method: str) -> str:
    names = {"cash": _("Cash"), "bank_card": _("Bank card"), "wechat": _("WeChat Pay"), "alipay": _("Alipay")}
    return names.get(method, method)


def outcome_name(outcome: str) -> str:
    return {"merged_new": _("merged as a new patient"), "confirmed": _("confirmed as an existing patient"),
            "open": _("still open")}.get(outcome, outcome)


def finding_name(finding: str) -> str:
    return {"dispensed_unpaid": _("dispensed unpaid"), "paid_not_dispensed": _("paid, not dispensed"),
            "prescribed_not_charged": _("prescribed, not charged"), "dispensed": _("dispensed against its charge"),
            "manual": _("manual dispensing log")}.get(finding, finding)


def local(moment: datetime | date | None) -> str:
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"
    return moment.isoformat()
