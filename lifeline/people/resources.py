"""Contact book and roster as spreadsheets (django-import-export), for the admin and the pages.

Member rows are matched by phone. List columns hold several values in one cell:
  skills    数据库恢复, 网络               (comma list; unknown skills are created)
  channels  wecom wecom://key; sms sms://…  (";" or new line between entries, each "kind url" or just the url)
  teams     internet_hospital/tech:core:lead, hq:backup   (team: plan/code, or a code only one team has;
                                                           then core or backup, then lead if so)
"""
import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets
from import_export.formats.base_formats import XLSX

from lifeline.core.spreadsheets import SafeXLSX
from lifeline.people.models import ContactChannel, Member, Shift, Skill, Team, TeamMembership, validate_apprise_url

# Channel kinds guessed from the Apprise scheme when a cell gives only the URL.
KIND_BY_SCHEME = {"mailto": "email", "mailtos": "email", "wecombot": "wecom", "wxteams": "wecom",
                  "dingtalk": "dingtalk", "feishu": "feishu", "lark": "feishu"}


def _entries(value, separators):
    return [part.strip() for part in re.split(separators, str(value or "")) if part.strip()]


class SkillsWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        return _entries(value, r"[,，、;；\n]")


class ChannelsWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        channels = []
        for entry in _entries(value, r"[;；\n]"):
            kind, _sep, url = entry.rpartition(" ")
            try:
                validate_apprise_url(url)
            except ValidationError as exc:
                raise ValueError(exc.messages[0]) from None
            scheme = url.split("://", 1)[0].lower()
            channels.append((kind.strip() or KIND_BY_SCHEME.get(scheme, scheme), url))
        return channels


def team_by_key(key: str) -> Team:
    """The team a spreadsheet names: `plan/code` (a plan's group), or a bare code: the team of no
    plan with that code, else the one team that has it; raises ValueError naming the choices."""
    plan, _slash, code = key.rpartition("/")
    found = list(Team.objects.filter(code=code, **({"plan": plan} if _slash else {})))
    if not _slash and len(found) > 1:
        found = [team for team in found if not team.plan] or found
    if len(found) == 1:
        return found[0]
    if not found:
        raise ValueError(_("no team with code “%(code)s”") % {"code": key})
    raise ValueError(_("several plans have a team “%(code)s”: write one of %(keys)s")
                     % {"code": key, "keys": ", ".join(team.key for team in found)})


class TeamsWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        memberships = []
        for entry in _entries(value, r"[,，;；\n]"):
            code, *flags = [part.strip() for part in entry.split(":")]
            kind = flags[0] if flags else TeamMembership.Kind.CORE
            code = team_by_key(code).key
            if kind not in TeamMembership.Kind.values or flags[1:] not in ([], ["lead"]):
                raise ValueError(_("“%(entry)s” should look like tech:core, tech:backup or tech:core:lead")
                                 % {"entry": entry})
            memberships.append((code, kind, flags[1:] == ["lead"]))
        return memberships


class MemberByPhoneWidget(widgets.ForeignKeyWidget):
    def __init__(self):
        super().__init__(Member, field="phone")

    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except Member.DoesNotExist:
            raise ValueError(_("no member with phone %(phone)s") % {"phone": value}) from None


class MemberResource(resources.ModelResource):
    """The contact book: one row per member."""

    skills = fields.Field(attribute="import_skills", column_name="skills", widget=SkillsWidget())
    channels = fields.Field(attribute="import_channels", column_name="channels", widget=ChannelsWidget())
    teams = fields.Field(attribute="import_teams", column_name="teams", widget=TeamsWidget())

    class Meta:
        model = Member
        fields = ("name", "phone", "department", "title", "skills", "channels", "teams", "active")
        import_id_fields = ("phone",)
        clean_model_instances = True
        skip_diff = True

    def get_queryset(self):
        return Member.objects.prefetch_related("skills", "channels", "memberships__team")

    def dehydrate_skills(self, member):
        return ", ".join(member.skill_names())

    def dehydrate_channels(self, member):
        return "; ".join(f"{c.kind} {c.url}" for c in member.channels.all())

    def dehydrate_teams(self, member):
        return ", ".join(f"{m.team.key}:{m.kind}" + (":lead" if m.lead else "") for m in member.memberships.all())

    def after_save_instance(self, member, row, **kwargs):
        # A list column replaces what the member had; a column left out of the file changes nothing.
        if hasattr(member, "import_skills"):
            member.skills.set([Skill.objects.get_or_create(name=name)[0] for name in member.import_skills])
        if hasattr(member, "import_channels"):
            member.channels.all().delete()
            # One create() per row, not bulk_create: the audit log hears only per-row saves.
            for i, (kind, url) in enumerate(member.import_channels):
                ContactChannel.objects.create(member=member, order=i, kind=kind, url=url)
        if hasattr(member, "import_teams"):
            member.memberships.all().delete()
            for key, kind, lead in member.import_teams:
                TeamMembership.objects.create(member=member, team=team_by_key(key), kind=kind, lead=lead)


class ShiftResource(resources.ModelResource):
    """The roster: one row per shift; the member is named by phone (the name is there to read)."""

    member_phone = fields.Field(attribute="member", column_name="member_phone",
                                widget=MemberByPhoneWidget())
    member_name = fields.Field(attribute="member__name", column_name="member_name", readonly=True)

    class Meta:
        model = Shift
        fields = ("role", "kind", "member_phone", "member_name", "starts_at", "ends_at")
        import_id_fields = ("role", "kind", "starts_at")
        clean_model_instances = True
        skip_diff = True

    def get_queryset(self):
        return Shift.objects.select_related("member")


class ImportRejected(Exception):
    """The file was not imported; `errors` says which row, which column and why."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


def export_xlsx(resource: resources.ModelResource, queryset=None) -> bytes:
    """The rows as .xlsx through core.spreadsheets (no cell text becomes a formula)."""
    return SafeXLSX().export_data(resource.export(queryset))


def import_xlsx(resource: resources.ModelResource, content: bytes):
    """Import a spreadsheet all or nothing: a dry run first; any bad row rejects the whole file."""
    try:
        dataset = XLSX().create_dataset(content)
    except Exception as exc:  # openpyxl raises many kinds of errors for a file that is not xlsx
        raise ImportRejected([_("The file is not an .xlsx spreadsheet (%(reason)s).") % {"reason": exc}]) from exc
    while len(dataset) and all(cell in (None, "") for cell in dataset[-1]):
        del dataset[-1]  # rows a spreadsheet keeps after the data but that hold nothing
    result = resource.import_data(dataset, dry_run=True, use_transactions=True)
    _reject_if_failed(resource, result)
    with transaction.atomic():
        result = resource.import_data(dataset, dry_run=False, use_transactions=True,
                                      rollback_on_validation_errors=True)
        _reject_if_failed(resource, result)
    return result


def _reject_if_failed(resource, result):
    columns = {field.attribute: field.column_name for field in resource.get_import_fields()}
    errors = [str(error.error) for error in result.base_errors]
    # Data row n is spreadsheet row n + 1: the header is row 1.
    for invalid in result.invalid_rows:
        for attribute, messages in invalid.error_dict.items():
            column = columns.get(attribute, attribute)
            errors += [_("Row %(row)d, %(column)s: %(reason)s") % {"row": invalid.number + 1, "column": column,
                                                                      "reason": message} for message in messages]
    for number, row_errors in result.row_errors():
        errors += [_("Row %(row)d: %(reason)s") % {"row": number + 1, "reason": e.error} for e in row_errors]
    if errors:
        raise ImportRejected(errors)
