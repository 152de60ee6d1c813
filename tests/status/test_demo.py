"""The demo's components are the services patients know, tied to the names the bundled plans use."""
import pytest

from lifeline.plans.models import PlanVersion
from lifeline.status import demo
from lifeline.status.models import Component

pytestmark = pytest.mark.django_db


def test_demo_components_load_once_and_every_other_name_is_one_a_bundled_plan_uses(db):
    from lifeline.plans import services as plans

    plans.load_bundled()
    assert demo.load_demo() == 7
    assert demo.load_demo() == 7
    assert list(Component.objects.values_list("name", flat=True)) == [
        "挂号", "收费", "医保接口", "药房", "互联网医院", "检验检查", "住院"]
    used = set()
    for version in PlanVersion.objects.filter(is_active=True):
        for scenario in version.content.scenarios:
            used |= set(scenario.components)
            used |= {d for timer in scenario.timers if timer.action for d in timer.action.departments}
    for component in Component.objects.all():
        assert component.names & used, component.name
        assert component.names - {component.name} <= used, component.name
