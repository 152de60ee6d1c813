"""The plan page's form: the hospital's departments each duty-card department of the plan
reaches. One text field per card department, rendered in the page's table by the site's form
renderer's field templates (errors beside their field)."""
from django import forms
from django.utils.translation import gettext_lazy as _

from lifeline.plans import departments as plan_departments
from lifeline.plans.models import DepartmentMapping

FIELD_CHARS = 300
DEPARTMENT_CHARS = DepartmentMapping._meta.get_field("department").max_length


class DepartmentMapForm(forms.Form):
    """`rows` are plans.departments.table's; field `department-N` is the Nth card department."""

    def __init__(self, rows, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.plan_departments = [row["plan_department"] for row in rows]
        for n, row in enumerate(rows):
            self.fields[self.name_of(n)] = forms.CharField(
                label=row["plan_department"], required=False, max_length=FIELD_CHARS,
                initial="、".join(row["departments"]),
                # In a table row beside the card department's name: the input names itself.
                widget=forms.TextInput(attrs={"list": "known-departments", "aria-label": row["plan_department"]}))

    @staticmethod
    def name_of(n: int) -> str:
        return f"department-{n}"

    def clean(self):
        for name, text in list(self.cleaned_data.items()):  # add_error drops the field from it
            too_long = [d for d in plan_departments.split(text) if len(d) > DEPARTMENT_CHARS]
            if too_long:
                self.add_error(name, _("a department's name holds at most %(max)d characters")
                               % {"max": DEPARTMENT_CHARS})
        return self.cleaned_data

    def mappings(self, sent) -> list[tuple[str, list[str]]]:
        """(card department, the hospital's departments) for each field the form sent."""
        return [(department, plan_departments.split(self.cleaned_data[self.name_of(n)]))
                for n, department in enumerate(self.plan_departments) if self.name_of(n) in sent]
