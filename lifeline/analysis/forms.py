"""The analysis page's forms. They carry the fields and their widgets; the rules are the
services' (core.errors.add_to_form puts a Refused from services on the field it names), so the
page and the API refuse the same input with the same words."""
from django import forms
from django.utils.translation import gettext_lazy as _

from lifeline.analysis import services
from lifeline.analysis.models import FaultAnalysis, FollowUp
from lifeline.people.models import Member


class AnalysisForm(forms.Form):
    """The texts people write: cause, what went well and badly, lessons, changes to the plan."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(forms.fields_for_model(FaultAnalysis, fields=FaultAnalysis.TEXT_FIELDS))
        for field in self.fields.values():
            field.widget.attrs["rows"] = 4  # five of them on one page: Django's ten rows each is a long scroll


class OwnerChoice(forms.ModelChoiceField):
    def label_from_instance(self, member):
        return f"{member.name} ({member.department})" if member.department else member.name


class FollowUpForm(forms.Form):
    """A follow-up of one incident; the date picker offers the due dates services accept."""

    title = forms.CharField(label=_("What is to be done"), max_length=FollowUp._meta.get_field("title").max_length)
    owner = OwnerChoice(Member.objects.filter(active=True), label=_("Owner"), required=False, empty_label="—")
    vendor = forms.CharField(label=_("or a vendor"), required=False,
                             max_length=FollowUp._meta.get_field("vendor").max_length)
    # Text, not a DateField: services.parse_date says how to write a date the same way for the API.
    due_on = forms.CharField(label=_("Due date"))

    def __init__(self, incident, *args, **kwargs):
        super().__init__(*args, **kwargs)
        earliest, latest = services.due_date_range(incident)
        self.fields["due_on"].widget = forms.DateInput(attrs={
            "type": "date", "min": earliest.isoformat(), "max": latest.isoformat()})


class DoneForm(forms.Form):
    """Marking a follow-up done, with what was done; one per row of the open follow-ups."""

    result = forms.CharField(label=_("Result"), required=False,
                             max_length=FollowUp._meta.get_field("result").max_length,
                             # One per row, no ids: the input names itself (aria-label) rather than by a <label for>.
                             widget=forms.TextInput(attrs={"placeholder": _("Result (optional)"),
                                                           "aria-label": _("Result")}))
