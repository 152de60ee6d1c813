from django.contrib import admin

from lifeline.cutover.models import Cutover, Event, GoCheck, Rehearsal, Task


class TaskInline(admin.TabularInline):
    model = Task
    extra = 0
    filter_horizontal = ["depends_on"]


class GoCheckInline(admin.TabularInline):
    model = GoCheck
    extra = 0


@admin.register(Cutover)
class CutoverAdmin(admin.ModelAdmin):
    list_display = ["name", "planned_at", "old_system", "new_system", "status"]
    list_filter = ["status"]
    inlines = [TaskInline, GoCheckInline]


admin.site.register([Event, Rehearsal])
