from datetime import timedelta

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from import_export.admin import ImportExportModelAdmin

from lifeline.core import clock
from lifeline.core.spreadsheets import SafeXLSX
from lifeline.people import services
from lifeline.people.models import (
    CheckIn,
    ContactChannel,
    Member,
    Override,
    RosterRotation,
    RotationSlot,
    Shift,
    Skill,
    Team,
    TeamMembership,
)
from lifeline.people.resources import MemberResource, ShiftResource


class SpreadsheetAdmin(ImportExportModelAdmin):
    """Import needs the right to add and change; an auditor who may only view exports.
    Exports are .xlsx only, written by core.spreadsheets (CSV and the others would carry
    cell text that looks like a formula as it is)."""

    export_formats = [SafeXLSX]

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)


class ContactChannelInline(admin.TabularInline):
    model = ContactChannel
    extra = 1


class MembershipInline(admin.TabularInline):
    model = TeamMembership
    extra = 1
    autocomplete_fields = ("member",)


@admin.register(Member)
class MemberAdmin(SpreadsheetAdmin):
    resource_classes = [MemberResource]
    list_display = ("name", "department", "title", "phone", "active")
    list_filter = ("active", "department", "skills", "teams")
    search_fields = ("name", "phone", "department")
    filter_horizontal = ("skills",)
    autocomplete_fields = ("user",)
    inlines = [ContactChannelInline, MembershipInline]


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    search_fields = ("name",)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "plan", "core_target", "backup_target")
    list_filter = ("plan",)
    search_fields = ("code", "name", "plan")
    inlines = [MembershipInline]


@admin.register(Shift)
class ShiftAdmin(SpreadsheetAdmin):
    resource_classes = [ShiftResource]
    list_display = ("role", "kind", "member", "starts_at", "ends_at", "rotation")
    list_filter = ("role", "kind", "rotation")
    date_hierarchy = "starts_at"
    autocomplete_fields = ("member",)


class RotationSlotInline(admin.TabularInline):
    model = RotationSlot
    extra = 1
    autocomplete_fields = ("member",)


@admin.register(RosterRotation)
class RosterRotationAdmin(admin.ModelAdmin):
    list_display = ("name", "role", "kind", "shift_hours", "starts_at")
    list_filter = ("role", "kind")
    inlines = [RotationSlotInline]
    actions = ["generate_next_30_days"]

    @admin.action(description=_("Generate shifts for the next 30 days"), permissions=["change"])
    def generate_next_30_days(self, request, queryset):
        start = clock.now()
        created = sum(len(services.generate_shifts(rotation, start, start + timedelta(days=30)))
                      for rotation in queryset)
        self.message_user(request, ngettext("%d shift created.", "%d shifts created.", created) % created,
                          messages.SUCCESS)


@admin.register(Override)
class OverrideAdmin(admin.ModelAdmin):
    list_display = ("role", "kind", "member", "replaces", "starts_at", "ends_at", "reason")
    list_filter = ("role", "kind")
    date_hierarchy = "starts_at"
    autocomplete_fields = ("member", "replaces")


@admin.register(CheckIn)
class CheckInAdmin(admin.ModelAdmin):
    list_display = ("member", "status", "eta_minutes", "note", "at")
    list_filter = ("status",)
    date_hierarchy = "at"
    autocomplete_fields = ("member",)
