"""The cutover board's forms (rendered by the site's one form template)."""
from django import forms
from django.utils.translation import gettext_lazy as _

from lifeline.cutover.models import Cutover, Task

WHEN = {"type": "datetime-local"}


def when_field(label):
    return forms.DateTimeField(label=label, widget=forms.DateTimeInput(attrs=WHEN, format="%Y-%m-%dT%H:%M"))


class CutoverForm(forms.ModelForm):
    planned_at = when_field(_("planned cutover time"))

    class Meta:
        model = Cutover
        fields = ["name", "planned_at", "old_system", "new_system", "fallback_plan", "fallback_scenario"]


class TaskForm(forms.Form):
    title = forms.CharField(label=_("task"), max_length=200)
    unit = forms.CharField(label=_("responsible unit"), max_length=100)
    owner = forms.CharField(label=_("owner"), max_length=100)
    deadline = when_field(_("deadline"))
    depends_on = forms.ModelMultipleChoiceField(label=_("depends on"), queryset=Task.objects.none(), required=False,
                                                widget=forms.CheckboxSelectMultiple)

    def __init__(self, cutover, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["depends_on"].queryset = cutover.tasks.all()


class CheckForm(forms.Form):
    question = forms.CharField(label=_("go/no-go item"), max_length=200)


class SignForm(forms.Form):
    answer = forms.TypedChoiceField(label=_("answer"), choices=[("yes", _("yes")), ("no", _("no"))],
                                    coerce=lambda value: value == "yes")
    note = forms.CharField(label=_("note"), max_length=200, required=False)


class EventForm(forms.Form):
    text = forms.CharField(label=_("what happened"), max_length=300)


class RehearsalForm(forms.Form):
    started_at = when_field(_("started at"))
    ended_at = when_field(_("ended at"))
    table_rows = forms.CharField(label=_("rows per table"), widget=forms.Textarea(attrs={"rows": 4}),
                                 help_text=_("One table a line: name = rows, e.g. 挂网目录 = 120000"))
    problems = forms.CharField(label=_("problems"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def clean_table_rows(self):
        counts = {}
        for number, line in enumerate(self.cleaned_data["table_rows"].splitlines(), 1):
            if not line.strip():
                continue
            name, equals, rows = line.partition("=")
            if not equals or not name.strip() or not rows.strip().isdigit():
                raise forms.ValidationError(_("Line %(line)s: write name = rows (a whole number)") % {"line": number})
            counts[name.strip()] = int(rows.strip())
        if not counts:
            raise forms.ValidationError(_("Give at least one table's row count"))
        return counts
