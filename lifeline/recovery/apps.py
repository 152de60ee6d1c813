from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecoveryConfig(AppConfig):
    name = "lifeline.recovery"
    label = "recovery"
    verbose_name = _("Send-back and merge-back")

    def ready(self):
        from lifeline.snapshots import merged

        merged.codes_with(station_codes)


def station_codes() -> dict[str, set[str]]:
    """Per station name, the codes its received events carry (how a package's `merged` names a
    station to the station itself: snapshots.merged)."""
    from lifeline.recovery.models import ReceivedEvent

    found: dict[str, set[str]] = {}
    for name, code in ReceivedEvent.objects.values_list("station__name", "station_code").order_by().distinct():
        if code:
            found.setdefault(name, set()).add(code)
    return found
