from django import forms
from django.utils.translation import gettext_lazy as _

from lifeline.people.models import CheckIn


class CheckInForm(forms.Form):
    status = forms.ChoiceField(label=_("status"), choices=CheckIn.Status.choices)
    eta_minutes = forms.IntegerField(label=_("minutes to arrive"), required=False, min_value=0, max_value=24 * 60)
    note = forms.CharField(label=_("location note"), required=False, max_length=200)
