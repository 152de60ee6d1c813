from django import forms
from django.utils.translation import gettext_lazy as _

from lifeline.stations.models import Station


class StationForm(forms.ModelForm):
    class Meta:
        model = Station
        fields = ["name", "department", "location"]


class DeclareForm(forms.Form):
    """Which stations in service take the mode: all of them, or those ticked; confirmed."""

    which = forms.ChoiceField(label=_("Stations"), widget=forms.RadioSelect, initial="all", choices=[
        ("all", _("Every station in service")), ("chosen", _("Only the stations ticked below"))])
    stations = forms.ModelMultipleChoiceField(label=_("Stations ticked"), required=False,
                                              widget=forms.CheckboxSelectMultiple, queryset=Station.objects.none())
    confirm = forms.BooleanField(label=_("I confirm: each station puts the mode in force on its next contact "
                                         "with the server"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stations"].queryset = Station.objects.filter(revoked_at__isnull=True).order_by("department",
                                                                                                    "name")
        self.fields["stations"].label_from_instance = lambda s: f"{s.name}（{s.department}）"

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("which") == "chosen" and not cleaned.get("stations"):
            self.add_error("stations", _("Tick at least one station, or choose every station in service"))
        return cleaned

    def station_ids(self) -> list[int] | None:
        """The stations ticked, or None for every station in service."""
        return [s.pk for s in self.cleaned_data["stations"]] if self.cleaned_data["which"] == "chosen" else None
