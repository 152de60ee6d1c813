"""Detection in the admin site: ALERTS (integrations, silences, alerts) and PROBES sections."""
from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lifeline.core.admin import ReadOnlyAdmin
from lifeline.detection import integrations
from lifeline.detection.alert_forms import IntegrationForm
from lifeline.detection.models import Alert, AlertGroup, Integration, Probe, ProbeResult, ProbeRollup, Silence
from lifeline.detection.probes import services as probe_services
from lifeline.detection.probes.forms import ProbeForm

# ===================================================================== ALERTS ===========


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    form = IntegrationForm
    list_display = ("name", "kind", "enabled", "plan_id", "scenario_id", "level_id", "component", "created_at")
    list_filter = ("kind", "enabled")
    search_fields = ("name",)
    actions = ["new_token"]

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        self._show_url(request, obj, integrations.save_new(obj, request.user))

    @admin.action(description=gettext_lazy("Replace the token (the old receiver URL stops working)"))
    def new_token(self, request, queryset):
        for integration in queryset:
            token = integration.new_token()
            integration.save(update_fields=["token_hash"])
            self._show_url(request, integration, token)

    def _show_url(self, request, integration, token):
        messages.warning(request, _("Receiver URL of %(name)s, shown only now: %(url)s")
                         % {"name": integration.name, "url": integrations.receiver_url(integration, token)})


@admin.register(Silence)
class SilenceAdmin(admin.ModelAdmin):
    list_display = ("reason", "matchers", "component", "starts_at", "ends_at", "created_by")
    list_filter = ("component",)
    readonly_fields = ("created_by", "created_at")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(AlertGroup)
class AlertGroupAdmin(ReadOnlyAdmin):
    list_display = ("first_at", "source", "key", "summary", "component", "state", "incident", "problem")
    list_filter = ("state", "source")
    search_fields = ("key", "summary")


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "source", "fingerprint", "summary", "status", "component", "silence",
                    "in_maintenance")
    list_filter = ("status", "source", "in_maintenance")
    search_fields = ("fingerprint", "summary")
    raw_id_fields = ("group",)

# ===================================================================== PROBES ===========


@admin.register(Probe)
class ProbeAdmin(admin.ModelAdmin):
    form = ProbeForm
    list_display = ("name", "kind", "component", "enabled", "state", "last_checked_at", "last_latency_ms",
                    "interval_seconds")
    list_filter = ("kind", "state", "enabled", "component")
    search_fields = ("name",)
    readonly_fields = ("state", "state_since", "last_checked_at", "last_latency_ms", "last_value", "last_error",
                       "last_heartbeat_at")

    def save_model(self, request, obj, form, change):
        probe_services.save(obj)


@admin.register(ProbeResult)
class ProbeResultAdmin(ReadOnlyAdmin):
    list_display = ("at", "probe", "ok", "latency_ms", "value", "error")
    list_filter = ("ok", "probe")
    date_hierarchy = "at"


@admin.register(ProbeRollup)
class ProbeRollupAdmin(ReadOnlyAdmin):
    list_display = ("start", "period", "probe", "count", "failures", "latency_avg_ms", "latency_p95_ms")
    list_filter = ("period", "probe")
