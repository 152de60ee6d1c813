from django import forms

from lifeline.stations.models import Station


class StationForm(forms.ModelForm):
    class Meta:
        model = Station
        fields = ["name", "department", "location"]
