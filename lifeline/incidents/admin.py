"""Incidents in the admin site. The timeline is append-only, so it is read-only here."""
from django.contrib import admin

from lifeline.core.admin import ReadOnlyAdmin, ReadOnlyInline
from lifeline.incidents.models import (
    Assignment,
    ChecklistItem,
    DutyCardActivation,
    Incident,
    OutboxMessage,
    Report,
    TimelineEntry,
    Timer,
    TreeAnswer,
)


class TimelineInline(ReadOnlyInline):
    model = TimelineEntry
    fields = ("at", "kind", "text", "actor", "actor_name")
    readonly_fields = fields


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0
    autocomplete_fields = ["member"]


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ("number", "created_at", "source", "department", "workstation", "people_affected", "incident")
    list_filter = ("source",)
    search_fields = ("number", "department", "workstation", "description", "contact")
    readonly_fields = ("number", "created_at")
    raw_id_fields = ("incident",)


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ("id", "title", "level_id", "status", "opened_at", "is_drill")
    list_filter = ("status", "is_drill", "level_id")
    search_fields = ("title",)
    readonly_fields = ("plan_version", "opened_at", "acknowledged_at", "investigating_at", "mitigated_at",
                       "resolved_at", "closed_at", "opened_by")
    inlines = [AssignmentInline, TimelineInline]


@admin.register(TimelineEntry)
class TimelineEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "incident", "kind", "text", "actor", "actor_name")
    list_filter = ("kind",)
    search_fields = ("text",)


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ("incident", "role", "member", "starts_at", "ends_at")
    list_filter = ("role",)
    raw_id_fields = ("incident",)


@admin.register(ChecklistItem)
class ChecklistItemAdmin(admin.ModelAdmin):
    list_display = ("incident", "order", "title", "owner_role", "due_at", "status", "assignee")
    list_filter = ("status",)
    raw_id_fields = ("incident",)


@admin.register(TreeAnswer)
class TreeAnswerAdmin(admin.ModelAdmin):
    list_display = ("incident", "node_id", "answer", "next_node", "at", "by")
    raw_id_fields = ("incident",)


@admin.register(Timer)
class TimerAdmin(admin.ModelAdmin):
    list_display = ("incident", "kind", "key", "due_at", "status", "fired_at", "fired_by")
    list_filter = ("status", "kind")
    raw_id_fields = ("incident",)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("created_at", "incident", "member", "role", "subject", "status")
    list_filter = ("status",)
    raw_id_fields = ("incident",)


@admin.register(DutyCardActivation)
class DutyCardActivationAdmin(admin.ModelAdmin):
    list_display = ("incident", "card_id", "department", "activated_at", "acknowledged_at", "acknowledged_by")
    list_filter = ("department",)
    raw_id_fields = ("incident",)
