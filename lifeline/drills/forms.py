"""The drill pages' forms. They parse what was typed; the rules are the services' (a Refused
lands on the field it names through core.errors.add_to_form), so pages and API agree."""
from django import forms
from django.utils.translation import gettext_lazy as _

from lifeline.drills.models import Every, Finding, Milestone
from lifeline.plans.models import PlanVersion
from lifeline.stations.models import Station

TARGET_MAX_MINUTES = 24 * 60


def scenario_choices() -> list[tuple[str, str]]:
    """Every scenario of every active plan, as "plan_id:scenario_id" with their names."""
    return [(f"{v.plan_id}:{s.id}", f"{v.content.name} · {s.name}")
            for v in PlanVersion.objects.filter(is_active=True).order_by("plan_id") for s in v.content.scenarios]


class ScenarioField(forms.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=scenario_choices, label=_("Scenario"), **kwargs)

    def clean(self, value):
        return tuple(super().clean(value).split(":", 1))


def target_field(milestone: Milestone):
    return forms.IntegerField(label=_("Target: %(milestone)s (min)") % {"milestone": milestone.label},
                              required=False, min_value=0, max_value=TARGET_MAX_MINUTES,
                              help_text=_("blank: from the plan's scenario"))


class DrillForm(forms.Form):
    scenario = ScenarioField()
    title = forms.CharField(label=_("Name of the drill"), required=False, max_length=200)
    planned_at = forms.DateTimeField(label=_("Date and time"),
                                     widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    length_minutes = forms.IntegerField(label=_("Length (minutes)"), min_value=5, max_value=TARGET_MAX_MINUTES,
                                        initial=60)
    participants = forms.CharField(label=_("Participants"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    observers = forms.CharField(label=_("Observers"), required=False, max_length=500)
    target_detect = target_field(Milestone.DETECT)
    target_acknowledge = target_field(Milestone.ACKNOWLEDGE)
    target_emergency = target_field(Milestone.EMERGENCY)
    target_restore = target_field(Milestone.RESTORE)
    fault_target = forms.CharField(label=_("Fault to inject (lab)"), required=False, max_length=64,
                                   help_text=_("A drill-safe lab target; blank: no injection"))
    stations = forms.ModelMultipleChoiceField(
        label=_("Workstations in drill mode"), required=False, widget=forms.CheckboxSelectMultiple,
        queryset=Station.objects.filter(revoked_at__isnull=True),
        help_text=_("A downtime drill: cashiers practise on these workstations with real base data, "
                    "everything marked 演练 and never merged"))

    def arguments(self) -> dict:
        """The cleaned form as services.plan_drill's keywords; blank targets are left to the plan."""
        data = dict(self.cleaned_data)
        data["plan_id"], data["scenario_id"] = data.pop("scenario")
        for milestone in Milestone.values:
            if data[f"target_{milestone}"] is None:
                del data[f"target_{milestone}"]
        return data


class MilestoneForm(forms.Form):
    milestone = forms.ChoiceField(choices=Milestone.choices)


class FindingForm(forms.Form):
    title = forms.CharField(label=_("Finding"), max_length=300)
    fix = forms.CharField(label=_("Fix"), required=False, max_length=300)
    owner = forms.CharField(label=_("Owner"), max_length=100)
    deadline = forms.DateField(label=_("Deadline"), widget=forms.DateInput(attrs={"type": "date"}))


class FindingStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Finding.Status.choices)


class SignOffForm(forms.Form):
    note = forms.CharField(label=_("Sign-off remarks"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ScheduleForm(forms.Form):
    scenario = ScenarioField()
    every = forms.ChoiceField(label=_("Every"), choices=Every.choices)
    day = forms.IntegerField(label=_("Day of the month"), min_value=1, max_value=31, initial=1)
    month = forms.IntegerField(label=_("Month (yearly drills)"), min_value=1, max_value=12, initial=1)
    time = forms.TimeField(label=_("Time of day"), widget=forms.TimeInput(attrs={"type": "time"}))
    remind_days = forms.IntegerField(label=_("Remind days before"), min_value=0, max_value=60, initial=3)
    participants = forms.CharField(label=_("Participants"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
