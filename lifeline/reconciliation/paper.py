"""补录: the paper forms of the downtime entered back into the journal, as a station's events.

Each department's paper has a station of its own (PAPER_STATION + the department; revoked from
the start: it has no token and no machine, nothing pulls or sends for it). A sheet entered
becomes one journal event of the same kind a workstation records (registration, prescription,
charge, dispensing or manual_dispensing), chained to that station's head with
journal.chain_hash under the StationJournal row locked, and stored by
recovery.receiving.receive(via="paper"): merge-back and reconciliation read it like any other.

Invariants:
- One PaperEntry per sheet (serial no. unique in its bundle), and never more entries than the
  bundle's sheets collected; the entry and its event commit together or not at all.
- The event's time is the time written on the sheet (the downtime's), its operator the staff
  number written on it (the cashier, registrar or pharmacist), so the figures count it where it
  happened.
"""
import json
import secrets
import uuid
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from lifeline.core import clock
from lifeline.core.errors import Refused
from lifeline.his.canonical import INSURANCE_CATEGORY, ITEM_KIND
from lifeline.reconciliation.models import PaperBundle, PaperEntry, PaperForm
from lifeline.recovery import receiving
from lifeline.recovery.models import ReceivedEvent, StationJournal
from lifeline.stations.models import Station
from lifeline.workstation.journal import EMERGENCY, canonical_json, chain_hash

# A station's name is the hospital's data, in its language.
PAPER_STATION = "纸质补录"
PAPER_PACKAGE = "paper"  # what a paper event was priced with: the sheet, not a snapshot package
CENT = Decimal("0.01")

# The fields each form's entry asks for (PaperEntryForm), the required ones first.
FIELDS = {
    PaperForm.REGISTRATION_SLIP: ("serial", "recorded_at", "operator", "card_no", "department_code", "fee",
                                  "doctor_code"),
    PaperForm.PRESCRIPTION: ("serial", "recorded_at", "operator", "card_no", "doctor_code", "pharmacy_code", "lines",
                             "visit_no"),
    PaperForm.CHARGE_SHEET: ("serial", "recorded_at", "operator", "card_no", "invoice_no", "payment_method", "lines",
                             "visit_no", "insurance_no", "insurance_unit"),
    PaperForm.DISPENSING_LOG: ("serial", "recorded_at", "operator", "card_no", "pharmacy_code", "lines", "charge_no"),
}
OPTIONAL = {"doctor_code", "visit_no", "insurance_no", "insurance_unit", "charge_no"}


def paper_station(department: str) -> Station:
    station, _created = Station.objects.get_or_create(name=f"{PAPER_STATION} {department}"[:100], defaults={
        "department": department, "location": PAPER_STATION, "token_hash": secrets.token_hex(32),
        "revoked_at": clock.now()})
    return station


def collect(user, department: str, form: str, sheets: int) -> PaperBundle:
    department = (department or "").strip()
    if not department:
        raise Refused("department", _("required, but empty"))
    if form not in PaperForm.values:
        raise Refused("form", _("%(value)s is not one of %(choices)s") % {"value": form,
                                                                          "choices": ", ".join(PaperForm.values)})
    if sheets is None or sheets < 1:
        raise Refused("sheets", _("at least one sheet"))
    return PaperBundle.objects.create(department=department, form=form, sheets=sheets, collected_by=user)


def _quantity(text: str, where: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise Refused("lines", _("%(where)s: %(value)s is not a number") % {"where": where, "value": text}) from None
    if not value.is_finite() or value <= 0:
        raise Refused("lines", _("%(where)s: %(value)s must be above zero") % {"where": where, "value": text})
    return value


def drug_lines(text: str) -> list[dict]:
    """`drug_code quantity [dosage]` per line."""
    found = []
    for n, line in enumerate((text or "").splitlines(), start=1):
        parts = line.split(maxsplit=2)
        if not parts:
            continue
        where = _("line %(n)d") % {"n": n}
        if len(parts) < 2:
            raise Refused("lines", _("%(where)s: write the drug code and the quantity") % {"where": where})
        found.append({"drug_code": parts[0], "quantity": _quantity(parts[1], where),
                      "dosage": parts[2].strip() if len(parts) > 2 else None})
    if not found:
        raise Refused("lines", _("at least one drug"))
    return found


def item_kinds() -> dict[str, str]:
    """What a clerk may write for an item's kind (the canonical key or its word in the
    interface language: 药品, 项目) -> the canonical key."""
    return {**{kind: kind for kind in ITEM_KIND}, _("drug"): "drug", _("item"): "price_item"}


def charge_lines(text: str) -> list[dict]:
    """`kind item_code quantity unit_price category` per line (kind: drug or item, see item_kinds;
    category: the insurance category 甲, 乙 or 丙 as the price list has it, which merge-back writes)."""
    found = []
    for n, line in enumerate((text or "").splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        where = _("line %(n)d") % {"n": n}
        if len(parts) != 5:
            raise Refused("lines", _("%(where)s: write the kind (drug or item), the code, the quantity, the unit "
                                     "price and the insurance category") % {"where": where})
        kinds = item_kinds()
        kind, code = kinds.get(parts[0]), parts[1]
        if kind is None:
            raise Refused("lines", _("%(where)s: %(value)s is not one of %(choices)s") % {
                "where": where, "value": parts[0], "choices": "、".join((_("drug"), _("item")))})
        quantity, price = _quantity(parts[2], where), _quantity(parts[3], where)
        if parts[4] not in INSURANCE_CATEGORY:
            raise Refused("lines", _("%(where)s: %(value)s is not one of %(choices)s") % {
                "where": where, "value": parts[4], "choices": "、".join(INSURANCE_CATEGORY)})
        found.append({"item_kind": kind, "item_code": code, "name": code, "unit": "", "quantity": quantity,
                      "unit_price": price, "insurance_category": parts[4],
                      "amount": (quantity * price).quantize(CENT, ROUND_HALF_UP)})
    if not found:
        raise Refused("lines", _("a charge has at least one item"))
    return found


def event_of(form: str, number: str, data: dict) -> tuple[str, dict]:
    """(kind, payload) of a sheet, the same as a workstation records; `number` is the sheet's
    number in Lifeline (visit, prescription, charge or slip number)."""
    card_no = data["card_no"]
    if form == PaperForm.REGISTRATION_SLIP:
        return "registration", {"visit_no": number, "card_no": card_no, "schedule_id": None,
                                "department_code": data["department_code"],
                                "doctor_code": data.get("doctor_code") or None,
                                "fee": Decimal(data["fee"]).quantize(CENT), "free_of_fee": False}
    if form == PaperForm.PRESCRIPTION:
        return "prescription", {"presc_no": number, "visit_no": data.get("visit_no") or None, "card_no": card_no,
                                "doctor_code": data["doctor_code"], "pharmacy_code": data["pharmacy_code"],
                                "lines": drug_lines(data["lines"])}
    if form == PaperForm.CHARGE_SHEET:
        insurance_no, unit = data.get("insurance_no") or "", data.get("insurance_unit") or ""
        if bool(insurance_no) != bool(unit):
            raise Refused("insurance_unit" if insurance_no else "insurance_no",
                          _("an insurance settlement needs both the insurance number and the unit"))
        lines = charge_lines(data["lines"])
        return "charge", {"charge_no": number, "invoice_no": int(data["invoice_no"]), "card_no": card_no,
                          "visit_no": data.get("visit_no") or None, "lines": lines,
                          "total": sum((line["amount"] for line in lines), Decimal(0)),
                          "payment_method": data["payment_method"],
                          "settlement": "pending_insurance" if insurance_no else "self_pay",
                          "insurance_no": insurance_no or None, "insurance_unit": unit or None}
    lines = drug_lines(data["lines"])
    if data.get("charge_no"):
        return "dispensing", {"charge_no": data["charge_no"], "card_no": card_no,
                              "pharmacy_code": data["pharmacy_code"],
                              "lines": [{"drug_code": x["drug_code"], "quantity": x["quantity"]} for x in lines]}
    return "manual_dispensing", {"slip_no": number, "card_no": card_no, "pharmacy_code": data["pharmacy_code"],
                                 "lines": lines}


def enter(bundle: PaperBundle, user, data: dict) -> PaperEntry:
    """Enter one sheet of the bundle: its event appended to the department's paper station's
    journal and received as via="paper". Refused (nothing stored) naming the field at fault."""
    serial = str(data.get("serial") or "").strip()
    if not serial:
        raise Refused("serial", _("required, but empty"))
    missing = [name for name in FIELDS[bundle.form] if name not in OPTIONAL and data.get(name) in (None, "")]
    if missing:
        raise Refused(missing[0], _("required, but empty"))
    recorded_at = data["recorded_at"]
    number = f"P{bundle.pk}-{serial}"
    kind, payload = event_of(bundle.form, number, data)
    station = paper_station(bundle.department)
    with transaction.atomic():
        bundle = PaperBundle.objects.select_for_update().get(pk=bundle.pk)
        if bundle.entries.filter(serial=serial).exists():
            raise Refused("serial", _("sheet %(serial)s of this bundle was entered already") % {"serial": serial},
                          status=409)
        if bundle.entries.count() >= bundle.sheets:
            raise Refused("serial", _("all %(count)d sheets of this bundle are entered") % {"count": bundle.sheets},
                          status=409)
        journal, _created = StationJournal.objects.get_or_create(station=station)
        journal = StationJournal.objects.select_for_update().get(pk=journal.pk)
        body = {"seq": journal.received_seq + 1, "event_id": str(uuid.uuid4()), "station": station.name,
                "operator": str(data["operator"]).strip(), "kind": kind,
                "recorded_at": timezone.localtime(recorded_at).isoformat(),
                "payload": json.loads(canonical_json(payload)), "package_id": PAPER_PACKAGE,
                "price_version": PAPER_PACKAGE, "mode": EMERGENCY}
        event = {**body, "prev_hash": journal.received_hash, "hash": chain_hash(journal.received_hash, body)}
        receiving.receive(station, [event], via=ReceivedEvent.Via.PAPER)
        return PaperEntry.objects.create(bundle=bundle, serial=serial, station=station, event_id=body["event_id"],
                                         kind=kind, entered_by=user)


def left_per_department() -> list[dict]:
    """Per department and form: sheets collected, entered, left to enter."""
    rows = {}
    for bundle in PaperBundle.objects.annotate(entered=Count("entries")):
        row = rows.setdefault((bundle.department, bundle.form), {
            "department": bundle.department, "form": bundle.get_form_display(), "collected": 0, "entered": 0})
        row["collected"] += bundle.sheets
        row["entered"] += bundle.entered
    for row in rows.values():
        row["left"] = row["collected"] - row["entered"]
    return [rows[key] for key in sorted(rows)]
