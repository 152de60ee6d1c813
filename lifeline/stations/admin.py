from django import forms
from django.contrib import admin, messages
from django.contrib.auth.hashers import make_password
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lifeline.core import clock
from lifeline.core.admin import ReadOnlyAdmin
from lifeline.stations import registry
from lifeline.stations.models import EmergencyCredential, NumberLease, Station, StationCheckIn


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
        self._show_token(request, obj, registry.save_new(obj))

    @admin.action(permissions=["change"], description=gettext_lazy("Revoke (the station's token stops working)"))
    def revoke(self, request, queryset):
        for station in queryset.filter(revoked_at__isnull=True):
            registry.revoke(station, clock.now())

    @admin.action(permissions=["change"], description=gettext_lazy("Replace the token (the old one stops working)"))
    def new_token(self, request, queryset):
        for station in queryset:
            token = registry.new_token(station)
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


@admin.register(NumberLease)
class NumberLeaseAdmin(ReadOnlyAdmin):
    """Leases are granted only by the allocator (leasing.py), never typed in."""

    list_display = ["kind", "first", "last", "station", "leased_at"]
    list_filter = ["kind", "station"]


class EmergencyCredentialForm(forms.ModelForm):
    new_password = forms.CharField(label=gettext_lazy("emergency password"), required=False,
                                   widget=forms.PasswordInput(render_value=False),
                                   help_text=gettext_lazy("stored hashed; leave empty to keep the current one"))

    class Meta:
        model = EmergencyCredential
        fields = ["code", "name", "role", "supervisor", "valid_until", "stations"]
        # Check boxes, not the two-list picker: a hospital has tens of stations, and the picker's
        # script words its buttons in English.
        widgets = {"stations": forms.CheckboxSelectMultiple}

    def clean(self):
        cleaned = super().clean()
        if not self.instance.password and not cleaned.get("new_password"):
            self.add_error("new_password", _("a new credential needs a password"))
        return cleaned

    def save(self, commit=True):
        if self.cleaned_data.get("new_password"):
            self.instance.password = make_password(self.cleaned_data["new_password"])
        return super().save(commit)


@admin.register(EmergencyCredential)
class EmergencyCredentialAdmin(admin.ModelAdmin):
    """Sent on their next pull to the stations chosen, or to every station (credentials.py)."""

    form = EmergencyCredentialForm
    list_display = ["code", "name", "role", "supervisor", "valid_until", "station_names"]
    list_filter = ["role", "supervisor", "stations"]
    search_fields = ["code", "name"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("stations")

    @admin.display(description=gettext_lazy("valid on stations"))
    def station_names(self, obj):
        return "、".join(station.name for station in obj.stations.all()) or _("every station")
