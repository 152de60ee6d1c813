"""Inspections and spare parts in the admin site (the pages under /inspections/ are where people work)."""
from django.contrib import admin

from lifeline.inspections.models import CheckItem, Checklist, Result, Round, SparePart, Withdrawal


class CheckItemInline(admin.TabularInline):
    model = CheckItem
    extra = 0


@admin.register(Checklist)
class ChecklistAdmin(admin.ModelAdmin):
    list_display = ("name", "frequency", "due_time", "active")
    inlines = [CheckItemInline]


class ResultInline(admin.TabularInline):
    model = Result
    extra = 0
    readonly_fields = ("item", "passed", "value", "reading", "note")
    can_delete = False


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    list_display = ("checklist", "period_start", "due_at", "completed_at", "completed_by")
    list_filter = ("checklist",)
    readonly_fields = ("completed_at", "completed_by")
    inlines = [ResultInline]


@admin.register(SparePart)
class SparePartAdmin(admin.ModelAdmin):
    list_display = ("name", "category", "location", "quantity", "minimum")
    list_filter = ("category",)
    search_fields = ("name", "model", "replaces")


@admin.register(Withdrawal)
class WithdrawalAdmin(admin.ModelAdmin):
    list_display = ("part", "quantity", "incident", "taken_by", "taken_at")
    raw_id_fields = ("incident",)
    readonly_fields = ("taken_by", "taken_at")
