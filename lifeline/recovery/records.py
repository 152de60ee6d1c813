"""Journal events as the HIS's emergency records (lifeline.his.canonical.RECORDS).

    records_of(event) -> [("charge", {...}), ("charge", {...})]

Invariants:
- Each record carries the common fields (event_id, station, operator_code, recorded_at) and its
  `event_id` is unique per record: the journal event's id when the event gives one record,
  `<event_id>/<n>` (n = 1, 2, …, in the payload's line order) when it gives several. The same
  event always gives the same records, so a merge re-run writes the same rows.
- Events of a drill (mode "drill") give none: a drill is never merged into the real HIS. Nor do
  the station's own events (mode_changed, lease_received, prices_confirmed, invoice_number_set).
- A void or a refund gives the original charge's lines with negative quantity and amount, on the
  same invoice, `refund_of` naming the original charge's event: the charge itself is merged as it
  was recorded, the cancellation beside it (the HIS's takings net out, its history stays).
- A manual dispensing (drugs given by hand against a paper prescription from before the downtime,
  seed 003 O) gives dispensing records under the slip's number: the HIS wrote that prescription
  before it went down, so the drugs leave its stock against it, and the reconciliation checks
  the pharmacy's manual log against the journal's manual_dispensing events. A dispensing of a
  charge gives records under the charge number (the receipt the pharmacy filled).

No HIS. What an event does not say itself, the charge a void or refund cancels, comes from the
events received from its station (or the caller's `charges`).
"""
from collections.abc import Callable
from decimal import Decimal

from django.utils import translation

from lifeline.his.canonical import RECORDS
from lifeline.recovery.models import ReceivedEvent
from lifeline.workstation.journal import DRILL

# The station's own bookkeeping: nothing the HIS records.
NO_RECORDS = frozenset({"mode_changed", "lease_received", "prices_confirmed", "invoice_number_set"})
CANCELLATIONS = frozenset({"void", "refund"})
KINDS = frozenset({"new_patient", "registration", "charge", "prescription", "dispensing",
                   "manual_dispensing"}) | CANCELLATIONS | NO_RECORDS


class UnknownEvent(ValueError):
    """An event records_of cannot turn into records; the message names it and why."""


Charges = Callable[[str, str], dict | None]  # (station, charge_no) -> that charge event (as a dict)


def record_name(kind: str) -> str:
    """An emergency record's name in the hospital's words, in the language in use."""
    return RECORDS[kind].zh if translation.get_language().startswith("zh") else RECORDS[kind].en


def as_dict(event) -> dict:
    """A ReceivedEvent (or a journal Event as a dict) as the journal's event fields."""
    if isinstance(event, dict):
        return event
    return {"event_id": event.event_id, "seq": event.seq, "station": event.station.name, "operator": event.operator,
            "recorded_at": event.recorded_at, "kind": event.kind, "payload": event.payload, "mode": event.mode}


def records_of(event, charges: Charges | None = None) -> list[tuple[str, dict]]:
    """The emergency records of one journal event (a ReceivedEvent or an event dict), in order.
    `charges` finds the charge a void or refund cancels (for a ReceivedEvent: among the events
    received from its station)."""
    if charges is None and not isinstance(event, dict):
        charges = _received_charge
    event = as_dict(event)
    kind = event["kind"]
    if kind not in KINDS:
        raise UnknownEvent(f"event {event['event_id']}: {kind!r} is not a kind of journal event merge-back knows")
    if event["mode"] == DRILL or kind in NO_RECORDS:
        return []
    made = _MAKERS[kind](event, event["payload"], charges)
    common = {"station": event["station"], "operator_code": event["operator"], "recorded_at": event["recorded_at"]}
    numbered = len(made) > 1
    return [(name, {"event_id": f"{event['event_id']}/{n}" if numbered else event["event_id"], **common, **fields})
            for n, (name, fields) in enumerate(made, start=1)]


def _new_patient(event, p, charges):
    fields = ("card_no", "name", "sex", "birth_date", "id_card_no", "phone", "insurance_type", "insurance_no")
    return [("new_patient", {name: p.get(name) for name in fields})]


def _registration(event, p, charges):
    return [("registration", {"visit_no": p["visit_no"], "card_no": p["card_no"], "schedule_id": p.get("schedule_id"),
                              "department_code": p["department_code"], "doctor_code": p.get("doctor_code"),
                              "fee": p["fee"]})]


def _charge_lines(p, sign=1, refund_of=None):
    lines = []
    for line in p["lines"]:
        record = {"invoice_no": p["invoice_no"], "visit_no": p.get("visit_no"), "card_no": p["card_no"],
                  "item_kind": line["item_kind"], "item_code": line["item_code"],
                  "quantity": str(sign * Decimal(line["quantity"])), "unit_price": line["unit_price"],
                  "amount": str(sign * Decimal(line["amount"])), "insurance_category": line.get("insurance_category"),
                  "payment_method": p.get("payment_method")}
        if refund_of:
            record["refund_of"] = refund_of
        lines.append(("charge", record))
    return lines


def _charge(event, p, charges):
    return _charge_lines(p)


def _cancellation(event, p, charges):
    original = charges(event["station"], p["charge_no"]) if charges else None
    if original is None:
        raise UnknownEvent(f"event {event['event_id']} ({event['kind']} of charge {p['charge_no']}): the charge it "
                           f"cancels was not received from station {event['station']}")
    return _charge_lines(original["payload"], sign=-1, refund_of=original["event_id"])


def _prescription(event, p, charges):
    return [("prescription", {"presc_no": p["presc_no"], "visit_no": p.get("visit_no"), "card_no": p["card_no"],
                              "doctor_code": p["doctor_code"], "drug_code": line["drug_code"],
                              "quantity": line["quantity"], "dosage": line.get("dosage")})
            for line in p["lines"]]


def _dispensed(slip: str, p) -> list:
    return [("dispensing", {"presc_no": slip, "pharmacy_code": p["pharmacy_code"], "drug_code": line["drug_code"],
                            "batch_no": line.get("batch_no"), "quantity": line["quantity"]})
            for line in p["lines"]]


def _dispensing(event, p, charges):
    return _dispensed(p["charge_no"], p)


def _manual_dispensing(event, p, charges):
    return _dispensed(p["slip_no"], p)


_MAKERS = {"new_patient": _new_patient, "registration": _registration, "charge": _charge, "void": _cancellation,
           "refund": _cancellation, "prescription": _prescription, "dispensing": _dispensing,
           "manual_dispensing": _manual_dispensing}


def _received_charge(station: str, charge_no: str) -> dict | None:
    found = ReceivedEvent.objects.select_related("station").filter(
        station__name=station, kind="charge", payload__charge_no=charge_no).first()
    return as_dict(found) if found else None
