"""Forms of the liaison's status page. Checks that need the database or the clock are the
services' (lifeline.status.liaison); these only shape the input."""
from django import forms
from django.utils.translation import gettext_lazy as _

from lifeline.accounts.permissions import can_speak_status
from lifeline.incidents.models import Incident
from lifeline.status import liaison
from lifeline.status.models import Component


class ComponentForm(forms.ModelForm):
    class Meta:
        model = Component
        fields = ["name", "key", "description", "order", "public", "plan_names"]
        widgets = {"plan_names": forms.Textarea(attrs={"rows": 3})}


class OverrideForm(forms.Form):
    component = forms.ModelChoiceField(Component.objects.all(), label=_("component"))
    state = forms.ChoiceField(choices=Component.State.choices, label=_("state"))
    minutes = forms.IntegerField(label=_("for (minutes)"), initial=60, min_value=1,
                                 max_value=liaison.MAX_OVERRIDE_MINUTES)
    reason = forms.CharField(label=_("reason"), max_length=300)


class NoticeForm(forms.Form):
    """A plan's patient notice for an open incident, or a free text (with or without an incident)."""

    template = forms.ChoiceField(label=_("plan notice"), required=False)
    title = forms.CharField(label=_("notice title"), max_length=100, required=False,
                            help_text=_("Leave empty to use the plan notice's words."))
    body = forms.CharField(label=_("text"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    components = forms.ModelMultipleChoiceField(Component.objects.all(), label=_("components"), required=False,
                                                widget=forms.CheckboxSelectMultiple,
                                                help_text=_("With a plan notice, empty means the incident's."))
    incident = forms.ModelChoiceField(Incident.objects.none(), label=_("incident"), required=False)
    hours = forms.FloatField(label=_("ends after (hours)"), required=False, min_value=0.1,
                             max_value=liaison.MAX_NOTICE_HOURS,
                             help_text=_("Empty: until withdrawn or the incident is resolved."))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].choices = [("", "—")] + [(t.value, t.label) for t in liaison.templates(user)]
        self.fields["incident"].queryset = (Incident.objects.open() if can_speak_status(user)
                                            else liaison.liaison_incidents(user))

    def clean(self):
        data = super().clean()
        if not data.get("template") and not data.get("title"):
            self.add_error("title", _("give a title, or choose a plan notice"))
        return data


class MaintenanceForm(forms.Form):
    components = forms.ModelMultipleChoiceField(Component.objects.all(), label=_("components"),
                                                widget=forms.CheckboxSelectMultiple)
    starts_at = forms.DateTimeField(label=_("starts at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    ends_at = forms.DateTimeField(label=_("ends at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    note = forms.CharField(label=_("note"), max_length=300, required=False)
