"""对账: the figures of a downtime, from the journal events the stations (and paper back-entry)
sent back. Plain Python, no Django: the caller picks the events of the downtime and passes them
in, with the HIS's takings before and after the switch when it can read them.

Invariants:
- A cashier's takings during the downtime are the charges they made, by payment method, minus
  the voids and refunds of those charges (a void or refund names the charge; it counts against
  the charge's cashier and payment method, whoever pressed the button), so
  net = charged − voided − refunded, per method and in total.
- Invoice numbers are the charges' invoice numbers per cashier: a duplicate is a number on two
  or more charges; a gap is a number missing between two used ones, unless the cashier set the
  later number as the start of another invoice range (invoice_number_set with a range_id other
  than the one before: the numbers skipped were never in the printer). A number set within the
  same range skips paper invoices, and those are a gap to account for.
- Dispensed unpaid: a dispensing naming a charge that was never received, or was voided or
  refunded. Paid not dispensed: a charge with drugs, neither voided nor refunded, that no
  dispensing names.
- A charge settled as self-pay while its insurance settlement is pending (settlement
  "pending_insurance") and not voided or refunded is on the re-settlement list.
"""
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

# The journal's words (lifeline.workstation.charging), repeated here so that this module reads
# received events without importing the workstation's desk.
PENDING_INSURANCE = "pending_insurance"
CANCELLING = ("void", "refund")
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Entry:
    """One received journal event, as the figures need it."""

    station: str
    seq: int
    event_id: str
    operator: str
    recorded_at: datetime
    kind: str
    payload: dict
    merged: bool = False


@dataclass
class Sums:
    charged: Decimal = ZERO
    voided: Decimal = ZERO
    refunded: Decimal = ZERO

    @property
    def net(self) -> Decimal:
        return self.charged - self.voided - self.refunded


@dataclass
class Takings:
    """One cashier's takings: during the downtime from the journal, before and after from the
    HIS (None when the HIS could not say)."""

    cashier: str
    during: dict[str, Sums] = field(default_factory=dict)  # payment method -> sums
    before: dict[str, Decimal] | None = None
    after: dict[str, Decimal] | None = None

    @property
    def net(self) -> Decimal:
        return sum((s.net for s in self.during.values()), ZERO)

    def methods(self) -> list[str]:
        return sorted(set(self.during) | set(self.before or {}) | set(self.after or {}))


@dataclass
class Invoices:
    cashier: str
    used: list[int]
    gaps: list[tuple[int, int]]  # first..last missing, both included
    duplicates: list[tuple[int, list[str]]]  # invoice number, the charge numbers on it

    @property
    def first(self) -> int | None:
        return min(self.used) if self.used else None

    @property
    def last(self) -> int | None:
        return max(self.used) if self.used else None


@dataclass
class Charge:
    charge_no: str
    cashier: str
    station: str
    event_id: str
    at: datetime
    card_no: str
    visit_no: str | None
    invoice_no: int | None
    total: Decimal
    payment_method: str
    drugs: list[dict]
    settlement: str
    insurance_no: str | None
    insurance_unit: str | None
    cancelled: str = ""  # "", "void" or "refund"

    @property
    def paid(self) -> bool:
        return not self.cancelled


@dataclass
class PharmacyRow:
    """A line of the pharmacy's reconciliation: what was dispensed or charged, and the finding."""

    finding: str  # dispensed_unpaid, paid_not_dispensed, dispensed, manual, prescribed_not_charged
    at: datetime
    station: str
    reference: str  # charge no., slip no. or prescription no.
    card_no: str
    drugs: str
    detail: str = ""


@dataclass
class TemporaryPatient:
    card_no: str
    name: str
    station: str
    at: datetime
    event_id: str
    outcome: str  # merged_new, confirmed, open
    existing_card: str = ""


@dataclass
class Figures:
    takings: list[Takings]
    invoices: list[Invoices]
    pharmacy: list[PharmacyRow]
    temporary_patients: list[TemporaryPatient]
    pending_insurance: list[Charge]
    events: int

    def count(self, finding: str) -> int:
        return sum(1 for row in self.pharmacy if row.finding == finding)

    @property
    def net(self) -> Decimal:
        return sum((t.net for t in self.takings), ZERO)

    def summary(self) -> dict:
        """The figures a sign-off keeps (JSON-ready: amounts as text)."""
        outcomes = Counter(p.outcome for p in self.temporary_patients)
        return {
            "events": self.events,
            "net": str(self.net),
            "cashiers": {t.cashier: {m: str(s.net) for m, s in sorted(t.during.items())} for t in self.takings},
            "invoice_gaps": sum(len(i.gaps) for i in self.invoices),
            "invoice_duplicates": sum(len(i.duplicates) for i in self.invoices),
            "dispensed_unpaid": self.count("dispensed_unpaid"),
            "paid_not_dispensed": self.count("paid_not_dispensed"),
            "temporary_patients": dict(sorted(outcomes.items())),
            "pending_insurance": len(self.pending_insurance),
            "pending_insurance_amount": str(sum((c.total for c in self.pending_insurance), ZERO)),
        }


def _decimal(value) -> Decimal:
    return Decimal(str(value if value not in (None, "") else 0))


def _invoice(value) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _drugs(lines) -> list[dict]:
    return [line for line in lines or [] if line.get("item_kind", "drug") == "drug"]


def _say_drugs(lines) -> str:
    return "、".join(f"{line.get('name') or line.get('drug_code') or line.get('item_code')}×{line.get('quantity')}"
                    for line in lines)


def charges(entries: list[Entry]) -> dict[str, Charge]:
    """The charges of the entries by charge number, each marked with its void or refund."""
    found = {}
    for e in entries:
        if e.kind == "charge":
            p = e.payload
            found[str(p["charge_no"])] = Charge(
                charge_no=str(p["charge_no"]), cashier=e.operator, station=e.station, event_id=e.event_id,
                at=e.recorded_at, card_no=str(p.get("card_no") or ""), visit_no=p.get("visit_no"),
                invoice_no=_invoice(p.get("invoice_no")), total=_decimal(p.get("total")),
                payment_method=str(p.get("payment_method") or ""), drugs=_drugs(p.get("lines")),
                settlement=str(p.get("settlement") or ""), insurance_no=p.get("insurance_no"),
                insurance_unit=p.get("insurance_unit"))
    for e in entries:
        if e.kind in CANCELLING and str(e.payload.get("charge_no")) in found:
            found[str(e.payload["charge_no"])].cancelled = e.kind
    return found


def takings(entries: list[Entry], before: list[dict] | None = None, after: list[dict] | None = None) -> list[Takings]:
    """Per cashier and payment method; `before`/`after` are the HIS's rows (cashier_code,
    payment_method, amount), or None when the HIS could not say."""
    by_cashier: dict[str, Takings] = {}

    def of(cashier):
        return by_cashier.setdefault(cashier, Takings(cashier, before={} if before is not None else None,
                                                      after={} if after is not None else None))

    known = charges(entries)
    for c in known.values():
        of(c.cashier).during.setdefault(c.payment_method, Sums()).charged += c.total
    for e in entries:
        c = known.get(str(e.payload.get("charge_no"))) if e.kind in CANCELLING else None
        if c is not None:
            sums = of(c.cashier).during[c.payment_method]
            amount = _decimal(e.payload.get("amount", c.total))
            if e.kind == "void":
                sums.voided += amount
            else:
                sums.refunded += amount
    for rows, name in ((before, "before"), (after, "after")):
        for row in rows or []:
            target = getattr(of(str(row["cashier_code"])), name)
            method = str(row["payment_method"])
            target[method] = target.get(method, ZERO) + _decimal(row["amount"])
    return [by_cashier[k] for k in sorted(by_cashier)]


def invoices(entries: list[Entry]) -> list[Invoices]:
    used: dict[str, list[tuple[int, str]]] = defaultdict(list)
    starts: dict[str, set[int]] = defaultdict(set)  # numbers that begin another range
    ranges: dict[str, str] = {}  # cashier -> the range of the number set last
    for e in entries:
        number = _invoice(e.payload.get("invoice_no"))
        if number is None:
            continue
        if e.kind == "charge":
            used[e.operator].append((number, str(e.payload.get("charge_no"))))
        elif e.kind == "invoice_number_set":
            range_id = str(e.payload.get("range_id") or "")
            if ranges.get(e.operator, range_id) != range_id:
                starts[e.operator].add(number)
            ranges[e.operator] = range_id
    found = []
    for cashier in sorted(used):
        numbers = sorted({n for n, _ in used[cashier]})
        gaps = [(a + 1, b - 1) for a, b in zip(numbers, numbers[1:], strict=False)
                if b - a > 1 and b not in starts[cashier]]
        on = defaultdict(list)
        for number, charge_no in used[cashier]:
            on[number].append(charge_no)
        duplicates = [(n, sorted(nos)) for n, nos in sorted(on.items()) if len(nos) > 1]
        found.append(Invoices(cashier, numbers, gaps, duplicates))
    return found


def pharmacy(entries: list[Entry]) -> list[PharmacyRow]:
    """Dispensings against charges, manual dispensings, charges with drugs not dispensed, and
    back-entered prescriptions no charge (of the same visit) paid for."""
    known = charges(entries)
    rows, dispensed = [], set()
    for e in entries:
        p = e.payload
        if e.kind == "dispensing":
            charge_no = str(p.get("charge_no"))
            dispensed.add(charge_no)
            c = known.get(charge_no)
            finding, detail = "dispensed", ""
            if c is None:
                finding, detail = "dispensed_unpaid", "no_charge"
            elif not c.paid:
                finding, detail = "dispensed_unpaid", c.cancelled
            rows.append(PharmacyRow(finding, e.recorded_at, e.station, charge_no, str(p.get("card_no") or ""),
                                    _say_drugs(p.get("lines")), detail))
        elif e.kind == "manual_dispensing":
            rows.append(PharmacyRow("manual", e.recorded_at, e.station, str(p.get("slip_no")),
                                    str(p.get("card_no") or ""), _say_drugs(p.get("lines"))))
    for c in known.values():
        if c.paid and c.drugs and c.charge_no not in dispensed:
            rows.append(PharmacyRow("paid_not_dispensed", c.at, c.station, c.charge_no, c.card_no,
                                    _say_drugs(c.drugs), str(c.total)))
    charged_visits = {c.visit_no for c in known.values() if c.drugs and c.paid and c.visit_no}
    for e in entries:
        if e.kind == "prescription" and e.payload.get("visit_no") not in charged_visits:
            rows.append(PharmacyRow("prescribed_not_charged", e.recorded_at, e.station,
                                    str(e.payload.get("presc_no")), str(e.payload.get("card_no") or ""),
                                    _say_drugs(e.payload.get("lines")), str(e.payload.get("visit_no") or "")))
    order = {"dispensed_unpaid": 0, "paid_not_dispensed": 1, "prescribed_not_charged": 2, "dispensed": 3, "manual": 4}
    return sorted(rows, key=lambda r: (order[r.finding], r.at, r.reference))


def temporary_patients(entries: list[Entry], decisions: dict[str, tuple[str, str]]) -> list[TemporaryPatient]:
    """Each temporary card issued and what became of it. `decisions`: event id of the
    new_patient event -> (state of its patient_match conflict, the existing card confirmed)."""
    found = []
    for e in entries:
        if e.kind != "new_patient":
            continue
        state, card = decisions.get(e.event_id, ("", ""))
        if state == "confirmed":
            outcome = "confirmed"
        elif e.merged and state != "open":
            outcome = "merged_new"
        else:
            outcome = "open"
        found.append(TemporaryPatient(str(e.payload.get("card_no")), str(e.payload.get("name") or ""), e.station,
                                      e.recorded_at, e.event_id, outcome, card if outcome == "confirmed" else ""))
    return found


def pending_insurance(entries: list[Entry]) -> list[Charge]:
    return sorted((c for c in charges(entries).values() if c.paid and c.settlement == PENDING_INSURANCE),
                  key=lambda c: (c.at, c.charge_no))


def compute(entries: list[Entry], *, before: list[dict] | None = None, after: list[dict] | None = None,
            decisions: dict[str, tuple[str, str]] | None = None) -> Figures:
    entries = sorted(entries, key=lambda e: (e.recorded_at, e.station, e.seq))
    return Figures(takings=takings(entries, before, after), invoices=invoices(entries), pharmacy=pharmacy(entries),
                   temporary_patients=temporary_patients(entries, decisions or {}),
                   pending_insurance=pending_insurance(entries), events=len(entries))
