"""Components' state, computed from maintenance, probes, incidents and the liaison's overrides."""
from datetime import datetime

from lifeline.core import clock
from lifeline.status.models import Component, MaintenanceWindow


def in_maintenance(component: Component, at: datetime | None = None) -> bool:
    """True while a maintenance window covers the component (failures then open no incident)."""
    at = at or clock.now()
    return MaintenanceWindow.objects.filter(components=component, starts_at__lte=at, ends_at__gt=at).exists()
