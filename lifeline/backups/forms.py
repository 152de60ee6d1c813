"""The catalogue's forms: one ModelForm per kind of row, the fields people fill in."""
import json

from django import forms
from django.utils.translation import gettext_lazy as _

from lifeline.backups import dr
from lifeline.backups.models import (
    BackupJob,
    Destination,
    DrComponent,
    RestoreTest,
    SanityQuery,
    Site,
    System,
)
from lifeline.plans import services as plans


class CommandField(forms.CharField):
    """An argv list typed as JSON (["pg_restore", "-d", "{target}", "{backup}"])."""

    def prepare_value(self, value):
        return json.dumps(value, ensure_ascii=False) if isinstance(value, list) else value

    def to_python(self, value):
        value = super().to_python(value)
        try:
            parsed = json.loads(value) if value else None
        except json.JSONDecodeError:
            raise forms.ValidationError(
                _('write the command as a JSON list of words, for example ["pg_restore", "{backup}"]')) from None
        return parsed


class RestoreTestForm(forms.ModelForm):
    command = CommandField(label=_("command"), help_text=RestoreTest._meta.get_field("command").help_text)

    class Meta:
        model = RestoreTest
        fields = ["name", "destination", "command", "target_url", "timeout_seconds", "every_hours", "enabled"]


def _plan_choices():
    return [("", "---------")] + [(v.plan_id, v.plan.name) for v in plans.active_plans()]


def _scenario_choices():
    """Every active plan's scenarios, grouped by plan (a scenario id is unique within its plan)."""
    return [("", "---------")] + [(v.plan.name, [(s.id, s.name) for s in v.content.scenarios])
                                  for v in plans.active_plans()]


class ComponentForm(forms.ModelForm):
    """A DR pair; its failover and failback procedures are scenarios of one active plan."""

    procedure_plan_id = forms.ChoiceField(label=_("procedures' plan"), required=False, choices=_plan_choices)
    failover_scenario_id = forms.ChoiceField(label=_("failover scenario"), required=False, choices=_scenario_choices)
    failback_scenario_id = forms.ChoiceField(label=_("failback scenario"), required=False, choices=_scenario_choices)

    class Meta:
        model = DrComponent
        fields = ["name", "kind", "primary_site", "primary", "standby_site", "standby", "notes", "procedure_plan_id",
                  "failover_scenario_id", "failback_scenario_id"]

    def clean(self):
        data = super().clean()
        plan_id = data.get("procedure_plan_id")
        known = {s for s, _name in dr.scenarios(plan_id)} if plan_id else set()
        for field in ("failover_scenario_id", "failback_scenario_id"):
            if data.get(field) and data[field] not in known:
                self.add_error(field, _("choose a scenario of the procedures' plan"))
        return data


FORMS = {
    "system": forms.modelform_factory(System, fields=["name", "rpo_minutes", "rto_minutes", "notes"]),
    "job": forms.modelform_factory(BackupJob, fields=["system", "name", "kind", "every_hours", "schedule_text",
                                                      "grace_minutes", "shrink_percent", "tool", "heartbeat",
                                                      "enabled"]),
    "destination": forms.modelform_factory(Destination, fields=["job", "kind", "location", "offsite", "scan",
                                                                "pattern"]),
    "restore_test": RestoreTestForm,
    "query": forms.modelform_factory(SanityQuery, fields=["test", "label", "sql", "expect", "minimum", "maximum",
                                                          "max_age_hours"]),
    "site": forms.modelform_factory(Site, fields=["name", "kind", "address"]),
    "component": ComponentForm,
}
# Where each kind of row is shown after it is saved.
SHOWN_ON = {"system": "backups:catalogue", "job": "backups:catalogue", "destination": "backups:catalogue",
            "restore_test": "backups:restore_test", "query": "backups:restore_test", "site": "backups:dr",
            "component": "backups:component"}
