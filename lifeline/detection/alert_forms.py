"""Forms of the integration and silence pages (and the admin site)."""
import json

from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from lifeline.detection import integrations
from lifeline.detection.models import Integration, Silence
from lifeline.status.models import Component


def severity_help(plans: list[integrations.PlanLevels]) -> str:
    """The severity map's help: each active plan's levels and an example its routing check
    accepts, so an example pasted as it stands is taken."""
    if not plans:
        return _("No plan is active yet: load and activate a plan, then map severities to its levels.")
    lines = format_html_join("", '<span class="plan-levels" data-plan="{}">{}</span>', (
        (p.plan_id, format_html(_("{plan}: {levels}; for example {example}"), plan=p.plan_name,
                                levels=format_html_join(pgettext("between list items", ", "), "{} <code>{}</code>",
                                                        ((name, level) for level, name in p.levels)),
                                example=format_html('<code class="severity-example">{}</code>',
                                                    json.dumps(p.example, ensure_ascii=False))))
        for p in plans))
    return format_html("{}{}", _("The plan's level for each severity the source sends, as JSON. "
                                 "The levels of the active plans:"), lines)


class IntegrationForm(forms.ModelForm):
    component = forms.ModelChoiceField(Component.objects.all(), to_field_name="key", required=False)

    class Meta:
        model = Integration
        fields = ["name", "kind", "enabled", "plan_id", "scenario_id", "level_id", "component", "component_label",
                  "severity_label", "severity_levels", "group_by"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["component"].label = Integration._meta.get_field("component").verbose_name
        # Read per form: the plans active now, not those of when the module was imported.
        plans = integrations.levels_of_active_plans()
        self.fields["plan_id"] = self._plan_choice(plans)
        for name, of_plan in (("scenario_id", lambda p: p.scenarios), ("level_id", lambda p: p.levels)):
            self.fields[name] = self._choice_by_plan(name, plans, of_plan)
        self.fields["severity_levels"].help_text = severity_help(plans)
        self.fields["severity_levels"].widget.attrs["rows"] = 3  # a line or two of JSON

    def _plan_choice(self, plans) -> forms.ChoiceField:
        """The plan by its name; an inactive plan the integration already names stays choosable."""
        model_field = Integration._meta.get_field("plan_id")
        choices = [("", _("— the active plan whose scenario names the alert's component")),
                   *((p.plan_id, p.plan_name) for p in plans)]
        if self.instance.plan_id and self.instance.plan_id not in {p.plan_id for p in plans}:
            choices.append((self.instance.plan_id, self.instance.plan_id))
        return forms.ChoiceField(label=model_field.verbose_name, help_text=model_field.help_text, choices=choices,
                                 required=False)

    def _choice_by_plan(self, name, plans, of_plan) -> forms.ChoiceField:
        """A scenario or level by its name, grouped under its plan's (check_routing refuses one
        of another plan than the integration's); a value already set stays choosable."""
        model_field = Integration._meta.get_field(name)
        choices = [("", "—"), *((p.plan_name, of_plan(p)) for p in plans)]
        current = getattr(self.instance, name)
        if current and not any(current == value for p in plans for value, _label in of_plan(p)):
            choices.append((current, current))
        return forms.ChoiceField(label=model_field.verbose_name, help_text=model_field.help_text, choices=choices,
                                 required=False)

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
