"""The reconciliation as one structure of tables, read by the page, the Excel file and the PDF,
so the three say the same things. Words in the interface language (gettext, at build time)."""
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from lifeline.core import clock
from lifeline.reconciliation import paper, services
from lifeline.reconciliation.figures import ZERO, Figures
from lifeline.reconciliation.models import Reconciliation, Resettlement


@dataclass
class Table:
    key: str
    title: str
    header: list[str]
    rows: list[list] = field(default_factory=list)
    note: str = ""
    empty: str = ""


@dataclass
class Report:
    rec: Reconciliation
    title: str
    period: str
    figures: Figures
    tables: list[Table]
    resettlements: list[tuple[Resettlement, int]]  # with working days left
    deadline: str
    printed: str

    @property
    def insurance_rows(self) -> list[tuple[list, Resettlement]]:
        """The re-settlement table's rows, each with its row in the database (for its button)."""
        table = next(t for t in self.tables if t.key == "insurance")
        return list(zip(table.rows, [r for r, _left in self.resettlements], strict=True))


def _amount(value: Decimal | None):
    return "—" if value is None else value


def takings_table(found: Figures, his_note: str) -> Table:
    table = Table("takings", _("Cashiers' takings by payment method"),
                  [_("Cashier"), _("Payment method"), _("Before the switch (HIS)"), _("Charged during the downtime"),
                   _("Voided"), _("Refunded"), _("Net during the downtime"), _("After the switch (HIS)")],
                  note=his_note, empty=_("No charges during the downtime."))
    for t in found.takings:
        for method in t.methods():
            sums = t.during.get(method)
            table.rows.append([t.cashier, services.method_name(method),
                               _amount(None if t.before is None else t.before.get(method, ZERO)),
                               sums.charged if sums else ZERO, sums.voided if sums else ZERO,
                               sums.refunded if sums else ZERO, sums.net if sums else ZERO,
                               _amount(None if t.after is None else t.after.get(method, ZERO))])
        table.rows.append([t.cashier, _("Total"), _amount(None if t.before is None else sum(t.before.values(), ZERO)),
                           "", "", "", t.net, _amount(None if t.after is None else sum(t.after.values(), ZERO))])
    return table


def _ranges(pairs) -> str:
    return "、".join(str(a) if a == b else f"{a}–{b}" for a, b in pairs)


def invoices_table(found: Figures) -> Table:
    return Table("invoices", _("Invoice numbers per cashier"),
                 [_("Cashier"), _("First"), _("Last"), _("Used"), _("Gaps"), _("Duplicates")],
                 [[i.cashier, i.first, i.last, len(i.used), _ranges(i.gaps) or "—",
                   "、".join(f"{n}（{'、'.join(nos)}）" for n, nos in i.duplicates) or "—"] for i in found.invoices],
                 empty=_("No invoices used during the downtime."))


def pharmacy_table(found: Figures) -> Table:
    details = {"no_charge": _("no such charge was received"), "void": _("the charge was voided"),
               "refund": _("the charge was refunded")}
    return Table("pharmacy", _("Pharmacy: dispensed against charges and the manual dispensing log"),
                 [_("Finding"), _("Time"), _("Station"), _("Charge, slip or prescription no."), _("Card no."),
                  _("Drugs"), _("Detail")],
                 [[services.finding_name(r.finding), services.local(r.at), r.station, r.reference, r.card_no, r.drugs,
                   details.get(r.detail, r.detail)] for r in found.pharmacy],
                 empty=_("Nothing was dispensed or charged for drugs during the downtime."))


def patients_table(found: Figures) -> Table:
    return Table("patients", _("Temporary patients and what became of them"),
                 [_("Temporary card no."), _("Name"), _("Station"), _("Issued at"), _("Outcome"),
                  _("Existing patient's card no.")],
                 [[p.card_no, p.name, p.station, services.local(p.at), services.outcome_name(p.outcome),
                   p.existing_card or "—"] for p in found.temporary_patients],
                 empty=_("No temporary cards were issued."))


def resettlement_table(rows: list[tuple[Resettlement, int]], deadline: str) -> Table:
    return Table("insurance", _("Insurance settlements to refund and re-settle"),
                 [_("Charge no."), _("Card no."), _("Insurance no."), _("Insurance unit"), _("Amount"),
                  _("Charged at"), _("Deadline"), _("Working days left"), _("Re-settled by"), _("Re-settled at")],
                 [[r.charge_no, r.card_no, r.insurance_no, r.insurance_unit, r.amount, services.local(r.charged_at),
                   deadline, "—" if r.done_at else left,
                   r.done_by.get_username() if r.done_by_id else "—", services.local(r.done_at) or "—"]
                  for r, left in rows],
                 empty=_("No insurance settlement was left pending."))


def paper_table() -> Table:
    return Table("paper", _("Paper still to enter, per department"),
                 [_("Department"), _("Paper form"), _("Sheets collected"), _("Entered"), _("Left to enter")],
                 [[r["department"], r["form"], r["collected"], r["entered"], r["left"]]
                  for r in paper.left_per_department()],
                 empty=_("No paper bundles were collected."))


def build(rec: Reconciliation) -> Report:
    found, his_note = services.compute(rec)
    start, end = services.window(rec)
    due = services.deadline(rec)
    now = clock.now()
    resettlements = [(r, services.working_days_left(now, due)) for r in services.resettlements(found)]
    deadline = services.local(due)
    return Report(
        rec=rec, title=_("Reconciliation: %(what)s") % {"what": rec}, figures=found,
        period=f"{services.local(start)} – {services.local(end)}",
        tables=[takings_table(found, his_note), invoices_table(found), pharmacy_table(found), patients_table(found),
                resettlement_table(resettlements, deadline), paper_table()],
        resettlements=resettlements, deadline=deadline, printed=services.local(now))
