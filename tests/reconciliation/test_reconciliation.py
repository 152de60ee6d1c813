"""Reconciliation of a downtime: takings, invoices, pharmacy, temporary patients, insurance to
re-settle; the page, Excel and PDF say the same figures; the sign-off is audited and shown in
the incident's fault analysis."""
import io
from datetime import datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from lifeline.accounts.roles import Role
from lifeline.analysis import services as analysis
from lifeline.audit.models import AuditEntry
from lifeline.core.errors import Refused
from lifeline.reconciliation import services
from lifeline.reconciliation.models import Reconciliation, Resettlement
from lifeline.recovery.models import Conflict, ReceivedEvent
from tests.incidents.conftest import SHANGHAI

pytestmark = pytest.mark.django_db


def last_audit_entry(object_type: str, pk: int) -> AuditEntry:
    return AuditEntry.objects.filter(object_type=object_type, object_id=str(pk)).order_by("seq").last()


@pytest.fixture
def rec(downtime, make_user):
    return services.create(make_user("duty", Role.DUTY), incident=downtime)


def test_each_cashiers_takings_are_their_charges_minus_voids_and_refunds(rec):
    found, note = services.compute(rec)

    by = {t.cashier: t for t in found.takings}
    assert set(by) == {"C01", "C02"}  # the drill charge and the one before the downtime are not there
    c01 = by["C01"].during
    assert (c01["cash"].charged, c01["cash"].voided, c01["cash"].net) == (Decimal("40.00"), Decimal("12.00"),
                                                                         Decimal("28.00"))
    assert (c01["wechat"].refunded, c01["wechat"].net) == (Decimal("35.50"), Decimal("0.00"))
    assert by["C01"].net == Decimal("78.00") and by["C02"].net == Decimal("55.00")
    assert by["C01"].before is None and "LIFELINE_SNAPSHOT_MAPPING" in note  # no HIS here: said so


def test_the_his_takings_before_and_after_the_switch_are_shown_by_method(rec, monkeypatch):
    asked = []

    def his(start, end):
        asked.append((start, end))
        return ([{"cashier_code": "C01", "payment_method": "cash", "amount": Decimal("300.00")}],
                [{"cashier_code": "C03", "payment_method": "wechat", "amount": Decimal("7.00")}], "")

    monkeypatch.setattr(services, "his_takings", his)
    found, note = services.compute(rec)

    by = {t.cashier: t for t in found.takings}
    assert by["C01"].before == {"cash": Decimal("300.00")} and by["C03"].after == {"wechat": Decimal("7.00")}
    assert asked == [services.window(rec)] and note == ""


def test_invoice_gaps_and_duplicates_are_found_where_planted(rec):
    found, _note = services.compute(rec)

    c01 = next(i for i in found.invoices if i.cashier == "C01")
    assert c01.gaps == [(1002, 1002)]  # 1004..1999 is not a gap: the cashier set 2000 as a new range
    assert c01.duplicates == [(1003, ["K3", "K4"])]
    c02 = next(i for i in found.invoices if i.cashier == "C02")
    assert (c02.gaps, c02.duplicates) == ([], [])


def test_the_pharmacy_list_finds_unpaid_dispensing_and_paid_not_dispensed(rec):
    found, _note = services.compute(rec)

    rows = {(r.finding, r.reference) for r in found.pharmacy}
    assert {ref for finding, ref in rows if finding == "dispensed_unpaid"} == {"K3", "K99"}
    assert {ref for finding, ref in rows if finding == "paid_not_dispensed"} == {"K4"}
    assert ("manual", "S-17") in rows and ("dispensed", "K1") in rows


def test_temporary_patients_say_what_became_of_them(rec):
    t1 = ReceivedEvent.objects.get(kind="new_patient", payload__card_no="T1")
    Conflict.objects.create(event=t1, kind="patient_match", state="confirmed", resolution={"card_no": "H123"})
    t2 = ReceivedEvent.objects.get(kind="new_patient", payload__card_no="T2")
    ReceivedEvent.objects.filter(pk=t2.pk).update(merged_at=t2.received_at)

    found, _note = services.compute(rec)

    outcomes = {p.card_no: (p.outcome, p.existing_card) for p in found.temporary_patients}
    assert outcomes == {"T1": ("confirmed", "H123"), "T2": ("merged_new", "")}


def test_pending_insurance_deadline_counts_working_days(rec, clock):
    # The downtime ended Monday 2026-11-23 11:00; three working days: Tue, Wed, Thu.
    assert services.deadline(rec) == datetime(2026, 11, 26, 11, 0, tzinfo=SHANGHAI)
    found, _note = services.compute(rec)
    assert {r.charge_no for r in services.resettlements(found)} == {"K5", "K7"}
    clock.freeze(datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI))
    assert services.working_days_left(clock.now(), services.deadline(rec)) == 2
    # Over National Day (10-01..10-07): from Tuesday 2026-09-29, Wednesday 09-30, then 10-08 and 10-09.
    tuesday = datetime(2026, 9, 29, 17, 0, tzinfo=SHANGHAI)
    rec.incident = None
    rec.start, rec.end = tuesday.replace(hour=8), tuesday
    assert services.deadline(rec) == datetime(2026, 10, 9, 17, 0, tzinfo=SHANGHAI)
    assert services.working_days_left(tuesday, services.deadline(rec)) == 3
    assert services.working_days_left(datetime(2026, 10, 3, tzinfo=SHANGHAI), services.deadline(rec)) == 2


def test_ticking_a_resettlement_records_who_and_is_audited(rec, make_user, client):
    cashier = make_user("cashier", Role.DEPARTMENT)
    client.force_login(cashier)
    page = client.get(f"/reconciliation/{rec.pk}/")
    assert page.status_code == 200
    k7 = Resettlement.objects.get(charge_no="K7")
    created = AuditEntry.objects.filter(object_type="reconciliation.resettlement", object_id=str(k7.pk)).first()
    assert (created.action, created.actor, created.actor_label) == ("create", None, "reconciliation")

    answer = client.post(f"/reconciliation/{rec.pk}/insurance/{k7.pk}/done/")

    assert answer.status_code == 302
    k7.refresh_from_db()
    assert k7.done_by == cashier and k7.done_at is not None
    entry = last_audit_entry("reconciliation.resettlement", k7.pk)
    assert entry.actor == cashier and "done_by" in entry.changes
    again = client.post(f"/reconciliation/{rec.pk}/insurance/{k7.pk}/done/", follow=True)
    assert "已重新结算" in again.content.decode()


def test_sign_off_is_audited_and_shown_in_the_fault_analysis(rec, make_user, client):
    commander = make_user("commander", Role.COMMANDER)
    duty = make_user("duty2", Role.DUTY)
    with pytest.raises(Refused):
        services.sign_off(rec, duty)
    client.force_login(commander)

    answer = client.post(f"/reconciliation/{rec.pk}/sign-off/", {"note": "账实相符"})

    assert answer.status_code == 302
    rec = Reconciliation.objects.get(pk=rec.pk)
    assert rec.signed_off_by == commander and rec.signed_figures["net"] == "133.00"
    assert rec.signed_figures["dispensed_unpaid"] == 2 and rec.signed_figures["invoice_duplicates"] == 1
    entry = last_audit_entry("reconciliation.reconciliation", rec.pk)
    assert entry.actor == commander and entry.changes["signed_figures"][1]["net"] == "133.00"
    report = analysis.build(rec.incident)
    section = report.sections[0]
    assert section.heading == "对账（已签署）"
    assert ("对账期间收款（净额）", "133.00") in section.pairs
    page = client.get(f"/analysis/incidents/{rec.incident.pk}/").content.decode()
    assert "对账（已签署）" in page and "133.00" in page
    pdf = client.get(f"/analysis/incidents/{rec.incident.pk}/fault-analysis.pdf").content
    assert "对账（已签署）" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert client.post(f"/reconciliation/{rec.pk}/sign-off/").status_code == 400  # once only


def test_the_page_excel_and_pdf_carry_the_figures(rec, make_user, client):
    client.force_login(make_user("auditor", Role.AUDITOR))

    page = client.get(f"/reconciliation/{rec.pk}/").content.decode()
    workbook = load_workbook(io.BytesIO(client.get(f"/reconciliation/{rec.pk}/reconciliation.xlsx").content))
    pdf = client.get(f"/reconciliation/{rec.pk}/reconciliation.pdf")

    assert "1002" in page and "K99" in page and "签署对账" not in page  # auditors read, never sign
    takings = workbook["收费员收款（按支付方式）"]
    rows = [[cell.value for cell in row] for row in takings.iter_rows(min_row=2)]
    assert ["C01", "合计", "—", None, None, None, 78, "—"] in rows
    invoices = [[c.value for c in row] for row in workbook["各收费员发票号"].iter_rows(min_row=2)]
    assert invoices[0][:6] == ["C01", 1000, 2000, 4, "1002", "1003（K3、K4）"]
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert pdf["Content-Type"] == "application/pdf"
    assert "78.00" in text and "K99" in text and "1003（K3、K4）" in text


def test_a_period_without_an_incident_and_bad_input(make_user, client):
    client.force_login(make_user("duty3", Role.DUTY))
    answer = client.post("/reconciliation/", {"start": "2026-11-22T10:00", "end": "2026-11-22T09:00"})
    assert answer.status_code == 400 and "结束时间必须晚于开始时间" in answer.content.decode()
    assert not Reconciliation.objects.exists()
    answer = client.post("/reconciliation/", {"start": "2026-11-22T08:00", "end": "2026-11-22T09:00"})
    assert answer.status_code == 302 and Reconciliation.objects.get().incident is None
