"""收费: the cashier's invoice number, charges at the snapshot's prices, voids and refunds.

Insurance patients are settled as self-pay during the downtime; their insurance number and
unit are kept with the charge as a settlement pending (seed 003 E), to be redone after
recovery. Voids and refunds are events of their own: a charge is never changed in the journal.
"""
from decimal import ROUND_HALF_UP, Decimal

from lifeline.his.canonical import ITEM_KIND
from lifeline.his.wording import gettext as _
from lifeline.workstation import numbering, policies, stock
from lifeline.workstation.errors import StationRefused
from lifeline.workstation.journal import Event
from lifeline.workstation.station import Operator, Station, patient, positive

PAYMENT_METHODS = {"cash": "现金", "bank_card": "银行卡", "wechat": "微信", "alipay": "支付宝"}
SELF_PAY, PENDING_INSURANCE = "self_pay", "pending_insurance"
PAID, VOIDED, REFUNDED = "paid", "voided", "refunded"
CENT = Decimal("0.01")


def set_invoice_number(station: Station, operator: Operator, invoice_no) -> Event:
    """Start of a shift (seed 003 K): the cashier's current paper invoice number, which must lie
    in one of the cashier's invoice ranges in the base data."""
    with station.act(operator, policies.SET_INVOICE_NUMBER) as tx:
        number = _whole(invoice_no, "invoice_no")
        row = station.one("SELECT range_id, last_no FROM base.invoice_range WHERE cashier_code = ? "
                          "AND first_no <= ? AND ? <= last_no", (operator.code, number, number))
        if row is None:
            raise StationRefused("invoice_no", _("invoice number %(no)s is in none of the invoice ranges of "
                                                 "cashier %(code)s") % {"no": number, "code": operator.code})
        _unused(station, number)
        tx.db.execute("INSERT OR REPLACE INTO cashier_invoices VALUES (?, ?, ?, ?)",
                      (operator.code, row[0], number, row[1]))
        return tx.record("invoice_number_set", operator.code, {"invoice_no": number, "range_id": row[0]})


def charge(station: Station, operator: Operator, card_no: str, invoice_no, lines: list[dict],
           payment_method: str, insurance_no: str = "", insurance_unit: str = "", visit_no: str = "") -> Event:
    """A charge on the invoice `invoice_no` (the cashier's current one) for `lines`, each
    {item_kind, item_code, quantity, unit_price} at the dictionary's price. Returns the event."""
    with station.act(operator, policies.CHARGE) as tx:
        invoice = _current_invoice(station, operator, invoice_no)
        patient(station, card_no)
        if visit_no and station.one("SELECT 1 FROM visits WHERE visit_no = ?", (visit_no,)) is None:
            raise StationRefused("visit_no", _("visit %(no)s was not registered on this station") % {"no": visit_no})
        if payment_method not in PAYMENT_METHODS:
            raise StationRefused("payment_method", _("%(value)s is not one of %(choices)s") % {
                "value": payment_method, "choices": ", ".join(PAYMENT_METHODS)})
        if bool(insurance_no) != bool(insurance_unit):
            raise StationRefused("insurance_unit" if insurance_no else "insurance_no",
                                 _("an insurance settlement needs both the insurance number and the unit"))
        priced = [_priced(station, line, i) for i, line in enumerate(lines)]
        if not priced:
            raise StationRefused("lines", _("a charge has at least one item"))
        charge_no = str(numbering.issue(tx, "charge"))
        total = sum((line["amount"] for line in priced), Decimal(0))
        payload = {"charge_no": charge_no, "invoice_no": invoice, "card_no": card_no, "visit_no": visit_no or None,
                   "lines": priced, "total": total, "payment_method": payment_method,
                   "settlement": PENDING_INSURANCE if insurance_no else SELF_PAY,
                   "insurance_no": insurance_no or None, "insurance_unit": insurance_unit or None}
        event = tx.record("charge", operator.code, payload)
        _store(tx, event)
        tx.db.execute("UPDATE cashier_invoices SET next_no = next_no + 1 WHERE cashier_code = ?", (operator.code,))
        return event


def cancel(station: Station, operator: Operator, charge_no: str, reason: str, kind: str = "void") -> Event:
    """A void (作废, the invoice spoiled at the window) or a refund (退费) of a paid charge on
    this station, as its own event."""
    if kind not in ("void", "refund"):
        raise StationRefused("kind", _("%(value)s is not one of %(choices)s") % {"value": kind,
                                                                                "choices": "void, refund"})
    with station.act(operator, policies.CANCEL_CHARGE) as tx:
        row = station.one("SELECT status, total FROM charges WHERE charge_no = ?", (charge_no,))
        if row is None:
            raise StationRefused("charge_no", _("charge %(no)s was not made on this station") % {"no": charge_no})
        if row[0] != PAID:
            raise StationRefused("charge_no", _("charge %(no)s is %(status)s already") % {"no": charge_no,
                                                                                      "status": row[0]})
        if station.one("SELECT 1 FROM dispensings WHERE slip = ?", ("charge:" + charge_no,)):
            raise StationRefused("charge_no", _("the drugs of charge %(no)s were dispensed: they come back to "
                                                "the pharmacy before a refund") % {"no": charge_no})
        if not str(reason).strip():
            raise StationRefused("reason", _("required, but empty"))
        tx.db.execute("UPDATE charges SET status = ? WHERE charge_no = ?",
                      (VOIDED if kind == "void" else REFUNDED, charge_no))
        return tx.record(kind, operator.code, {"charge_no": charge_no, "amount": row[1],
                                               "reason": str(reason).strip()})


def _whole(value, field: str) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        raise StationRefused(field, _("%(value)s is not a whole number") % {"value": value}) from None


def _current_invoice(station: Station, operator: Operator, invoice_no) -> int:
    number = _whole(invoice_no, "invoice_no")
    row = station.one("SELECT next_no, last_no FROM cashier_invoices WHERE cashier_code = ?", (operator.code,))
    if row is None:
        raise StationRefused("invoice_no", _("set the current invoice number at the start of the shift first"))
    if row[0] > row[1]:
        raise StationRefused("invoice_no", _("the invoice range is used up: set the first number of the next "
                                             "range"))
    if number != row[0]:
        raise StationRefused("invoice_no", _("invoice number %(no)s is not the current one, %(current)s: check "
                                             "the paper invoice in the printer") % {"no": number,
                                                                                  "current": row[0]})
    _unused(station, number)
    return number


def _unused(station: Station, number: int):
    """An invoice number is printed once: one this station used already (a cashier back at a number
    they passed, or set to a range another cashier of this window used) is refused before it is set
    or charged, not left to the database's unique key."""
    used = station.one("SELECT charge_no FROM charges WHERE invoice_no = ?", (number,))
    if used:
        raise StationRefused("invoice_no", _("invoice number %(no)s was used on this station already (charge "
                                             "%(charge)s): take the next unused paper invoice") % {
            "no": number, "charge": used[0]})


def _priced(station: Station, line: dict, i: int) -> dict:
    field = f"lines.{i}"
    kind, code = line.get("item_kind"), str(line.get("item_code") or "")
    if kind not in ITEM_KIND:
        raise StationRefused(f"{field}.item_kind", _("%(value)s is not one of %(choices)s") % {
            "value": kind, "choices": ", ".join(ITEM_KIND)})
    if kind == "drug":
        name, unit, price, category = stock.drug(station.db, code, f"{field}.item_code")
    else:
        row = station.one("SELECT name, unit, price, insurance_category FROM base.price_item WHERE code = ?", (code,))
        if row is None:
            raise StationRefused(f"{field}.item_code", _("item %(code)s is not in the price list") % {"code": code})
        name, unit, price, category = row
    quantity = positive(line.get("quantity"), f"{field}.quantity")
    unit_price = positive(line.get("unit_price"), f"{field}.unit_price")
    if unit_price != Decimal(price):
        raise StationRefused(f"{field}.unit_price", _("%(value)s is not the price in the dictionary, %(price)s")
                             % {"value": line.get("unit_price"), "price": price})
    # The insurance category goes with the line: merge-back writes it, and the re-settlement of a
    # pending insurance charge needs the category it was charged under.
    return {"item_kind": kind, "item_code": code, "name": name, "unit": unit, "quantity": quantity,
            "unit_price": price, "insurance_category": category,
            "amount": (quantity * unit_price).quantize(CENT, ROUND_HALF_UP)}


def _store(tx, event):
    p = event.payload
    tx.db.execute("INSERT INTO charges VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  (p["charge_no"], p["invoice_no"], p["card_no"], p["visit_no"], p["total"], p["payment_method"],
                   p["insurance_no"], p["insurance_unit"], p["settlement"], PAID, event.seq))
    tx.db.executemany("INSERT INTO charge_lines VALUES (?, ?, ?, ?, ?, ?, ?)",
                      [(p["charge_no"], i, line["item_kind"], line["item_code"], line["quantity"],
                        line["unit_price"], line["amount"]) for i, line in enumerate(p["lines"])])


def takings(station: Station, cashier_code: str) -> dict:
    """A cashier's takings on this station, for the handover at the end of the shift. Everything
    here came after the switch to the emergency system; what came before is in the HIS, so the
    two are kept apart (应急系统切换前后收款分开). Per payment method: charged, voided (the invoice
    spoiled, nothing collected), refunded, and net; the charges whose insurance settlement is
    pending; the invoice numbers used and those voided."""
    rows = station.db.execute(
        "SELECT c.payment_method, c.status, c.total, c.settlement, c.invoice_no FROM charges c "
        "JOIN journal j ON j.seq = c.seq WHERE j.operator = ? ORDER BY c.invoice_no", (cashier_code,)).fetchall()
    methods: dict[str, dict[str, Decimal]] = {}
    pending = Decimal(0)
    for method, status, total, settlement, _invoice in rows:
        sums = methods.setdefault(method, {"charged": Decimal(0), VOIDED: Decimal(0), REFUNDED: Decimal(0)})
        sums["charged"] += Decimal(total)
        if status in (VOIDED, REFUNDED):
            sums[status] += Decimal(total)
        elif settlement == PENDING_INSURANCE:
            pending += Decimal(total)
    for sums in methods.values():
        sums["net"] = sums["charged"] - sums[VOIDED] - sums[REFUNDED]
    invoices = [row[4] for row in rows]
    return {"cashier_code": cashier_code, "by_method": methods, "net": sum((m["net"] for m in methods.values()),
                                                                           Decimal(0)),
            "pending_insurance": pending, "invoices": (invoices[0], invoices[-1]) if invoices else None,
            "voided_invoices": [row[4] for row in rows if row[1] == VOIDED]}
