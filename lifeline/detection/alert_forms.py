"""Forms of the integration and silence pages (and the admin site)."""
from django import forms
from django.core.exceptions import ValidationError

from lifeline.detection import integrations
from lifeline.detection.models import Integration, Silence
from lifeline.status.models import Component


class IntegrationForm(forms.ModelForm):
    component = forms.ModelChoiceField(Component.objects.all(), to_field_name="key", required=False)

    class Meta:
        model = Integration
        fields = ["name", "kind", "enabled", "plan_id", "scenario_id", "level_id", "component", "component_label",
                  "severity_label", "severity_levels", "group_by"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["component"].label = Integration._meta.get_field("component").verbose_name

    def _post_clean(self):
        super()._post_clean()
        if not self.errors:
            try:
                integrations.check_routing(self.instance)
            except ValidationError as exc:
                self._update_errors(exc)


class SilenceForm(forms.ModelForm):
    class Meta:
        model = Silence
        fields = ["matchers", "component", "starts_at", "ends_at", "reason"]
        widgets = {"starts_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
                   "ends_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")}
