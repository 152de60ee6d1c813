from django.contrib import admin

from lifeline.backups import models
from lifeline.backups.resources import BackupJobResource, SystemResource
from lifeline.people.admin import SpreadsheetAdmin


class DestinationInline(admin.TabularInline):
    model = models.Destination
    extra = 0


class SanityQueryInline(admin.TabularInline):
    model = models.SanityQuery
    extra = 0


@admin.register(models.System)
class SystemAdmin(SpreadsheetAdmin):
    resource_classes = [SystemResource]
    list_display = ("name", "rpo_minutes", "rto_minutes")


@admin.register(models.BackupJob)
class BackupJobAdmin(SpreadsheetAdmin):
    resource_classes = [BackupJobResource]
    list_display = ("name", "system", "kind", "every_hours", "state", "last_run_at")
    list_filter = ("state", "kind")
    inlines = [DestinationInline]


@admin.register(models.RestoreTest)
class RestoreTestAdmin(admin.ModelAdmin):
    list_display = ("name", "destination", "every_hours", "enabled", "next_due_at")
    inlines = [SanityQueryInline]


@admin.register(models.RestoreRun)
class RestoreRunAdmin(admin.ModelAdmin):
    list_display = ("test", "started_at", "status", "seconds")
    list_filter = ("status",)
    readonly_fields = [f.name for f in models.RestoreRun._meta.fields]


admin.site.register(models.BackupCopy)
admin.site.register(models.Site)
admin.site.register(models.DrComponent)
admin.site.register(models.Switchover)
