from django.contrib import admin

from lifeline.continuity.models import SnapshotBuild
from lifeline.core.admin import ReadOnlyAdmin


@admin.register(SnapshotBuild)
class SnapshotBuildAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "kind", "status", "duration_seconds", "size_bytes", "skipped_count", "package_id",
                    "trigger"]
    list_filter = ["status", "kind", "trigger"]
    search_fields = ["package_id", "error"]
    date_hierarchy = "started_at"


# ==================================================================== STATIONS ==============
from django.contrib import messages  # noqa: E402 - this section is kept apart from the snapshot builds above
from django.utils.translation import gettext as _  # noqa: E402
from django.utils.translation import gettext_lazy  # noqa: E402

from lifeline.continuity import stations  # noqa: E402
from lifeline.continuity.models import Station, StationCheckIn  # noqa: E402
from lifeline.core import clock  # noqa: E402


@admin.register(Station)
class StationAdmin(admin.ModelAdmin):
    list_display = ["name", "department", "location", "package_id", "package_built_at", "last_seen_at", "revoked_at"]
    list_filter = ["department"]
    search_fields = ["name", "department", "location"]
    fields = ["name", "department", "location", "created_at", "revoked_at", "last_seen_at", "package_id",
              "package_built_at", "checked_in_at", "client_version"]
    readonly_fields = ["created_at", "revoked_at", "last_seen_at", "package_id", "package_built_at", "checked_in_at",
                       "client_version"]
    actions = ["revoke", "new_token"]

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        self._show_token(request, obj, stations.save_new(obj))

    @admin.action(permissions=["change"], description=gettext_lazy("Revoke (the station's token stops working)"))
    def revoke(self, request, queryset):
        for station in queryset.filter(revoked_at__isnull=True):
            stations.revoke(station, clock.now())

    @admin.action(permissions=["change"], description=gettext_lazy("Replace the token (the old one stops working)"))
    def new_token(self, request, queryset):
        for station in queryset:
            token = stations.new_token(station)
            station.save(update_fields=["token_hash"])
            self._show_token(request, station, token)

    def _show_token(self, request, station, token):
        messages.warning(request, _("Token of station %(name)s, shown only now: %(token)s")
                         % {"name": station.name, "token": token})


@admin.register(StationCheckIn)
class StationCheckInAdmin(ReadOnlyAdmin):
    list_display = ["at", "station", "applied", "client_version", "address"]
    list_filter = ["station"]
    date_hierarchy = "at"
