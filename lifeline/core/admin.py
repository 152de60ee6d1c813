from django.contrib import admin


class ReadOnly:
    """Admin mixin for records that are written by Lifeline itself (audit log, timeline, plan
    versions): shown, never added, changed or deleted in the admin site."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnly, admin.ModelAdmin):
    pass


class ReadOnlyInline(ReadOnly, admin.TabularInline):
    extra = 0
    show_change_link = True
