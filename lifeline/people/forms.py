"""Forms of the people pages (check-in, who can come fastest, spreadsheet import, the roster's
day), rendered by the site's form renderer: each error beside its field."""
from django import forms
from django.utils.translation import gettext_lazy as _

from lifeline.people.models import CheckIn, Member, Skill


class MemberChoice(forms.ModelChoiceField):
    def label_from_instance(self, member):
        return f"{member.name} · {member.department}" if member.department else member.name


class CheckInForm(forms.Form):
    """Where a member is now. `member` only for those who may check others in (IT on duty,
    commanders); the others check themselves in. services.check_in holds the rules."""

    member = MemberChoice(Member.objects.filter(active=True), label=_("Member"), empty_label=None)
    status = forms.ChoiceField(label=_("Status"), choices=CheckIn.Status.choices, widget=forms.RadioSelect,
                               initial=CheckIn.Status.choices[0][0])
    eta_minutes = forms.IntegerField(label=_("Minutes to arrive (off site)"), required=False, min_value=0,
                                     max_value=24 * 60)
    note = forms.CharField(label=_("Where"), required=False, max_length=200)

    def __init__(self, *args, may_choose_member=False, own: Member | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if may_choose_member:
            self.fields["member"].initial = own
        else:
            del self.fields["member"]


class SkillFilter(forms.Form):
    skill = forms.ChoiceField(label=_("Skill"), required=False,
                              widget=forms.Select(attrs={"data-autosubmit": ""}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["skill"].choices = [("", _("any")), *((s.name, s.name) for s in Skill.objects.all())]


class ImportForm(forms.Form):
    """A contact book or roster spreadsheet; the whole file is checked before anything is imported."""

    what = forms.ChoiceField(label=_("Import"), choices=[("members", _("Contact book")), ("shifts", _("Roster"))])
    file = forms.FileField(label=_("File (.xlsx)"), widget=forms.FileInput(attrs={"accept": ".xlsx"}))


class DayForm(forms.Form):
    date = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
