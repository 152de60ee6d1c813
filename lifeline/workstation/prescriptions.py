"""处方录入: the cashier back-enters a handwritten prescription against a visit registered on this
station (seed 003 N), drugs from the dictionary, the pharmacy's local stock decremented."""
from lifeline.his.wording import gettext as _
from lifeline.workstation import numbering, policies, stock
from lifeline.workstation.errors import StationRefused
from lifeline.workstation.journal import Event
from lifeline.workstation.station import Operator, Station, positive


def enter(station: Station, operator: Operator, visit_no: str, doctor_code: str, pharmacy_code: str,
          lines: list[dict]) -> Event:
    """A prescription of `lines`, each {drug_code, quantity, dosage}. Returns the event."""
    with station.act(operator, policies.ENTER_PRESCRIPTION) as tx:
        visit = station.one("SELECT card_no FROM visits WHERE visit_no = ?", (visit_no,))
        if visit is None:
            raise StationRefused("visit_no", _("visit %(no)s was not registered on this station: register it "
                                               "(free of fee) first") % {"no": visit_no})
        if station.one("SELECT 1 FROM base.staff WHERE code = ? AND role = 'doctor'", (doctor_code,)) is None:
            raise StationRefused("doctor_code", _("%(code)s is not a doctor in the snapshot") % {"code": doctor_code})
        check_pharmacy(station, pharmacy_code)
        taken = drug_lines(station, lines)
        if not taken:
            raise StationRefused("lines", _("a prescription has at least one drug"))
        stock.take(station, tx, pharmacy_code, [(line["drug_code"], line["quantity"]) for line in taken])
        presc_no = str(numbering.issue(tx, "prescription"))
        event = tx.record("prescription", operator.code, {
            "presc_no": presc_no, "visit_no": visit_no, "card_no": visit[0], "doctor_code": doctor_code,
            "pharmacy_code": pharmacy_code, "lines": taken})
        tx.db.execute("INSERT INTO prescriptions VALUES (?, ?, ?, ?, ?, ?)",
                      (presc_no, visit_no, visit[0], doctor_code, pharmacy_code, event.seq))
        return event


def check_pharmacy(station: Station, pharmacy_code: str):
    if station.one("SELECT 1 FROM base.department WHERE code = ? AND kind = 'pharmacy'", (pharmacy_code,)) is None:
        raise StationRefused("pharmacy_code", _("%(code)s is not a pharmacy in the snapshot") % {"code": pharmacy_code})


def drug_lines(station: Station, lines: list[dict]) -> list[dict]:
    """The lines checked: each drug in the dictionary, each quantity above zero."""
    checked = []
    for i, line in enumerate(lines):
        code = str(line.get("drug_code") or "")
        stock.drug(station.db, code, f"lines.{i}.drug_code")
        checked.append({"drug_code": code, "quantity": positive(line.get("quantity"), f"lines.{i}.quantity"),
                        "dosage": str(line.get("dosage") or "").strip() or None})
    return checked
