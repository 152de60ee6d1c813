from django.contrib import admin

from lifeline.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: entries are written by the signal handlers and never changed."""

    list_display = ("seq", "at", "actor_label", "action", "object_type", "object_repr")
    list_filter = ("action", "object_type", "actor_label", ("at", admin.DateFieldListFilter))
    search_fields = ("object_repr", "object_id", "actor_label")
    date_hierarchy = "at"
    actions = None

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
