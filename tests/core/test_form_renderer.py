"""The site's one form template: a label above its input, a single checkbox before its label,
a list of checkboxes under its label like any other field."""
from django import forms


class Sample(forms.Form):
    name = forms.CharField(label="标题")
    agreed = forms.BooleanField(label="已确认", required=False)
    components = forms.MultipleChoiceField(label="组件", required=False, widget=forms.CheckboxSelectMultiple,
                                           choices=[("registration", "挂号"), ("charging", "收费")])


def _block(html: str, name: str) -> str:
    return next(b for b in html.split('<div class="field') if f'name="{name}"' in b)


def test_labels_stand_above_their_inputs_and_a_lone_checkbox_before_its_label():
    html = str(Sample())
    assert _block(html, "name").index("<label") < _block(html, "name").index("<input")
    agreed = _block(html, "agreed")
    assert agreed.startswith(' field-check"') and agreed.index("<input") < agreed.index("<label")
    components = _block(html, "components")
    assert "field-check" not in components.split(">", 1)[0]
    assert components.index("组件") < components.index('value="registration"')  # the list under its label
