"""The catalogue as spreadsheets (django-import-export): systems with their objectives, and backup
jobs by system name. Imports go through lifeline.people.resources.import_xlsx: all or nothing,
each bad cell named by row and column."""
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets

from lifeline.backups.models import BackupJob, System

# Blank cells are blank text, never NULL.
TEXT = widgets.CharWidget(allow_blank=True)


class SystemResource(resources.ModelResource):
    name = fields.Field(attribute="name", column_name=_("system"), widget=TEXT)
    rpo_minutes = fields.Field(attribute="rpo_minutes", column_name=_("RPO objective (minutes)"),
                               widget=widgets.IntegerWidget())
    rto_minutes = fields.Field(attribute="rto_minutes", column_name=_("RTO objective (minutes)"),
                               widget=widgets.IntegerWidget())
    notes = fields.Field(attribute="notes", column_name=_("notes"), widget=TEXT)

    class Meta:
        model = System
        import_id_fields = ("name",)
        fields = ("name", "rpo_minutes", "rto_minutes", "notes")
        clean_model_instances = True


class BackupJobResource(resources.ModelResource):
    system = fields.Field(attribute="system", column_name=_("system"),
                          widget=widgets.ForeignKeyWidget(System, field="name"))
    name = fields.Field(attribute="name", column_name=_("name"), widget=TEXT)
    kind = fields.Field(attribute="kind", column_name=_("kind"), widget=TEXT)
    every_hours = fields.Field(attribute="every_hours", column_name=_("runs every (hours)"),
                               widget=widgets.IntegerWidget())
    schedule_text = fields.Field(attribute="schedule_text", column_name=_("schedule as written"), widget=TEXT)
    grace_minutes = fields.Field(attribute="grace_minutes", column_name=_("grace (minutes)"),
                                 widget=widgets.IntegerWidget())
    shrink_percent = fields.Field(attribute="shrink_percent", column_name=_("suspicious shrink (%)"),
                                  widget=widgets.IntegerWidget())
    tool = fields.Field(attribute="tool", column_name=_("tool"), widget=TEXT)

    class Meta:
        model = BackupJob
        import_id_fields = ("system", "name")
        fields = ("system", "name", "kind", "every_hours", "schedule_text", "grace_minutes", "shrink_percent", "tool")
        clean_model_instances = True


SPREADSHEETS = {"systems": SystemResource, "jobs": BackupJobResource}
