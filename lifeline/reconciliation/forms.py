"""The reconciliation pages' forms: they parse what was typed; the rules are services' and
paper's (a Refused goes back under its field)."""
from django import forms
from django.utils.translation import gettext_lazy as _

from lifeline.incidents.models import Incident
from lifeline.reconciliation.models import PaperForm
from lifeline.reconciliation.paper import FIELDS, OPTIONAL

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ReconciliationForm(forms.Form):
    incident = forms.ModelChoiceField(label=_("Incident"), required=False,
                                      queryset=Incident.objects.order_by("-opened_at")[:200])
    start = forms.DateTimeField(label=_("Or the period from"), required=False, widget=DATETIME)
    end = forms.DateTimeField(label=_("to"), required=False, widget=DATETIME)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["incident"].queryset = Incident.objects.order_by("-opened_at")
        self.fields["incident"].label_from_instance = lambda i: str(i)


class SignOffForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=500)


class BundleForm(forms.Form):
    department = forms.CharField(label=_("Department"), max_length=100)
    form = forms.ChoiceField(label=_("Paper form"), choices=PaperForm.choices)
    sheets = forms.IntegerField(label=_("Sheets collected"), min_value=1, max_value=100_000,
                                help_text=_("For a charge sheet or a dispensing log: its filled lines"))


PAYMENT_METHODS = [("cash", _("Cash")), ("bank_card", _("Bank card")), ("wechat", _("WeChat Pay")),
                   ("alipay", _("Alipay"))]


class PaperEntryForm(forms.Form):
    """One sheet (or one line of a charge sheet or dispensing log); only the bundle's form's
    fields are kept (paper.FIELDS)."""

    serial = forms.CharField(label=_("Serial no. on the sheet"), max_length=40)
    recorded_at = forms.DateTimeField(label=_("Date and time on the sheet"), widget=DATETIME)
    operator = forms.CharField(label=_("Staff no. of who wrote it"), max_length=40,
                               help_text=_("The cashier, registrar or pharmacist named on the sheet"))
    card_no = forms.CharField(label=_("Card no."), max_length=40)
    department_code = forms.CharField(label=_("Department code"), max_length=40)
    doctor_code = forms.CharField(label=_("Doctor's staff no."), max_length=40)
    fee = forms.DecimalField(label=_("Registration fee (yuan)"), min_value=0, max_digits=10, decimal_places=2)
    visit_no = forms.CharField(label=_("Visit no."), max_length=40)
    pharmacy_code = forms.CharField(label=_("Pharmacy code"), max_length=40)
    invoice_no = forms.IntegerField(label=_("Invoice no."), min_value=1)
    payment_method = forms.ChoiceField(label=_("Payment method"), choices=PAYMENT_METHODS)
    insurance_no = forms.CharField(label=_("Insurance no."), max_length=40)
    insurance_unit = forms.CharField(label=_("Insurance unit"), max_length=100)
    charge_no = forms.CharField(label=_("Charge no. (dispensed against a charge)"), max_length=40)
    lines = forms.CharField(label=_("Lines"), widget=forms.Textarea(attrs={"rows": 4}))

    LINE_HELP = {
        PaperForm.CHARGE_SHEET: _("One item a line: drug or item, code, quantity, unit price, insurance category "
                                  "(甲, 乙 or 丙), e.g. drug D001 2 9.80 甲"),
        PaperForm.PRESCRIPTION: _("One drug a line: drug code, quantity, usage, e.g. D001 2 每日三次"),
        PaperForm.DISPENSING_LOG: _("One drug a line: drug code, quantity, e.g. D001 2"),
    }

    def __init__(self, form_kind: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        keep = FIELDS[form_kind]
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
            elif name in OPTIONAL:
                self.fields[name].required = False
        if "lines" in self.fields:
            self.fields["lines"].help_text = self.LINE_HELP[form_kind]
        self.order_fields(keep)
