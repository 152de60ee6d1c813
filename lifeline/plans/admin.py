"""Plans in the admin site: read-only, since plans change only by loading a file as a new version.

The one change allowed here is choosing which stored version is active.
"""
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from lifeline.core.admin import ReadOnlyAdmin, ReadOnlyInline
from lifeline.plans import services
from lifeline.plans.models import Plan, PlanVersion


class VersionInline(ReadOnlyInline):
    model = PlanVersion
    fields = ("number", "is_active", "loaded_at", "loaded_by", "activated_at", "activated_by", "sha256")
    readonly_fields = fields


@admin.register(Plan)
class PlanAdmin(ReadOnlyAdmin):
    list_display = ("id", "name", "organisation", "language")
    search_fields = ("id", "name", "organisation")
    inlines = [VersionInline]


@admin.register(PlanVersion)
class PlanVersionAdmin(ReadOnlyAdmin):
    list_display = ("plan", "number", "is_active", "loaded_at", "loaded_by", "activated_at")
    list_filter = ("is_active", "plan")
    fields = ("plan", "number", "is_active", "loaded_at", "loaded_by", "activated_at", "activated_by",
              "sha256", "source")
    actions = ["activate"]

    def has_activate_permission(self, request):
        return request.user.has_perm("plans.change_planversion")

    @admin.action(description=_("Make the selected version the active one"), permissions=["activate"])
    def activate(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one version to activate."), messages.ERROR)
            return
        version = services.activate(queryset.get(), user=request.user)
        self.message_user(request, _("%(plan)s version %(number)s is now active.") % {
            "plan": version.plan_id, "number": version.number}, messages.SUCCESS)
