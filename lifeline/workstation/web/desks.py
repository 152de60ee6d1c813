"""The desk pages: 挂号办卡, 收费, 处方录入, 发药, 收款汇总. Thin: each reads its form, calls the
desk service, and on a refusal shows the message beside the field with what was typed kept
(the service wrote nothing)."""
from datetime import datetime
from urllib.parse import quote

from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lifeline.his.canonical import SESSION
from lifeline.workstation import charging, pharmacy, policies, prescriptions, receipt, registration, stock
from lifeline.workstation.errors import StationRefused
from lifeline.workstation.web.access import operator_page, safe_next
from lifeline.workstation.web.desk import desk, now
from lifeline.workstation.web.forms import Form
from lifeline.workstation.web.printing import qr_svg

CHARGE_LINES, PRESCRIPTION_LINES = 6, 5
CARD_FIELDS = ["name", "sex", "birth_date", "id_card_no", "phone", "insurance_type", "insurance_no"]


def _rows(station, sql, params=()):
    cursor = station.db.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _local_time(row: dict) -> dict:
    """The event's time as a datetime, which templates show in the hospital's zone."""
    return {**row, "recorded_at": datetime.fromisoformat(row["recorded_at"])}


def _schedule(station):
    """Today's clinics (local date), or every clinic on the schedule when none is today's."""
    sql = ("SELECT s.schedule_id, s.clinic_date, s.session, s.clinic_type, s.fee, d.name AS department, "
           "st.name AS doctor FROM base.clinic_schedule s LEFT JOIN base.department d ON d.code = s.department_code "
           "LEFT JOIN base.staff st ON st.code = s.doctor_code {} ORDER BY s.clinic_date, d.name, s.session LIMIT 300")
    today = _rows(station, sql.format("WHERE s.clinic_date = ?"), (now().astimezone().date().isoformat(),))
    clinics = today or _rows(station, sql.format(""))
    for clinic in clinics:  # 上午, not AM: the Chinese half of the canonical code's label
        clinic["session"] = SESSION.get(clinic["session"], clinic["session"]).split(" ")[0]
    return clinics


def _pharmacies(station):
    return _rows(station, "SELECT code, name FROM base.department WHERE kind = 'pharmacy' ORDER BY code")


@operator_page(policies.REGISTER)
def register(request):
    form = Form(request.POST or request.GET, ["card_no", "schedule_id", "free_of_fee"])
    if request.method == "POST":
        try:
            event = registration.register_visit(request.station, request.operator, form.value("card_no"),
                                                form.value("schedule_id"), free_of_fee=bool(form.value("free_of_fee")))
            return redirect("slip", visit_no=event.payload["visit_no"])
        except StationRefused as refusal:
            form.refuse(refusal)
    return render(request, "workstation/register.html", {"form": form, "schedule": _schedule(request.station)})


@operator_page(policies.REGISTER)
def slip(request, visit_no):
    rows = _rows(request.station, "SELECT v.*, j.recorded_at, j.operator, j.mode, coalesce(p.name, n.name) AS name, "
                 "d.name AS department, st.name AS doctor FROM visits v JOIN journal j ON j.seq = v.seq "
                 "LEFT JOIN base.patient p ON p.card_no = v.card_no LEFT JOIN new_patients n ON n.card_no = v.card_no "
                 "LEFT JOIN base.department d ON d.code = v.department_code "
                 "LEFT JOIN base.staff st ON st.code = v.doctor_code WHERE v.visit_no = ?", (visit_no,))
    if not rows:
        raise Http404(visit_no)
    return render(request, "workstation/slip.html", {"visit": _local_time(rows[0])})


@operator_page(policies.ISSUE_CARD)
def card(request):
    form = Form(request.POST, CARD_FIELDS)
    if request.method == "POST":
        try:
            event = registration.issue_card(request.station, request.operator,
                                            {name: form.value(name) or None for name in CARD_FIELDS})
            return redirect(f"/register/?card_no={event.payload['card_no']}&new=1")
        except StationRefused as refusal:
            form.refuse(refusal)
    return render(request, "workstation/card.html", {"form": form})


def _current_invoice(station, operator):
    row = station.one("SELECT next_no, last_no FROM cashier_invoices WHERE cashier_code = ?", (operator.code,))
    return {"next": row[0], "last": row[1]} if row else None


@operator_page(policies.SET_INVOICE_NUMBER, prices=True)
def invoice(request):
    form = Form(request.POST, ["invoice_no"])
    if request.method == "POST":
        try:
            charging.set_invoice_number(request.station, request.operator, form.value("invoice_no"))
            return redirect(safe_next(request, "/charge/"))
        except StationRefused as refusal:
            form.refuse(refusal)
    ranges = _rows(request.station, "SELECT range_id, first_no, last_no FROM base.invoice_range WHERE cashier_code = ?",
                   (request.operator.code,))
    return render(request, "workstation/invoice.html", {"form": form, "ranges": ranges,
                                                        "next": safe_next(request, "/charge/"),
                                                        "current": _current_invoice(request.station,
                                                                                    request.operator)})


def _item_kind(station, code: str) -> tuple[str, str]:
    """(kind, dictionary price) of a code typed at the window: a price item, else a drug."""
    row = station.one("SELECT price FROM base.price_item WHERE code = ?", (code,))
    if row:
        return "price_item", row[0]
    row = station.one("SELECT price FROM base.drug WHERE code = ?", (code,))
    return ("drug", row[0]) if row else ("price_item", "0")


@operator_page(policies.CHARGE, prices=True)
def charge(request):
    station = request.station
    current = _current_invoice(station, request.operator)
    if current is None:
        return redirect(f"/invoice/?next={quote(request.get_full_path())}")
    data = request.POST if request.method == "POST" else request.GET
    form = Form(data, ["card_no", "invoice_no", "visit_no", "payment_method", "insurance_no", "insurance_unit"],
                CHARGE_LINES, ("item_code", "quantity"))
    if request.method == "POST":
        lines = []
        for _i, line in form.filled_lines("item_code"):
            kind, price = _item_kind(station, line["item_code"]["value"])
            lines.append({"item_kind": kind, "item_code": line["item_code"]["value"],
                          "quantity": line["quantity"]["value"] or "1", "unit_price": price})
        aliases = {f"lines.{n}.{field}": f"lines.{i}.{'quantity' if field == 'quantity' else 'item_code'}"
                   for n, (i, _line) in enumerate(form.filled_lines("item_code"))
                   for field in ("item_kind", "item_code", "quantity", "unit_price")}
        aliases["lines"] = "lines.0.item_code"
        try:
            event = charging.charge(station, request.operator, form.value("card_no"), form.value("invoice_no"), lines,
                                    form.value("payment_method"), form.value("insurance_no"),
                                    form.value("insurance_unit"), form.value("visit_no"))
            return redirect("receipt", charge_no=event.payload["charge_no"])
        except StationRefused as refusal:
            form.refuse(refusal, aliases)
    elif not form.value("invoice_no"):
        form["invoice_no"]["value"] = str(current["next"])
    return render(request, "workstation/charge.html", {
        "form": form, "current": current, "methods": charging.PAYMENT_METHODS,
        "items": _rows(station, "SELECT code, name, unit, price FROM base.price_item ORDER BY code LIMIT 40")})


def _charge(station, charge_no):
    rows = _rows(station, "SELECT c.*, j.recorded_at, j.operator, j.mode, j.event_id, j.package_id, "
                 "coalesce(p.name, n.name) AS name FROM charges c JOIN journal j ON j.seq = c.seq "
                 "LEFT JOIN base.patient p ON p.card_no = c.card_no "
                 "LEFT JOIN new_patients n ON n.card_no = c.card_no WHERE c.charge_no = ?", (charge_no,))
    if not rows:
        raise Http404(charge_no)
    found = _local_time(rows[0])
    event = next(station.journal.events(after=found["seq"] - 1))
    found["lines"] = event.payload["lines"]
    found["code"] = receipt.code(event, desk().keystore())
    return found


@operator_page(policies.CHARGE)
def receipt_page(request, charge_no):
    found = _charge(request.station, charge_no)
    paper = "80" if request.GET.get("paper") == "80" else "a5"
    return render(request, "workstation/receipt.html", {
        "charge": found, "qr": qr_svg(found["code"]), "paper": paper, "methods": charging.PAYMENT_METHODS,
        "cancel_form": Form(request.POST, ["kind", "reason"])})


@require_POST
@operator_page(policies.CANCEL_CHARGE)
def cancel(request, charge_no):
    form = Form(request.POST, ["kind", "reason"])
    try:
        charging.cancel(request.station, request.operator, charge_no, form.value("reason"), form.value("kind"))
        return redirect("receipt", charge_no=charge_no)
    except StationRefused as refusal:
        form.refuse(refusal, {"charge_no": "reason"})
    found = _charge(request.station, charge_no)
    return render(request, "workstation/receipt.html", {
        "charge": found, "qr": qr_svg(found["code"]), "paper": "a5", "methods": charging.PAYMENT_METHODS,
        "cancel_form": form}, status=400)


def _stock(station, pharmacy_code, query):
    like = f"%{query}%"
    drugs = _rows(station, "SELECT code, name, spec, unit, price FROM base.drug WHERE code LIKE ? OR name LIKE ? "
                  "ORDER BY code LIMIT 30", (like, like))
    for drug in drugs:
        drug["left"] = stock.available(station, pharmacy_code, drug["code"]) if pharmacy_code else None
    return drugs


@operator_page(policies.ENTER_PRESCRIPTION)
def prescription(request):
    station = request.station
    data = request.POST if request.method == "POST" else request.GET
    form = Form(data, ["visit_no", "doctor_code", "pharmacy_code", "q"], PRESCRIPTION_LINES,
                ("drug_code", "quantity", "dosage"))
    pharmacies = _pharmacies(station)
    if not form.value("pharmacy_code") and pharmacies:
        form["pharmacy_code"]["value"] = pharmacies[0]["code"]
    done = None
    if request.method == "POST":
        filled = form.filled_lines("drug_code")
        lines = [{"drug_code": line["drug_code"]["value"], "quantity": line["quantity"]["value"],
                  "dosage": line["dosage"]["value"]} for _i, line in filled]
        aliases = {f"lines.{n}.{field}": f"lines.{i}.{field}" for n, (i, _line) in enumerate(filled)
                   for field in ("drug_code", "quantity")}
        aliases["lines"] = "lines.0.drug_code"
        try:
            done = prescriptions.enter(station, request.operator, form.value("visit_no"), form.value("doctor_code"),
                                       form.value("pharmacy_code"), lines).payload
            form = Form({"pharmacy_code": form.value("pharmacy_code")}, ["visit_no", "doctor_code", "pharmacy_code",
                                                                         "q"], PRESCRIPTION_LINES,
                        ("drug_code", "quantity", "dosage"))
        except StationRefused as refusal:
            form.refuse(refusal, aliases)
    return render(request, "workstation/prescription.html", {
        "form": form, "pharmacies": pharmacies, "done": done,
        "drugs": _stock(station, form.value("pharmacy_code"), form.value("q")),
        "doctors": _rows(station, "SELECT code, name FROM base.staff WHERE role = 'doctor' ORDER BY code LIMIT 200")})


@operator_page(policies.DISPENSE)
def dispense(request):
    station = request.station
    pharmacies = _pharmacies(station)
    form = Form(request.POST, ["code", "pharmacy_code"])
    manual = Form({}, ["slip_no", "card_no"], PRESCRIPTION_LINES, ("drug_code", "quantity"))
    if not form.value("pharmacy_code") and pharmacies:
        form["pharmacy_code"]["value"] = pharmacies[0]["code"]
    done = None
    if request.method == "POST":
        try:
            typed = form.value("code")
            slip = receipt.read(typed, desk().keystore()) if typed.startswith(receipt.PREFIX) else None
            charge_no = slip["charge_no"] if slip else typed
            if not charge_no:
                raise StationRefused("code", _("scan the receipt's code or type the charge number"))
            done = pharmacy.dispense(station, request.operator, charge_no, form.value("pharmacy_code"), slip)
            form["code"]["value"] = ""
        except StationRefused as refusal:
            form.refuse(refusal, {"charge_no": "code"})
    return render(request, "workstation/dispense.html", {"form": form, "manual": manual, "pharmacies": pharmacies,
                                                         "done": done, "drug_names": _drug_names(station, done)})


def _drug_names(station, event):
    if event is None:
        return []
    return [{**line, "name": (station.one("SELECT name FROM base.drug WHERE code = ?", (line["drug_code"],))
                              or ["?"])[0]} for line in event.payload["lines"]]


@require_POST
@operator_page(policies.DISPENSE)
def dispense_by_hand(request):
    station = request.station
    form = Form(request.POST, ["code", "pharmacy_code"])
    manual = Form(request.POST, ["slip_no", "card_no"], PRESCRIPTION_LINES, ("drug_code", "quantity"))
    filled = manual.filled_lines("drug_code")
    lines = [{"drug_code": line["drug_code"]["value"], "quantity": line["quantity"]["value"]} for _i, line in filled]
    aliases = {f"lines.{n}.{field}": f"lines.{i}.{field}" for n, (i, _line) in enumerate(filled)
               for field in ("drug_code", "quantity")}
    aliases["lines"] = "lines.0.drug_code"
    done = None
    try:
        done = pharmacy.dispense_by_hand(station, request.operator, manual.value("slip_no"), manual.value("card_no"),
                                         form.value("pharmacy_code"), lines)
        manual = Form({}, ["slip_no", "card_no"], PRESCRIPTION_LINES, ("drug_code", "quantity"))
    except StationRefused as refusal:
        manual.refuse(refusal, {**aliases, "pharmacy_code": "slip_no"})
    return render(request, "workstation/dispense.html", {
        "form": form, "manual": manual, "pharmacies": _pharmacies(station), "done": done,
        "drug_names": _drug_names(station, done)}, status=200 if done else 400)


@operator_page(policies.CHARGE)
def takings(request):
    return render(request, "workstation/takings.html", {
        "takings": charging.takings(request.station, request.operator.code), "methods": charging.PAYMENT_METHODS})
