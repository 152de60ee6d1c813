"""发药: dispense a charge by its number (typed, or read from the receipt's code), and record
drugs given by hand against pre-downtime prescriptions the system never saw (seed 003 O).

Stock: a back-entered prescription took its drugs from the local stock when it was entered
(`prescriptions`), so dispensing its charge takes nothing again; manual dispensing takes them.
"""
from lifeline.his.wording import gettext as _
from lifeline.workstation import policies, stock
from lifeline.workstation.charging import PAID
from lifeline.workstation.errors import StationRefused
from lifeline.workstation.journal import Event
from lifeline.workstation.prescriptions import check_pharmacy, drug_lines
from lifeline.workstation.station import Operator, Station, patient


def dispense(station: Station, operator: Operator, charge_no: str, pharmacy_code: str,
             receipt: dict | None = None) -> Event:
    """Dispense the drugs of charge `charge_no`: a charge made on this station, or one made at
    another, read from its receipt's code (`receipt`: charge_no, card_no and the drug lines)."""
    with station.act(operator, policies.DISPENSE) as tx:
        check_pharmacy(station, pharmacy_code)
        card_no, drugs = _charged_drugs(station, charge_no, receipt)
        slip = "charge:" + charge_no
        _once(station, slip, "charge_no")
        event = tx.record("dispensing", operator.code, {"charge_no": charge_no, "card_no": card_no,
                                                        "pharmacy_code": pharmacy_code, "lines": drugs})
        tx.db.execute("INSERT INTO dispensings VALUES (?, ?)", (slip, event.seq))
        return event


def dispense_by_hand(station: Station, operator: Operator, slip_no: str, card_no: str, pharmacy_code: str,
                     lines: list[dict]) -> Event:
    """Drugs given by hand against a paper prescription from before the downtime (slip kept and
    marked): its own event, the drugs taken from the local stock."""
    with station.act(operator, policies.DISPENSE) as tx:
        if not str(slip_no).strip():
            raise StationRefused("slip_no", _("required, but empty"))
        patient(station, card_no)
        check_pharmacy(station, pharmacy_code)
        taken = drug_lines(station, lines)
        if not taken:
            raise StationRefused("lines", _("at least one drug"))
        slip = "paper:" + str(slip_no).strip()
        _once(station, slip, "slip_no")
        stock.take(station, tx, pharmacy_code, [(line["drug_code"], line["quantity"]) for line in taken])
        event = tx.record("manual_dispensing", operator.code, {"slip_no": str(slip_no).strip(), "card_no": card_no,
                                                               "pharmacy_code": pharmacy_code, "lines": taken})
        tx.db.execute("INSERT INTO dispensings VALUES (?, ?)", (slip, event.seq))
        return event


def _charged_drugs(station: Station, charge_no: str, receipt: dict | None) -> tuple[str, list[dict]]:
    row = station.one("SELECT card_no, status FROM charges WHERE charge_no = ?", (charge_no,))
    if row is not None:
        if row[1] != PAID:
            raise StationRefused("charge_no", _("charge %(no)s is %(status)s") % {"no": charge_no, "status": row[1]})
        drugs = [{"drug_code": code, "quantity": quantity} for code, quantity in station.db.execute(
            "SELECT item_code, quantity FROM charge_lines WHERE charge_no = ? AND item_kind = 'drug' ORDER BY line",
            (charge_no,))]
        card_no = row[0]
    elif receipt is not None and receipt.get("charge_no") == charge_no:
        card_no = receipt.get("card_no")
        drugs = [{"drug_code": line.get("item_code"), "quantity": line.get("quantity")}
                 for line in receipt.get("lines", []) if line.get("item_kind") == "drug"]
        drug_lines(station, drugs)
    else:
        raise StationRefused("charge_no", _("charge %(no)s was not made on this station: scan the receipt's code")
                             % {"no": charge_no})
    if not drugs:
        raise StationRefused("charge_no", _("charge %(no)s has no drugs to dispense") % {"no": charge_no})
    return card_no, drugs


def _once(station: Station, slip: str, field: str):
    seq = station.one("SELECT seq FROM dispensings WHERE slip = ?", (slip,))
    if seq is not None:
        raise StationRefused(field, _("dispensed already (event %(seq)s)") % {"seq": seq[0]})
