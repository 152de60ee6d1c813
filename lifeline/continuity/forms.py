from django import forms

from lifeline.continuity.models import Station


class StationForm(forms.ModelForm):
    class Meta:
        model = Station
        fields = ["name", "department", "location"]
