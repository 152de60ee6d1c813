"""Service status in the admin site; the liaison's own page is /status/manage/."""
from django.contrib import admin

from lifeline.status.models import Component, MaintenanceWindow, Notice, Override


@admin.register(Component)
class ComponentAdmin(admin.ModelAdmin):
    list_display = ("name", "key", "order", "public")
    list_editable = ("order", "public")
    search_fields = ("name", "key", "plan_names")


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(admin.ModelAdmin):
    list_display = ("starts_at", "ends_at", "note")
    filter_horizontal = ("components",)


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ("title", "published_at", "ends_at", "withdrawn_at", "incident", "published_by")
    raw_id_fields = ("incident",)
    filter_horizontal = ("components",)


@admin.register(Override)
class OverrideAdmin(admin.ModelAdmin):
    list_display = ("component", "state", "starts_at", "ends_at", "withdrawn_at", "set_by")
