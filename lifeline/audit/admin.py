from django.contrib import admin

from lifeline.audit.models import AuditEntry
from lifeline.core.admin import ReadOnlyAdmin


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Read-only: entries are written by the signal handlers and never changed."""

    list_display = ("seq", "at", "actor_label", "action", "object_type", "object_repr")
    list_filter = ("action", "object_type", "actor_label", ("at", admin.DateFieldListFilter))
    search_fields = ("object_repr", "object_id", "actor_label")
    date_hierarchy = "at"
    actions = None
