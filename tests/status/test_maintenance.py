from datetime import timedelta

import pytest

from lifeline.status import services
from lifeline.status.models import Component, MaintenanceWindow


@pytest.mark.django_db
def test_in_maintenance_only_inside_the_window_and_only_for_its_components(clock):
    charging = Component.objects.create(key="charging", name="收费")
    pharmacy = Component.objects.create(key="pharmacy", name="药房")
    start = clock.now() + timedelta(hours=1)
    window = MaintenanceWindow.objects.create(starts_at=start, ends_at=start + timedelta(hours=2), note="升级")
    window.components.add(charging)

    assert not services.in_maintenance(charging)
    clock.advance(hours=1)
    assert services.in_maintenance(charging)
    assert not services.in_maintenance(pharmacy)
    assert services.in_maintenance(charging, at=start + timedelta(minutes=119))
    clock.advance(hours=2)
    assert not services.in_maintenance(charging)
