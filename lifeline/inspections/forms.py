"""The inspection pages' forms. They parse what was typed; the rules are the services' (a Refused
lands on the field it names through core.errors.add_to_form), so pages and API agree."""
from django import forms
from django.utils.translation import gettext_lazy as _

from lifeline.inspections import checklists, from_plan, services
from lifeline.inspections.models import Checklist, Frequency, SparePart, Withdrawal

PASS_FAIL = [("pass", _("pass")), ("fail", _("fail"))]


class AnswerForm(forms.Form):
    """One manual item of a round (prefix item-<pk>): pass or fail, its value if measured, a note."""

    passed = forms.ChoiceField(choices=PASS_FAIL, widget=forms.RadioSelect, required=False)
    value = forms.FloatField(required=False, widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any"}))
    note = forms.CharField(label=_("Note"), required=False, max_length=500)

    def __init__(self, item, *args, **kwargs):
        super().__init__(*args, prefix=f"item-{item.pk}", **kwargs)
        self.item = item
        self.fields["passed"].label = item.title
        if item.measured:
            limits = services.bounds(item)
            self.fields["value"].label = _("Value (%(unit)s)") % {"unit": item.unit}
            self.fields["value"].help_text = _("passes within %(bounds)s") % {"bounds": limits} if limits else ""
        else:
            del self.fields["value"]

    def answer(self) -> services.Answer:
        data = self.cleaned_data
        passed = {"pass": True, "fail": False}.get(data.get("passed") or "")
        return services.Answer(passed=passed, value=data.get("value"), note=data.get("note") or "")


class RoundNoteForm(forms.Form):
    note = forms.CharField(label=_("Note on the whole round"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ChecklistForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    frequency = forms.ChoiceField(label=_("Frequency"), choices=Frequency.choices)
    due_time = forms.TimeField(label=_("Due by (time of day)"), required=False, initial="10:00",
                               help_text=_("On the period's last day, in hospital time"),
                               widget=forms.TimeInput(attrs={"type": "time"}))


class ItemForm(forms.Form):
    title = forms.CharField(label=_("Item"), max_length=200)
    reads = forms.ChoiceField(label=_("Filled in from"), required=False)
    unit = forms.CharField(label=_("Unit (for a measured value)"), required=False, max_length=16)
    low = forms.FloatField(label=_("Lowest passing value"), required=False)
    high = forms.FloatField(label=_("Highest passing value"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reads"].choices = checklists.reads_choices()


class AdoptForm(ItemForm):
    """A plan measure confirmed as a checklist item: the checklist (new or existing) first."""

    checklist = forms.CharField(label=_("Checklist"), max_length=100,
                                help_text=_("An existing checklist's name, or a new one's"))
    frequency = forms.ChoiceField(label=_("Frequency (of a new checklist)"), required=False,
                                  choices=[("", "—"), *Frequency.choices])
    field_order = ["checklist", "frequency", "title", "reads", "unit", "low", "high"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["checklist"].widget.attrs["list"] = "checklist-names"

    @staticmethod
    def names():
        return list(Checklist.objects.values_list("name", flat=True))


class PartForm(forms.ModelForm):
    """A stock line; `measure` links it to a plan's spare-parts measure (plans then show it backed)."""

    measure = forms.ChoiceField(label=_("For the plan measure"), required=False)

    class Meta:
        model = SparePart
        fields = ["name", "category", "model", "location", "quantity", "minimum", "replaces"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["measure"].choices = [("", "—")] + [
            (f"{o.plan_id}/{o.measure.id}", f"{o.plan_name} · {o.measure.title}") for o in from_plan.offers()[1]]

    def save(self, commit=True):
        self.instance.plan_id, _sep, self.instance.measure_id = self.cleaned_data["measure"].partition("/")
        return super().save(commit)


class WithdrawForm(forms.Form):
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, initial=1)
    incident = forms.IntegerField(label=_("Incident number"), min_value=1,
                                  widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    reason = forms.CharField(label=_("Reason"), max_length=Withdrawal._meta.get_field("reason").max_length)


class RestockForm(forms.Form):
    quantity = forms.IntegerField(label=_("Quantity received"), min_value=1, initial=1)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Spreadsheet (.xlsx)"))
