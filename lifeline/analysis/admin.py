"""Fault analyses and follow-ups in the admin site (the pages under /analysis/ are where people edit them)."""
from django.contrib import admin

from lifeline.analysis.models import FaultAnalysis, FollowUp


@admin.register(FaultAnalysis)
class FaultAnalysisAdmin(admin.ModelAdmin):
    list_display = ("incident", "updated_at", "updated_by")
    search_fields = ("incident__title", "cause")
    raw_id_fields = ("incident",)
    readonly_fields = ("created_at", "updated_at", "updated_by")


@admin.register(FollowUp)
class FollowUpAdmin(admin.ModelAdmin):
    list_display = ("title", "incident", "owner", "vendor", "due_on", "done_at")
    list_filter = ("done_at",)
    search_fields = ("title", "vendor", "owner__name")
    raw_id_fields = ("incident", "owner")
    readonly_fields = ("created_at", "created_by", "done_by")
